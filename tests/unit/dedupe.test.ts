import { describe, expect, it } from 'vitest';
import { containment, NEAR_DUPLICATE_SHARE, pickResults, shingles, storyKey } from '../../src/retrieval/dedupe.js';
import { passageRow, rowMap } from '../helpers/rows.js';

describe('story keys and shingles', () => {
  it('keys a story by its headline, whatever the punctuation and case', () => {
    const a = passageRow(1, 'a', 'x', { title: 'Trams are coming: council says YES!' }).article;
    const b = passageRow(2, 'b', 'x', { title: 'Trams are coming - Council says yes' }).article;
    expect(storyKey(a)).toBe(storyKey(b));
    expect(storyKey(a)).toBe('tramsarecomingcouncilsaysyes');
  });

  it('cuts a text into word triples and measures how much of the smaller set the other holds', () => {
    expect(shingles('The council met. The council voted!')).toEqual(new Set(['the council met', 'council met the', 'met the council', 'the council voted']));
    expect(shingles('two words').size).toBe(0);
    const a = new Set(['1', '2', '3', '4']);
    expect(containment(a, new Set(['1', '2']))).toBe(1);
    expect(containment(new Set(['1', '2', 'x', 'y']), a)).toBe(0.5);
    expect(containment(new Set(), a)).toBe(0);
  });
});

describe('pickResults', () => {
  const wire = 'The city council approved a new tram line on Tuesday after a long debate, with construction to start next spring.';

  it('takes the best k, ties by lower id, at most maxPerArticle per article', () => {
    const rows = rowMap([passageRow(1, 'a', 'one two three'), passageRow(2, 'a', 'four five six'), passageRow(3, 'a', 'seven eight nine'), passageRow(4, 'b', 'ten eleven twelve')]);
    const scores = new Map([
      [3, 5],
      [1, 9],
      [2, 9],
      [4, 1],
    ]);
    expect(pickResults(scores, rows, { k: 5, maxPerArticle: 2 }).map((p) => p.id)).toEqual([1, 2, 4]);
    expect(pickResults(scores, rows, { k: 2, maxPerArticle: 3 }).map((p) => [p.id, p.score])).toEqual([
      [1, 9],
      [2, 9],
    ]);
  });

  it('keeps one copy of a story syndicated under the same headline, and skips unknown passages', () => {
    const rows = rowMap([
      passageRow(1, 'a', 'Alpha beta gamma delta.', { title: 'Council backs tram line' }),
      passageRow(2, 'b', 'Epsilon zeta eta theta.', { title: 'Council backs tram line' }),
      passageRow(3, 'a', 'Iota kappa lambda mu.', { title: 'Council backs tram line' }),
    ]);
    const scores = new Map([
      [99, 10],
      [1, 3],
      [2, 2],
      [3, 1],
    ]);
    expect(pickResults(scores, rows, { k: 5, maxPerArticle: 2 }).map((p) => p.id)).toEqual([1, 3]);
  });

  it(`leaves out another article's passage that repeats over ${NEAR_DUPLICATE_SHARE * 100}% of an earlier result's text`, () => {
    const rows = rowMap([
      passageRow(1, 'a', wire, { title: 'Council backs tram line' }),
      passageRow(2, 'b', `${wire} Local shops welcomed the news.`, { title: 'Trams are coming' }),
      passageRow(3, 'a', `${wire} More follows.`, { title: 'Council backs tram line' }),
      passageRow(4, 'c', 'Tram fares in the city will rise by ten cents, the council said on Monday.', { title: 'Tram fares to rise' }),
    ]);
    const scores = new Map([
      [1, 4],
      [2, 3],
      [3, 2],
      [4, 1],
    ]);
    // Passage 3 repeats passage 1 too, but of its own article: kept.
    expect(pickResults(scores, rows, { k: 5, maxPerArticle: 2 }).map((p) => p.id)).toEqual([1, 3, 4]);
  });
});

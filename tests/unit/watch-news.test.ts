import { describe, expect, it } from 'vitest';
import { articleFacts, namesOf, novelty, remember, MAX_KNOWN_ARTICLES } from '../../src/answer/watch-news.js';

const FIRST = {
  title: 'Harbour tunnel approved by the Port Ellis council',
  text: 'The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link that will cost 410 million pounds. Construction starts next spring, the council said.',
};

describe('watch news', () => {
  it('takes names from words capitalized inside sentences, and numbers as facts', () => {
    expect([...namesOf(FIRST.text)].sort()).toEqual(['ellis', 'port', 'tuesday']);
    expect(articleFacts(FIRST.title, FIRST.text).sort()).toEqual(['#1.2', '#410', 'ellis', 'port', 'tuesday']);
    expect(articleFacts('', 'It will cost 381,000 pounds.')).toEqual(['#381000']);
  });

  it('finds a new number or name, and nothing in a rewrite or the same facts retold', () => {
    const known = new Set(articleFacts(FIRST.title, FIRST.text));
    expect(novelty({ title: 'Council backs the tunnel', text: FIRST.text }, new Set(), [FIRST.text])).toBeNull();
    const retold = { title: 'What the vote means', text: 'A road link of 1.2 km, the harbour tunnel, won the approval of the Port Ellis council on Tuesday. It will cost 410 million pounds.' };
    expect(novelty(retold, known, [FIRST.text])).toBeNull();
    const news = { title: 'Tunnel cost rises', text: 'The harbour tunnel in Port Ellis will cost 455 million pounds after a survey by Arup. Work still starts next spring.' };
    expect(novelty(news, known, [FIRST.text])).toEqual({ sentences: ['The harbour tunnel in Port Ellis will cost 455 million pounds after a survey by Arup.'], facts: ['#455', 'arup'] });
  });

  it('remembers facts and the latest articles, capped', () => {
    let known = { facts: [] as string[], articles: [] as string[] };
    for (let i = 0; i < MAX_KNOWN_ARTICLES + 5; i++) known = remember(known, `a${i}`, [`#${i}`, 'port']);
    expect(known.articles).toHaveLength(MAX_KNOWN_ARTICLES);
    expect(known.articles.at(-1)).toBe(`a${MAX_KNOWN_ARTICLES + 4}`);
    expect(known.facts.filter((f) => f === 'port')).toHaveLength(1);
  });
});

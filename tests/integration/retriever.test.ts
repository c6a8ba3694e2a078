import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Article } from '../../src/core/types.js';
import { Retriever } from '../../src/retrieval/retriever.js';
import { NewsStore } from '../../src/retrieval/store.js';
import { tempDir } from '../helpers/env.js';

function article(id: string, title: string, date: string, paragraphs: string[]): { article: Article; passages: { position: number; start: number; end: number; text: string }[] } {
  const text = paragraphs.join('\n\n');
  let start = 0;
  const passages = paragraphs.map((p, position) => {
    const out = { position, start, end: start + p.length, text: p };
    start += p.length + 2;
    return out;
  });
  return { article: { id, title, text, date, source: 'test', url: null, author: null, origin: `t/${id}.txt`, contentHash: `h-${id}` }, passages };
}

describe('Retriever ranking', () => {
  let dir: string;
  let cleanup: () => void;
  let store: NewsStore;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    store = NewsStore.open(dir, { embedding: null, chunkerVersion: 2 });
  });
  afterEach(() => {
    store.close();
    cleanup();
  });

  const asOf = new Date('2024-06-07T12:00:00Z');
  const retriever = () => new Retriever(store, null, { k: 3, mode: 'lexical', maxPerArticle: 1 });

  it('returns the passage of a top article that holds the answer, not the one that repeats the question', async () => {
    store.putArticles([
      article('fest', 'Robot builders gather for annual festival', '2024-06-05', [
        'Thousands of people came out to see robots this weekend, organizers said.',
        'the robotics festival is back, hosted again for the city. the robotics festival has grown every year, and fans of the robotics festival say the hosted festival is the best robotics event in any city.',
        'After a long search that took organizers through many towns, a great deal of paperwork and more meetings than anyone cared to count over the winter months, the festival was hosted this year by Lyon for the first time, officials said in a statement on their website.',
        'Tickets sold out within hours.',
      ]),
      ...Array.from({ length: 12 }, (_, i) => article(`filler${i}`, `City council notes ${i}`, '2024-06-04', [`The city council met for session ${i} and discussed roads, parks and the budget.`])),
    ]);
    const { passages } = await retriever().search('Which city hosted the robotics festival this week?', { asOf });
    expect(passages[0]?.article.id).toBe('fest');
    expect(passages[0]?.passage.text).toContain('Lyon');
  });

  it('still ranks a strongly matching article above one that only looks like an answer', async () => {
    store.putArticles([
      article('match', 'Mayor unveils plan for new city library', '2024-06-06', [
        'The mayor unveiled a plan for a new city library on Monday, promising more books and longer hours.',
        'The new library plan was unveiled at city hall and includes a reading garden.',
      ]),
      article('noise', 'Weekend roundup', '2024-06-06', ['Paris, Berlin and Madrid saw sunshine. A plan was mentioned by Lopez.']),
    ]);
    const { passages } = await retriever().search('What did the mayor unveil a plan for?', { asOf });
    expect(passages.map((p) => p.article.id)).toEqual(['match', 'noise']);
  });

  it('shows a wire story run by several outlets under different headlines once', async () => {
    const wire =
      'The city council approved a new tram line on Tuesday after a long debate, with construction to start next spring and the first trams running by 2027, the mayor said in a statement.';
    store.putArticles([
      article('outlet-a', 'Council backs tram line', '2024-06-05', [wire]),
      article('outlet-b', 'Trams are coming: council says yes', '2024-06-05', [`${wire} Local shops welcomed the news.`]),
      article('other', 'Tram fares to rise', '2024-06-04', ['Tram fares in the city will rise by ten cents, the council said on Monday.']),
    ]);
    const { passages } = await retriever().search('When will the new tram line the council approved start running?', { asOf });
    const ids = passages.map((p) => p.article.id);
    expect(ids.filter((id) => id === 'outlet-a' || id === 'outlet-b')).toHaveLength(1);
    expect(ids).toContain('other');
  });
});

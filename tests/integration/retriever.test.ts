import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAnswering } from '../../src/app/answering.js';
import type { Article, RetrievalMode } from '../../src/core/types.js';
import type { Embedder } from '../../src/core/embedder.js';
import type { Retriever } from '../../src/retrieval/retriever.js';
import type { RetrievalStore } from '../../src/store/ports.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir, unitVector } from '../helpers/env.js';
import { openTestStore } from '../helpers/test-store.js';

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

/** The retriever the app builds, returning k 3 with one passage per article. */
function retrieverFor(store: RetrievalStore, embedder: Embedder | null, mode: RetrievalMode): Retriever {
  return buildAnswering({ store, embedder, retrieval: { topK: 3, mode, maxPassagesPerArticle: 1 } }).retriever;
}

describe('Retriever ranking', () => {
  let dir: string;
  let cleanup: () => void;
  let store: SqliteStore;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    store = openTestStore(dir, { chunkerVersion: 2 });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  const asOf = new Date('2024-06-07T12:00:00Z');
  const retriever = () => retrieverFor(store, null, 'lexical');

  it('returns the passage of a top article that holds the answer, not the one that repeats the question', async () => {
    await store.putArticles([
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
    await store.putArticles([
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
    await store.putArticles([
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

/**
 * A toy embedding model with meaning: words of one concept share a dimension ("automaker",
 * "carmaker"), other words hash to their own. Stands in for a real model in ranking tests.
 */
function conceptEmbedder(): Embedder {
  const concepts: Record<string, number> = { automaker: 0, carmaker: 0, automobile: 0, manufacturer: 0, recall: 1, recalls: 1, recalled: 1, recalling: 1, withdrawn: 1, withdraws: 1, back: 1, sedans: 2, vehicles: 2, cars: 2 };
  const dimension = 32;
  return {
    modelId: 'test/concepts',
    dimension,
    embed(texts) {
      return Promise.resolve(
        texts.map((text) => {
          const v = new Float32Array(dimension);
          for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
            const concept = concepts[word];
            if (concept !== undefined) v[concept]! += 1;
            else v[4 + ([...word].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) % (dimension - 4))]! += 0.2;
          }
          const norm = Math.hypot(...v) || 1;
          return v.map((x) => x / norm);
        }),
      );
    },
  };
}

/** A model with random weights: every text gets a vector that means nothing. */
function randomEmbedder(): Embedder {
  return {
    modelId: 'test/random',
    dimension: 16,
    embed(texts) {
      return Promise.resolve(texts.map((text) => unitVector(16, [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_003, 1))));
    },
  };
}

describe('Retriever hybrid fusion', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());
  const asOf = new Date('2024-06-07T12:00:00Z');

  async function storeWith(embedder: Embedder, items: ReturnType<typeof article>[]): Promise<SqliteStore> {
    const store = openTestStore(dir, { embedding: { modelId: embedder.modelId, dimension: embedder.dimension }, chunkerVersion: 2 });
    const withVectors = await Promise.all(
      items.map(async ({ article: a, passages }) => {
        const vectors = await embedder.embed(passages.map((p) => `${a.title}\n${p.text}`));
        return { article: a, passages: passages.map((p, i) => ({ ...p, vector: vectors[i]! })) };
      }),
    );
    await store.putArticles(withVectors);
    return store;
  }

  const corpus = () => [
    article('recall', 'Nordauto calls back sedans', '2024-06-05', ['Nordauto, the carmaker, is recalling 50,000 sedans over a brake fault.']),
    ...Array.from({ length: 8 }, (_, i) =>
      article(`parade${i}`, `Which parade ${i} this summer`, '2024-06-04', [`The summer parade ${i} which the town holds drew a crowd, organisers said.`]),
    ),
    article('fair', 'Town fair opens', '2024-06-03', ['The town fair opened with rides and food stalls.']),
  ];

  it('finds a passage that shares no word with the question when the model puts it first', async () => {
    const embedder = conceptEmbedder();
    const store = await storeWith(embedder, corpus());
    try {
      const question = 'Which automaker is withdrawing vehicles this summer?';
      const lexical = await retrieverFor(store, embedder, 'lexical').search(question, { asOf });
      expect(lexical.passages.map((p) => p.article.id)).not.toContain('recall');
      const hybrid = await retrieverFor(store, embedder, 'hybrid').search(question, { asOf });
      expect(hybrid.passages.map((p) => p.article.id)).toContain('recall');
      const found = hybrid.passages.find((p) => p.article.id === 'recall')!;
      expect(found.vectorRank).toBe(1);
      expect(found.lexicalRank).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('keeps the lexical results when the model means nothing', async () => {
    const embedder = randomEmbedder();
    // A store of some size: a random model puts a given passage in its top 1% by chance only.
    const notes = Array.from({ length: 400 }, (_, i) => article(`note${i}`, `Weather note ${i}`, '2024-06-01', [`Skies were clear over district ${i} on Saturday.`]));
    const store = await storeWith(embedder, [...corpus(), ...notes]);
    try {
      for (const question of ['Which parade drew a crowd this summer?', 'When did the town fair open?', 'Which carmaker is recalling sedans?']) {
        const lexical = await retrieverFor(store, embedder, 'lexical').search(question, { asOf });
        const hybrid = await retrieverFor(store, embedder, 'hybrid').search(question, { asOf });
        expect(hybrid.mode).toBe('hybrid');
        expect(hybrid.passages[0]?.passage.id).toBe(lexical.passages[0]?.passage.id);
      }
    } finally {
      await store.close();
    }
  });
});

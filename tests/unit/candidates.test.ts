import { describe, expect, it } from 'vitest';
import { stem } from '../../src/core/text.js';
import type { RetrievalMode } from '../../src/core/types.js';
import { addArticlePassages, findCandidates } from '../../src/retrieval/candidates.js';
import type { Embedder } from '../../src/core/embedder.js';
import { MAX_MATCH_TERMS, queryTerms } from '../../src/retrieval/query.js';
import { fakeRetrievalStore as fakeStore } from '../helpers/fake-retrieval-store.js';
import { passageRow } from '../helpers/rows.js';

function fakeEmbedder(): Embedder & { embedded: string[] } {
  const embedded: string[] = [];
  return {
    modelId: 'test',
    dimension: 2,
    embedded,
    embed(texts) {
      embedded.push(...texts);
      return Promise.resolve(texts.map(() => new Float32Array([1, 0])));
    },
  };
}

const QUESTION = 'Which carmaker recalled sedans?';
const rows = [passageRow(1, 'a', 'Nordauto recalled sedans.'), passageRow(2, 'b', 'Sedans sell well.'), passageRow(3, 'c', 'A carmaker story.')];
const plan = (mode: RetrievalMode) => ({ mode, terms: queryTerms(QUESTION), depth: 100 });

describe('findCandidates', () => {
  it('in hybrid mode, fetches both lists and the passages of their union, lexical first', async () => {
    const { store, calls } = fakeStore({ lexical: [{ id: 1, score: 9 }, { id: 2, score: 4 }], vector: [{ id: 3, similarity: 0.9 }, { id: 1, similarity: 0.8 }], rows, indexed: 500 });
    const embedder = fakeEmbedder();
    const found = await findCandidates(store, embedder, QUESTION, plan('hybrid'));
    expect(embedder.embedded).toEqual([QUESTION]);
    expect(found.lexical).toEqual([{ id: 1, score: 9 }, { id: 2, score: 4 }]);
    expect(found.vector).toEqual([{ id: 3, score: 0.9 }, { id: 1, score: 0.8 }]);
    expect([...found.rows.keys()]).toEqual([1, 2, 3]);
    expect(found.storedVectors).toBe(500);
    expect(calls.find((c) => c.method === 'lexicalSearch')!.args).toEqual([['carmaker', 'recalled', 'sedans'], 100]);
    expect(calls.find((c) => c.method === 'getPassages')!.args).toEqual([[1, 2, 3]]);
    // The idf is of the question's stems, for the evidence stage.
    expect(found.idf.has(stem('carmaker'))).toBe(true);
  });

  it('in lexical mode, neither embeds the question nor asks for vectors', async () => {
    const { store, methods } = fakeStore({ lexical: [{ id: 2, score: 3 }], vector: [{ id: 3, similarity: 0.9 }], rows });
    const embedder = fakeEmbedder();
    const found = await findCandidates(store, embedder, QUESTION, plan('lexical'));
    expect(embedder.embedded).toEqual([]);
    expect(methods()).not.toContain('vectorSearch');
    expect(found.vector).toEqual([]);
    // Without an index, the vector list's length stands in for the store's size.
    expect(found.storedVectors).toBe(0);
  });

  it('in vector mode, makes no lexical search', async () => {
    const { store, methods } = fakeStore({ lexical: [{ id: 2, score: 3 }], vector: [{ id: 3, similarity: 0.9 }], rows });
    const found = await findCandidates(store, fakeEmbedder(), QUESTION, plan('vector'));
    expect(methods()).not.toContain('lexicalSearch');
    expect(found.lexical).toEqual([]);
    expect([...found.rows.keys()]).toEqual([3]);
    expect(found.storedVectors).toBe(1);
  });

  it('matches a long question on its rarest words only', async () => {
    const question = 'Which small town near the river did the flood of the century hit hardest this cold rainy spring season?';
    const terms = queryTerms(question);
    expect(terms.length).toBeGreaterThan(MAX_MATCH_TERMS);
    const { store, calls } = fakeStore({ idf: new Map([[stem('flood'), 9], [stem('river'), 8]]), rows });
    await findCandidates(store, null, question, { mode: 'lexical', terms, depth: 50 });
    const [matched] = calls.find((c) => c.method === 'lexicalSearch')!.args as [string[]];
    expect(matched).toHaveLength(MAX_MATCH_TERMS);
    expect(matched).toEqual(expect.arrayContaining(['flood', 'river']));
  });

  it('reads no passages when neither list found anything', async () => {
    const { store, methods } = fakeStore({ rows });
    const found = await findCandidates(store, null, QUESTION, plan('hybrid'));
    expect(found.rows.size).toBe(0);
    expect(methods()).not.toContain('getPassages');
  });
});

describe('addArticlePassages', () => {
  it('reads the passages of the given articles that the rows lack', async () => {
    const more = [...rows, passageRow(4, 'a', 'More on the recall.', { position: 1 }), passageRow(5, 'a', 'Even more.', { position: 2 })];
    const { store, calls } = fakeStore({ rows: more });
    const have = new Map([[1, more[0]!]]);
    await addArticlePassages(store, have, ['a'], 2);
    expect(calls.find((c) => c.method === 'passageIdsOf')!.args).toEqual([['a'], 2]);
    expect(calls.find((c) => c.method === 'getPassages')!.args).toEqual([[4]]);
    expect([...have.keys()]).toEqual([1, 4]);
  });

  it('asks nothing for no articles', async () => {
    const { store, calls } = fakeStore({ rows });
    await addArticlePassages(store, new Map(), [], 20);
    expect(calls).toEqual([]);
  });
});

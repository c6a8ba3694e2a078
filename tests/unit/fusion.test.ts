import { describe, expect, it } from 'vitest';
import { convexCombination, fuseLists, fuseScores, lexicalShare, ranksAfterPrior, topArticles, vectorRegion, vectorShare, type FusionLists } from '../../src/retrieval/fusion.js';

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/** Fusion input from BM25 and similarity maps, with the list bounds taken from the vector list of `depth` best. */
function lists(bm25: Map<number, number>, similarity: Map<number, number>, depth: number): FusionLists {
  const vector = [...similarity.values()].sort((a, b) => b - a).slice(0, depth);
  return { bm25, similarity, bestBm25: Math.max(...bm25.values()), bestSimilarity: vector[0]!, lastSimilarity: vector[vector.length - 1]! };
}

const byScore = (fused: Map<number, number>) => [...fused].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);

describe('score normalization', () => {
  it('gives BM25 as a share of the best, 0 when nothing matched', () => {
    expect(lexicalShare(5, 10)).toBe(0.5);
    expect(lexicalShare(10, 10)).toBe(1);
    expect(lexicalShare(0, 10)).toBe(0);
    expect(lexicalShare(3, 0)).toBe(0);
  });

  it('places a similarity in the vector list top region: 1 at the first hit, 0 at the last and below', () => {
    expect(vectorShare(0.96, 0.96, 0.93)).toBe(1);
    expect(vectorShare(0.93, 0.96, 0.93)).toBe(0);
    expect(vectorShare(0.945, 0.96, 0.93)).toBeCloseTo(0.5, 9);
    expect(vectorShare(0.5, 0.96, 0.93)).toBe(0);
    expect(vectorShare(0.99, 0.96, 0.93)).toBe(1);
    // A list whose hits all tie gives credit to what reaches them only.
    expect(vectorShare(0.8, 0.8, 0.8)).toBe(1);
    expect(vectorShare(0.7, 0.8, 0.8)).toBe(0);
  });

  it('takes the top 1% of the store as the model top region, within the list', () => {
    expect(vectorRegion(100, 110_000)).toBe(100);
    expect(vectorRegion(100, 5_000)).toBe(50);
    expect(vectorRegion(100, 410)).toBe(5);
    expect(vectorRegion(100, 12)).toBe(1);
    expect(vectorRegion(3, 110_000)).toBe(3);
  });

  it('combines the two shares convexly', () => {
    expect(convexCombination(1, 0, 0.4)).toBeCloseTo(0.6, 9);
    expect(convexCombination(0, 1, 0.4)).toBeCloseTo(0.4, 9);
    expect(convexCombination(0.5, 0.5, 0.4)).toBeCloseTo(0.5, 9);
    expect(convexCombination(0.3, 0.9, 0)).toBe(0.3);
  });
});

describe('fuseScores', () => {
  const bm25 = new Map([
    [1, 20],
    [2, 18],
    [3, 15],
    [4, 9],
  ]);

  it('keeps the lexical order at weight 0 and multiplies in the prior', () => {
    const similarity = new Map([
      [1, 0.1],
      [2, 0.2],
      [3, 0.9],
      [4, 0.8],
      [5, 0.95],
    ]);
    const input = lists(bm25, similarity, 3);
    expect(byScore(fuseScores([1, 2, 3, 4, 5], input, 0, () => 1)).slice(0, 4)).toEqual([1, 2, 3, 4]);
    const fused = fuseScores([1, 2], input, 0, (id) => (id === 2 ? 2 : 1));
    expect(fused.get(2)).toBeCloseTo(2 * (18 / 20), 9);
  });

  it('lifts the lexical candidates the vector list agrees with and brings in a strong vector-only passage', () => {
    // The model ranks lexical #3 first and a passage without the query's words (5) second.
    const similarity = new Map([
      [3, 0.9],
      [5, 0.85],
      [6, 0.6],
      [1, 0.4],
      [2, 0.3],
      [4, 0.2],
    ]);
    const order = byScore(fuseScores([1, 2, 3, 4, 5, 6], lists(bm25, similarity, 3), 0.4, () => 1));
    expect(order[0]).toBe(3);
    // 5 matched no query word: it ranks above the weak lexical candidate, below the strong ones.
    expect(order.indexOf(5)).toBeGreaterThan(order.indexOf(1));
    expect(order.indexOf(5)).toBeLessThan(order.indexOf(4));
  });

  it('gives the same order whatever the scale of the model similarities', () => {
    const ranked = [3, 5, 1, 6, 2, 4];
    const compressed = new Map(ranked.map((id, i) => [id, 0.96 - i * 0.005])); // a static word-vector average
    const spread = new Map(ranked.map((id, i) => [id, 0.8 - i * 0.12])); // a trained sentence encoder
    const ids = [1, 2, 3, 4, 5, 6];
    expect(byScore(fuseScores(ids, lists(bm25, compressed, 4), 0.4, () => 1))).toEqual(byScore(fuseScores(ids, lists(bm25, spread, 4), 0.4, () => 1)));
  });

  it('leaves the lexical order alone when the vector list is random (a meaningless model)', () => {
    // 20 lexical candidates among 20,000 passages; the model ranks all passages at random.
    const next = random(7);
    const corpus = 20_000;
    const lexical = new Map(Array.from({ length: 20 }, (_, i) => [i, 30 - i] as [number, number]));
    let unchanged = 0;
    const trials = 30;
    for (let t = 0; t < trials; t++) {
      const similarity = new Map(Array.from({ length: corpus }, (_, id) => [id, 0.95 + 0.01 * next()] as [number, number]));
      const vectorTop = [...similarity].sort((a, b) => b[1] - a[1]).slice(0, 100);
      const input = lists(lexical, similarity, 100);
      const ids = [...new Set([...lexical.keys(), ...vectorTop.map(([id]) => id)])];
      const order = byScore(fuseScores(ids, input, 0.4, () => 1));
      if (order.filter((id) => lexical.has(id)).every((id, i) => id === i)) unchanged++;
      // Whatever the draw, every lexical candidate above 0.4 / 0.6 of the best BM25 (the first ten)
      // stays above every vector-only passage.
      const firstVectorOnly = order.findIndex((id) => !lexical.has(id));
      expect(firstVectorOnly).toBeGreaterThanOrEqual(10);
    }
    // A lexical candidate falls in the random top 100 of 20,000 only by chance (about 1 in 10 draws).
    expect(unchanged).toBeGreaterThan(trials * 0.75);
  });
});

describe('topArticles', () => {
  it('lists the first distinct articles of a ranked list', () => {
    const article = new Map([
      [1, 'a'],
      [2, 'a'],
      [3, 'b'],
      [5, 'c'],
      [6, 'd'],
    ]);
    const list = [1, 2, 4, 3, 5, 6].map((id) => ({ id, score: 1 }));
    expect(topArticles(list, (id) => article.get(id), 3)).toEqual(['a', 'b', 'c']);
    expect(topArticles(list, (id) => article.get(id), 0)).toEqual([]);
    expect(topArticles([], (id) => article.get(id), 3)).toEqual([]);
  });
});

describe('fuseLists', () => {
  const lexical = [
    { id: 1, score: 20 },
    { id: 2, score: 10 },
  ];
  const vector = [
    { id: 3, score: 0.9 },
    { id: 1, score: 0.8 },
    { id: 4, score: 0.7 },
  ];

  it('fuses both lists when both found something, over their union, with the top region sized by the store', () => {
    const prior = (id: number) => (id === 2 ? 3 : 1);
    const fused = fuseLists(lexical, vector, 0.3, 300, prior);
    // 300 stored vectors: a top region of 3 hits, from 0.9 (share 1) down to 0.7 (share 0).
    const expected = fuseScores([1, 2, 3, 4], lists(new Map([[1, 20], [2, 10]]), new Map([[3, 0.9], [1, 0.8], [4, 0.7]]), 3), 0.3, prior);
    expect(fused).toEqual(expected);
    expect([...fused.keys()]).toEqual([1, 2, 3, 4]);
    expect(fused.get(1)).toBeCloseTo(0.7 * 1 + 0.3 * 0.5, 12);
    expect(fused.get(2)).toBeCloseTo(3 * 0.7 * 0.5, 12);
    // A store of 100 vectors: a region of one hit, so only the nearest passage gets vector credit.
    expect(fuseLists(lexical, vector, 0.3, 100, () => 1).get(1)).toBeCloseTo(0.7, 12);
  });

  it('with one list, scores its raw score times the prior', () => {
    expect(fuseLists(lexical, [], 0.3, 0, (id) => id)).toEqual(new Map([[1, 20], [2, 20]]));
    expect(fuseLists([], vector, 0.3, 300, () => 2)).toEqual(new Map([[3, 1.8], [1, 1.6], [4, 1.4]]));
    expect(fuseLists([], [], 0.3, 0, () => 1).size).toBe(0);
  });
});

describe('ranksAfterPrior', () => {
  it('ranks a list by raw score times prior, ties by lower id', () => {
    const list = [
      { id: 7, score: 10 },
      { id: 3, score: 8 },
      { id: 5, score: 5 },
      { id: 1, score: 5 },
    ];
    expect(ranksAfterPrior(list, (id) => (id === 3 ? 2 : 1))).toEqual(new Map([[3, 1], [7, 2], [1, 3], [5, 4]]));
    expect(ranksAfterPrior([], () => 1).size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import type { PassageFit } from '../../src/retrieval/evidence.js';
import {
  articlesToRescore,
  LEDE_WEIGHT,
  LIST_ARTICLES_RESCORED,
  listLeaders,
  passageFit,
  RESCORE_ARTICLES,
  rescorePassages,
} from '../../src/retrieval/passage-choice.js';
import { passageRow, rowMap } from '../helpers/rows.js';

describe('listLeaders', () => {
  const articleOf = (id: number) => `art${Math.floor(id / 10)}`;
  const list = (ids: number[]) => ids.map((id) => ({ id, score: 1 }));

  it(`takes the first ${LIST_ARTICLES_RESCORED} articles of each list when both found something`, () => {
    expect(listLeaders(list([10, 11, 20, 30, 40]), list([50, 10, 60, 70]), articleOf)).toEqual(['art1', 'art2', 'art3', 'art5', 'art1', 'art6']);
  });

  it('takes none with a single list', () => {
    expect(listLeaders(list([10, 20]), [], articleOf)).toEqual([]);
    expect(listLeaders([], list([10, 20]), articleOf)).toEqual([]);
  });
});

describe('articlesToRescore', () => {
  // Passage id n belongs to article "a<n>" and scores 100 - n: article a1 is best.
  const many = new Map(Array.from({ length: 15 }, (_, i) => [i + 1, 100 - (i + 1)] as [number, number]));
  const articleOf = (id: number) => (id <= 15 ? `a${id}` : undefined);

  it(`takes the best ${RESCORE_ARTICLES} articles by their best passage, with that score`, () => {
    const chosen = articlesToRescore(many, articleOf, []);
    expect([...chosen.keys()]).toEqual(Array.from({ length: RESCORE_ARTICLES }, (_, i) => `a${i + 1}`));
    expect(chosen.get('a1')).toBe(99);
  });

  it('adds the list leaders wherever they rank', () => {
    const chosen = articlesToRescore(many, articleOf, ['a14', 'a2']);
    expect(chosen.size).toBe(RESCORE_ARTICLES + 1);
    expect(chosen.get('a14')).toBe(86);
    expect(chosen.has('a15')).toBe(false);
  });

  it('scores an article by its best passage and skips passages without a positive score or an article', () => {
    const fused = new Map([
      [1, 5],
      [2, 0],
      [3, 9],
      [99, 50],
    ]);
    const of = (id: number) => ({ 1: 'x', 2: 'y', 3: 'x' } as Record<number, string>)[id];
    expect(articlesToRescore(fused, of, [])).toEqual(new Map([['x', 9]]));
  });
});

describe('passageFit and rescorePassages', () => {
  const fit = (answer: number, coverage: number): PassageFit => ({ answer, coverage });

  it('adds answer evidence, coverage, the lede and the own score share to 1', () => {
    expect(passageFit(fit(0, 0), false, 0, 10)).toBe(1);
    expect(passageFit(fit(0.5, 0.25), false, 5, 10)).toBe(1 + 0.5 + 0.25 + 0.5);
    expect(passageFit(fit(0, 0), true, 0, 10)).toBe(1 + LEDE_WEIGHT);
  });

  it('scores every passage of a re-scored article as article score x fit, read passages included', () => {
    const rows = rowMap([
      passageRow(1, 'a', 'matches the question', { position: 1 }),
      passageRow(2, 'a', 'holds the answer', { position: 2 }),
      passageRow(3, 'b', 'other article', { position: 1 }),
      passageRow(4, 'a', 'the lede', { position: 0 }),
    ]);
    const fused = new Map([
      [1, 10],
      [3, 4],
    ]);
    const fits: Record<number, PassageFit> = { 1: fit(0, 0.5), 2: fit(1, 0.5), 3: fit(1, 1), 4: fit(0, 0) };
    const out = rescorePassages(fused, rows, new Map([['a', 10]]), (row) => fits[row.passage.id]!);
    expect(out.get(1)).toBe(10 * (1 + 0.5 + 1));
    // Passage 2 was not a candidate: read for re-scoring, it wins on evidence.
    expect(out.get(2)).toBe(10 * (1 + 1 + 0.5));
    expect(out.get(4)).toBe(10 * (1 + LEDE_WEIGHT));
    // Article b was not re-scored: its candidate keeps its fused score.
    expect(out.get(3)).toBe(4);
    // The input is left as it was.
    expect(fused).toEqual(new Map([[1, 10], [3, 4]]));
  });
});

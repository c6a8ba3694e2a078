import { describe, expect, it } from 'vitest';
import type { PassageFit } from '../../src/retrieval/evidence.js';
import { ANSWER_TYPE_WEIGHT, candidatePrior, EVIDENCE_DEPTH, evidenceContenders } from '../../src/retrieval/prior.js';
import { timeFactor } from '../../src/retrieval/time.js';
import { passageRow, rowMap } from '../helpers/rows.js';

const list = (ids: number[]) => ids.map((id, i) => ({ id, score: 100 - i }));

describe('evidenceContenders', () => {
  it(`takes the first ${EVIDENCE_DEPTH} of each list`, () => {
    const lexical = list(Array.from({ length: 80 }, (_, i) => i + 1));
    const vector = list(Array.from({ length: 80 }, (_, i) => 1000 + i));
    const contenders = evidenceContenders(lexical, vector);
    expect(contenders.size).toBe(2 * EVIDENCE_DEPTH);
    expect(contenders.has(EVIDENCE_DEPTH)).toBe(true);
    expect(contenders.has(EVIDENCE_DEPTH + 1)).toBe(false);
    expect(contenders.has(1000 + EVIDENCE_DEPTH - 1)).toBe(true);
    expect(evidenceContenders(list([1, 2]), list([2, 3]))).toEqual(new Set([1, 2, 3]));
  });
});

describe('candidatePrior', () => {
  const asOf = new Date('2024-05-15T12:00:00Z');
  const rows = rowMap([passageRow(1, 'a', 'x', { date: '2024-05-14' }), passageRow(2, 'b', 'y', { date: '2024-01-01' }), passageRow(3, 'c', 'z', { date: null })]);
  const fits: Record<number, PassageFit> = { 1: { answer: 0.8, coverage: 1 }, 2: { answer: 0.4, coverage: 1 }, 3: { answer: 1, coverage: 1 } };
  const evidence = (row: { passage: { id: number } }) => fits[row.passage.id]!;

  it('multiplies the date fit, the conversation weight and the answer evidence of contenders', () => {
    const prior = candidatePrior({ rows, asOf, window: null, preferArticles: new Map([['a', 2]]), contenders: new Set([1, 3]), evidence });
    expect(prior(1)).toBe(timeFactor('2024-05-14', asOf, null) * 2 * (1 + ANSWER_TYPE_WEIGHT * 0.8));
    // Not a contender: its evidence is not counted.
    expect(prior(2)).toBe(timeFactor('2024-01-01', asOf, null));
    expect(prior(3)).toBe(1 + ANSWER_TYPE_WEIGHT);
  });

  it('gives 0 to a passage it has no row for, and uses the window', () => {
    const window = { from: '2024-01-01', to: '2024-01-31', phrase: 'in january' };
    const prior = candidatePrior({ rows, asOf, window, contenders: new Set(), evidence });
    expect(prior(99)).toBe(0);
    expect(prior(2)).toBe(timeFactor('2024-01-01', asOf, window));
    expect(prior(2)).toBeGreaterThan(timeFactor('2024-01-01', asOf, null));
  });
});

import { describe, expect, it } from 'vitest';
import { VECTOR_LOG_KEEP, consistencyReport, trimVectorLog, type ConsistencyCounts } from '../../src/store/contract.js';
import type { VectorLog } from '../../src/store/ports.js';

/** A change log of entries first..last in memory. */
function memoryLog(first: number, last: number): VectorLog & { entries: number[] } {
  const entries = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return {
    entries,
    lastSeq: async () => entries.at(-1) ?? 0,
    firstSeq: async () => entries[0] ?? null,
    deleteBefore: async (seq) => {
      while (entries.length && entries[0]! < seq) entries.shift();
    },
  };
}

const CONSISTENT: ConsistencyCounts = { articles: 2, passages: 3, vectors: 3, lexical: 3, lexicalExpected: 3, lexicalStatistics: null, emptyArticles: 0, orphanVectors: 0, embedded: true };

describe('store contract rules', () => {
  it('keeps the newest VECTOR_LOG_KEEP entries of the change log (docs/architecture.md says 100,000)', async () => {
    expect(VECTOR_LOG_KEEP).toBe(100_000);
    const log = memoryLog(1, 10);
    await trimVectorLog(log, 4);
    expect(log.entries).toEqual([7, 8, 9, 10]);
    await trimVectorLog(log, 4);
    expect(log.entries).toEqual([7, 8, 9, 10]);
    const short = memoryLog(1, 3);
    await trimVectorLog(short);
    expect(short.entries).toEqual([1, 2, 3]);
    const empty = memoryLog(1, 0);
    await trimVectorLog(empty, 2);
    expect(empty.entries).toEqual([]);
  });

  it('reports a consistent store as ok, and names every disagreement', async () => {
    expect(await consistencyReport(CONSISTENT, null)).toEqual({ ok: true, problems: [], articles: 2, passages: 3, vectors: 3, lexical: 3, indexed: null });
    const report = await consistencyReport({ ...CONSISTENT, vectors: 2, lexical: 1, lexicalExpected: 2, lexicalStatistics: 4, emptyArticles: 1, orphanVectors: 1 }, null);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      '2 passages with words but 1 in the lexical index',
      '3 passages but the lexical statistics count 4',
      '1 articles without passages',
      '1 vectors without passages',
      '3 passages but 2 vectors',
    ]);
    expect((await consistencyReport({ ...CONSISTENT, lexical: 2 }, null)).problems).toEqual(['3 passages but 2 in the lexical index']);
    expect((await consistencyReport({ ...CONSISTENT, vectors: 0, embedded: false }, null)).ok).toBe(true);
  });
});

import type { DerivedVectorIndex } from './derived-index.js';
import type { ConsistencyReport, VectorLog } from './ports.js';

/**
 * The rules every backend follows, defined once (each backend keeps only its SQL): how much of
 * the vector change log an ingest run keeps, and what counts as a consistent store. The store
 * contract tests (tests/integration/store-contract.test.ts) run them on both backends.
 */

/**
 * Vector change-log entries kept after each ingest run (the newest ones), for readers catching
 * up; a reader that fell further behind compares ids with the stored vectors once instead.
 */
export const VECTOR_LOG_KEEP = 100_000;

/** Trims a store's vector change log to its newest `keep` entries: every entry with seq <= last - keep goes. */
export async function trimVectorLog(log: VectorLog, keep = VECTOR_LOG_KEEP): Promise<void> {
  const last = await log.lastSeq();
  if (last > keep) await log.deleteBefore(last - keep + 1);
}

/** What a backend counts (with its own SQL) for checkConsistency. */
export interface ConsistencyCounts {
  articles: number;
  passages: number;
  vectors: number;
  /** Passages in the lexical index. */
  lexical: number;
  /** Passages the lexical index should hold (every passage, or every passage with words where passages without words are left out). */
  lexicalExpected: number;
  /** The passage count the lexical statistics keep, where the backend keeps its own (null where it does not). */
  lexicalStatistics: number | null;
  /** Articles without passages. */
  emptyArticles: number;
  /** Vectors whose passage is gone. */
  orphanVectors: number;
  /** True when the store holds (or expects) vectors. */
  embedded: boolean;
}

/** The consistency report from a backend's counts and its process's vector index (caught up first). */
export async function consistencyReport(counts: ConsistencyCounts, index: DerivedVectorIndex | null): Promise<ConsistencyReport> {
  const { articles, passages, vectors, lexical } = counts;
  const problems: string[] = [];
  if (lexical !== counts.lexicalExpected) {
    problems.push(`${counts.lexicalExpected} passages${counts.lexicalExpected === passages ? '' : ' with words'} but ${lexical} in the lexical index`);
  }
  if (counts.lexicalStatistics !== null && counts.lexicalStatistics !== passages) problems.push(`${passages} passages but the lexical statistics count ${counts.lexicalStatistics}`);
  if (counts.emptyArticles) problems.push(`${counts.emptyArticles} articles without passages`);
  if (counts.orphanVectors) problems.push(`${counts.orphanVectors} vectors without passages`);
  if (counts.embedded && vectors !== passages) problems.push(`${passages} passages but ${vectors} vectors`);
  let indexed: number | null = null;
  if (index) {
    await index.update();
    indexed = index.size;
    if (indexed !== vectors) problems.push(`${vectors} vectors but ${indexed} in the HNSW index`);
  }
  return { ok: problems.length === 0, problems, articles, passages, vectors, lexical, indexed };
}

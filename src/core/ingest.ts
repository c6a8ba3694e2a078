/** The ingest model shared by the bot, the app and ingest: what can be asked for, and what a run did. */

/**
 * What an ingest can be asked for: the one request type of the bot's /ingest and /reingest, the
 * feed poll, the first-run corpus and the ingest worker.
 */
export type IngestRequest =
  | { kind: 'corpus' }
  | ({ kind: 'url'; url: string } & IngestOwner)
  | ({ kind: 'feed'; url: string } & IngestOwner)
  /**
   * Every feed: FEEDS and the feeds stored with /feeds add, each in its own scope; with `scope`,
   * only that scope's (FEEDS belong to the global scope).
   */
  | { kind: 'feeds'; scope?: string }
  /** The corpus (pruned) and every global feed; with a server's `scope`, that server's stored feeds only. */
  | { kind: 'all'; scope?: string };

/** Whose the articles of a request are: a server's id (default: global), and who asked. */
export interface IngestOwner {
  scope?: string;
  /** Discord user id of the moderator who asked. */
  addedBy?: string;
}

/** A skipped article or file and why. */
export interface Skip {
  origin: string;
  reason: string;
}

/** What an ingest run did. */
export interface IngestSummary {
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  /**
   * Skipped items with their reasons: the first `MAX_KEPT_SKIPS` (src/ingest/pipeline.ts) records,
   * and up to as many whole files (a file stopped part-way is never crowded out by its own bad records).
   */
  skipped: Skip[];
  /** Every skipped item, counted. */
  skippedCount: number;
  /** Passages written (new and changed articles). */
  passages: number;
  /** Vectors computed, backfill included. */
  embedded: number;
  /** False when no embedder was available (lexical-only ingest). */
  vectors: boolean;
  durationMs: number;
}

/** True for a skip of a whole file (or page, or feed), not of one record in it ("file#12"). */
export function isFileLevel(origin: string): boolean {
  return !/#\d+$/.test(origin);
}

/** The skips worth showing first: whole files, then records, in order, at most `max`. */
export function notableSkips(summary: IngestSummary, max: number): Skip[] {
  const files = summary.skipped.filter((s) => isFileLevel(s.origin));
  const records = summary.skipped.filter((s) => !isFileLevel(s.origin));
  return [...files, ...records].slice(0, max);
}

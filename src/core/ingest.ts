/**
 * What an ingest can be asked for: the one request type of the bot's /ingest and /reingest, the
 * feed poll, the first-run corpus and the ingest worker.
 */
export type IngestRequest =
  | { kind: 'corpus' }
  | { kind: 'url'; url: string }
  | { kind: 'feed'; url: string }
  /** Every configured feed. */
  | { kind: 'feeds' }
  /** The corpus (pruned) and every configured feed. */
  | { kind: 'all' };

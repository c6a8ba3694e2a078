import { IngestBusyError } from '../../core/errors.js';
import type { IngestRequest, IngestSummary } from '../../core/ingest.js';
import type { Logger } from '../../core/logger.js';
import { FEED_POLL_LEASE, type IngestLease } from './lease.js';

/** What the feed poll drives: the ingest service, seen from its poll. */
export interface FeedPollTarget {
  /** Feeds to poll now: FEEDS and the stored ones of every scope (a round with none is skipped). */
  feeds(): Promise<number>;
  /** Why a round cannot run now (an ingest runs, shutdown), or null. */
  busyReason(): string | null;
  run(request: IngestRequest): Promise<IngestSummary>;
  /** The deployment's lease, or null when only this process's own runs are kept apart. */
  lease: IngestLease | null;
  holder: string;
  logger: Logger;
  /** Told how each round ended (for the feed-poll metric). */
  onRound?: (outcome: 'finished' | 'failed' | 'skipped') => void;
}

/**
 * Re-reads the configured feeds every `intervalMs` in the background; a round is skipped while
 * another ingest runs (here, or in another process holding the lease). With a lease, the
 * process that polls holds a round lease for most of the interval, so several processes (shards)
 * poll the feeds about once per interval between them, not once each. Returns a function that
 * stops polling.
 */
export function startFeedPolling(target: FeedPollTarget, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => void pollRound(target, intervalMs), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function pollRound(target: FeedPollTarget, intervalMs: number): Promise<void> {
  const outcome = await pollOnce(target, intervalMs);
  if (outcome) target.onRound?.(outcome);
}

/** One round; null when there was nothing to poll (no feeds). */
async function pollOnce(target: FeedPollTarget, intervalMs: number): Promise<'finished' | 'failed' | 'skipped' | null> {
  const { lease, holder, logger } = target;
  if ((await target.feeds().catch(() => 1)) === 0) return null;
  const busy = target.busyReason();
  if (busy !== null) {
    logger.info(`feed poll skipped: an ingest is running (${busy})`);
    return 'skipped';
  }
  try {
    if (lease && !(await lease.acquire(FEED_POLL_LEASE, holder, Math.max(1, Math.floor(intervalMs * 0.9))))) {
      logger.info('feed poll skipped: the feeds were polled by another process in this interval');
      return 'skipped';
    }
    const s = await target.run({ kind: 'feeds' });
    logger.info(`feed poll: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.skippedCount} skipped`);
    return 'finished';
  } catch (error) {
    if (!(error instanceof IngestBusyError)) {
      logger.error('feed poll failed', { error });
      return 'failed';
    }
    logger.info(`feed poll skipped: ${error.message}`);
    // This round polled nothing: another process may poll in this interval.
    await lease?.release(FEED_POLL_LEASE, holder).catch(() => {});
    return 'skipped';
  }
}

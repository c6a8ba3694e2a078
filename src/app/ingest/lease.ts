import os from 'node:os';
import { processRunning } from '../../core/process.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { NewsStore } from '../../store/ports.js';

/**
 * A named lease shared by every process of a deployment (a row in the store): at most one holder
 * at a time, until its time to live runs out unless renewed.
 */
export interface IngestLease {
  /** Takes or renews `name` for `holder` for `ttlMs`; false while another holder has it. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives `name` up if `holder` has it. */
  release(name: string, holder: string): Promise<void>;
}

/** Held by the process whose worker is ingesting (any request: /ingest, /reingest, the poll, the first-run corpus). */
export const INGEST_LEASE = 'ingest';
/** Held for most of a poll interval by the process that polled the feeds, so that one poll per interval runs across processes. */
export const FEED_POLL_LEASE = 'feed-poll';
/** Default time to live of the ingest lease; renewed every third of it while the ingest runs. */
export const INGEST_LEASE_TTL_MS = 60_000;

/**
 * A lease holder's name: `host:pid:tag`, so that a holder on this machine whose process is gone
 * (killed, crashed) can be recognised and its lease taken over at once instead of after its time
 * to live.
 */
export function leaseHolderName(tag: string): string {
  return `${os.hostname()}:${process.pid}:${tag}`;
}

/** True for a `host:pid:...` holder on this machine whose process no longer runs. */
export function isDeadLocalHolder(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== os.hostname() || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
  return !processRunning(Number(pid));
}

/**
 * The ingest lease kept in a store (src/store/ports.ts: SQLite on one machine, PostgreSQL across
 * machines). A lease left by a dead process of this machine is taken over at once.
 */
export function storeLease(store: Pick<NewsStore, 'acquireLease' | 'releaseLease' | 'leaseHolder'>): IngestLease {
  return {
    acquire: async (name, holder, ttlMs) => {
      if (await store.acquireLease(name, holder, ttlMs)) return true;
      const current = await store.leaseHolder(name);
      return current !== null && isDeadLocalHolder(current) && store.acquireLease(name, holder, ttlMs, { replacing: current });
    },
    release: (name, holder) => store.releaseLease(name, holder),
  };
}

/**
 * Runs `work` while holding the ingest lease, already taken: renewed every third of its time to
 * live, released at the end (or left to expire if the release fails).
 */
export async function holding<T>(lease: IngestLease, holder: string, ttlMs: number, logger: Logger, work: () => Promise<T>): Promise<T> {
  const renewal = setInterval(() => {
    lease.acquire(INGEST_LEASE, holder, ttlMs).then(
      (held) => held || logger.error('the ingest lease was taken by another process (not renewed in time); two ingests may run at once'),
      (error: unknown) => logger.warn('could not renew the ingest lease', { error: describeError(error) }),
    );
  }, Math.max(1, Math.floor(ttlMs / 3)));
  renewal.unref();
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await lease.release(INGEST_LEASE, holder).catch((error: unknown) => logger.warn('could not release the ingest lease (it expires by itself)', { error: describeError(error) }));
  }
}

/**
 * Runs `work` holding the deployment's ingest lease, waiting for its turn while another process
 * (a bot's worker, another `npm run ingest`) holds it: how the ingest CLI takes turns with the
 * bots. `onWait` is told once when it has to wait.
 */
export async function withIngestLease<T>(lease: IngestLease, holder: string, logger: Logger, work: () => Promise<T>, options: { pollMs?: number; onWait?: () => void } = {}): Promise<T> {
  let told = false;
  while (!(await lease.acquire(INGEST_LEASE, holder, INGEST_LEASE_TTL_MS))) {
    if (!told) options.onWait?.();
    told = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2_000));
  }
  return holding(lease, holder, INGEST_LEASE_TTL_MS, logger, work);
}

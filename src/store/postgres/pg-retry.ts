import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** SQLSTATEs that mean the server went away or is not taking connections yet (class 08, and 57P01-57P03). */
const CONNECTION_STATES = /^(08...|57P0[123])$/;
/** Node's socket errors for a server that is gone or unreachable. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** What node-postgres says when a connection dies or cannot be had in time. */
const LOST = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i;

/** True when an error means the database connection was lost or refused (worth a retry), not that a query was wrong. */
export function isConnectionLoss(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (CONNECTION_STATES.test(code) || SOCKET_CODES.has(code)) return true;
    if (e instanceof Error && LOST.test(e.message)) return true;
  }
  return false;
}

/** First wait after a lost connection; it doubles up to RETRY_MAX_DELAY_MS. */
export const RETRY_FIRST_DELAY_MS = 250;
/** Longest wait between two attempts. */
export const RETRY_MAX_DELAY_MS = 5_000;

/**
 * Runs `attempt` again while it fails because the database connection was lost or refused, with
 * exponential backoff, for at most `deadlineMs` in all; then the last error is thrown (the caller
 * turns it into its usual clear message). An attempt that calls `unsafe()` (a write that has sent
 * its COMMIT: it may have committed) is never repeated. Each retry is logged once as a warning.
 */
export async function withReconnect<T>(
  attempt: (unsafe: () => void) => Promise<T>,
  options: { deadlineMs: number; what: string; logger: Logger; sleep?: (ms: number) => Promise<void> },
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const end = Date.now() + options.deadlineMs;
  let delay = RETRY_FIRST_DELAY_MS;
  let retries = 0;
  for (;;) {
    let repeatable = true;
    try {
      const out = await attempt(() => (repeatable = false));
      if (retries > 0) options.logger.info(`database reachable again: ${options.what} went through after ${retries} ${retries === 1 ? 'retry' : 'retries'}`);
      return out;
    } catch (error) {
      const left = end - Date.now();
      if (!repeatable || !isConnectionLoss(error) || left <= 0) throw error;
      const wait = Math.min(delay, left);
      retries++;
      options.logger.warn(`database unreachable (${describeError(error)}); ${options.what}: retry ${retries} in ${(wait / 1000).toFixed(1)} s (giving up after ${Math.round(options.deadlineMs / 1000)} s)`);
      await sleep(wait);
      delay = Math.min(delay * 2, RETRY_MAX_DELAY_MS);
    }
  }
}

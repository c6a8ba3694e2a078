import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { Config } from '../../config/index.js';
import { ErrorCodes, IngestFailedError, NewsBotError } from '../../core/errors.js';
import type { IngestRequest, IngestSummary } from '../../core/ingest.js';
import type { Logger } from '../../core/logger.js';
import type { NewsStore } from '../../store/ports.js';
import { processEntry } from '../process-entry.js';
import type { FromIngestWorker, ToIngestWorker } from './protocol.js';

/** How far an ingest is: articles read so far, and articles done of the total once it is known. */
export interface IngestStatus {
  kind: IngestRequest['kind'];
  startedAt: number;
  read: number;
  done: number;
  /** Null while the total is not known yet (articles are still being read). */
  total: number | null;
  /** Passages written so far. */
  passages: number;
}

/** "120 of 300 articles", or "45 articles so far" while the total is not known. */
export function describeIngestProgress(status: Pick<IngestStatus, 'read' | 'done' | 'total'>): string {
  return status.total !== null ? `${status.done} of ${status.total} articles` : `${Math.max(status.read, status.done)} articles so far`;
}

/** A running ingest (its worker, once forked) and what it has reported. */
export interface WorkerRun {
  /** Null until the lease is held and the worker forked. */
  child: ChildProcess | null;
  status: IngestStatus;
  /** Why the bot ended the worker (time limit, shutdown), for the error it reports. */
  endedBecause: string | null;
  closed: Promise<void>;
}

/** What the supervisor needs: the bot's config, its store (refreshed as the worker writes) and the worker's limits. */
export interface SupervisorOptions {
  config: Config;
  store: NewsStore;
  logger: Logger;
  /** A worker that reports no progress for this long is killed. */
  stallTimeoutMs: number;
  /** The worker's niceness (0: the bot's priority). */
  niceness: number;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/**
 * Niceness of the worker process: on a busy machine the scheduler then prefers the bot's own
 * thread (answers, gateway heartbeats) to the embedding; on an idle one the ingest runs at full
 * speed. Measured on 2 loaded cores: event-loop delay p99 255 -> 115 ms, max 606 -> 177 ms.
 */
export const WORKER_NICENESS = 10;

/** The worker's config: plain data, without the secrets it does not need. */
function workerConfig(config: Config): Config {
  return { ...config, llm: null, discord: { ...config.discord, token: undefined } };
}

function lowerPriority(child: ChildProcess, niceness: number, logger: Logger): void {
  if (child.pid === undefined || niceness === 0) return;
  try {
    os.setPriority(child.pid, niceness);
  } catch (error) {
    logger.debug('could not lower the ingest worker\'s priority', { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Asks a running worker to stop at its next slice of embedding or article read. */
export function askWorkerToStop(child: ChildProcess | null, logger: Logger): void {
  const message: ToIngestWorker = { type: 'stop' };
  child?.send(message, (error) => {
    if (error) logger.debug('could not ask the ingest worker to stop', { error: error.message });
  });
}

/**
 * Forks the ingest worker (src/app/ingest-worker.ts) for a request and follows it to its summary
 * (or failure): progress updates `run.status` and refreshes the bot's store, a worker silent for
 * the stall timeout is killed, and a crash, kill or failure becomes one IngestFailedError (or the
 * worker's own coded error).
 */
export function superviseWorker(options: SupervisorOptions, run: WorkerRun, request: IngestRequest, onProgress: ((status: IngestStatus) => void) | undefined): Promise<IngestSummary> {
  const { store, logger, stallTimeoutMs } = options;
  const { file, execArgv } = processEntry(import.meta.url, '../ingest-worker');
  const child = fork(file, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  run.child = child;
  lowerPriority(child, options.niceness, logger);
  const limit = stallTimeoutMs >= 120_000 ? `${Math.round(stallTimeoutMs / 60_000)} min` : `${Math.round(stallTimeoutMs / 1000)} s`;
  let stall: NodeJS.Timeout | undefined;
  const alive = () => {
    clearTimeout(stall);
    stall = setTimeout(() => {
      run.endedBecause = `The ingest made no progress for ${limit} and was stopped (INGEST_TIMEOUT_MINUTES); what it stored before is kept.`;
      logger.error(`ingest worker made no progress for ${limit}; killing it`, { pid: child.pid });
      child.kill('SIGKILL');
    }, stallTimeoutMs);
  };
  alive();

  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
    for (const line of chunk.split('\n')) if (line.trim()) logger.warn(`ingest worker stderr: ${line}`);
  });

  let summary: IngestSummary | null = null;
  let failure: NewsBotError | null = null;
  child.on('message', (message: FromIngestWorker) => {
    switch (message.type) {
      case 'read':
        run.status.read = message.read;
        alive();
        onProgress?.({ ...run.status });
        break;
      case 'progress':
        run.status.done = message.done;
        run.status.total = message.total;
        run.status.passages = message.passages;
        alive();
        // New passages are searchable now; the vector index catches up in the background.
        void store.refresh().catch((error: unknown) => logger.warn('store refresh failed', { error: String(error) }));
        onProgress?.({ ...run.status });
        break;
      case 'log':
        logger[message.level](`ingest worker: ${message.text}`);
        break;
      case 'done':
        summary = message.summary;
        break;
      case 'error':
        failure =
          message.code && KNOWN_CODES.has(message.code) && message.code !== ErrorCodes.IngestFailed
            ? new NewsBotError(message.code, message.message)
            : new IngestFailedError(`The ingest failed: ${message.message}`);
        break;
    }
  });

  return new Promise<IngestSummary>((resolve, reject) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(stall);
      void store.refresh().catch((error: unknown) => logger.warn('store refresh failed', { error: String(error) }));
      if (summary) {
        resolve(summary);
        return;
      }
      if (run.endedBecause) {
        reject(new IngestFailedError(run.endedBecause));
        return;
      }
      if (failure) {
        reject(failure);
        return;
      }
      const how = spawnError ? spawnError.message : signal ? `killed by ${signal}` : `exit code ${code}`;
      logger.error('ingest worker ended without finishing', { how, stderr: stderr.slice(-1_000) });
      reject(new IngestFailedError(`The ingest stopped unexpectedly (${how}); what it stored before is kept. Run it again to finish.`, { cause: spawnError }));
    };
    child.on('close', (code, signal) => finish(code, signal));
    child.on('error', (error) => {
      // Spawning failed, or the process could not be signalled; 'close' may never come.
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) finish(null, null, error);
      else logger.warn('ingest worker process error', { error: error.message });
    });
    const message: ToIngestWorker = { type: 'run', request, config: workerConfig(options.config) };
    child.send(message, (error) => {
      if (error) logger.warn('could not send the request to the ingest worker', { error: error.message });
    });
  });
}

import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { IngestBusyError, IngestStoppedError, describeError } from '../core/errors.js';
import type { IngestRequest, IngestSummary } from '../core/ingest.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { checkIngestUrl } from '../ingest/request.js';
import type { NewsStore } from '../store/ports.js';
import { startFeedPolling } from './ingest/feed-poll.js';
import { INGEST_LEASE, INGEST_LEASE_TTL_MS, holding, leaseHolderName, type IngestLease } from './ingest/lease.js';
import { WORKER_NICENESS, askWorkerToStop, describeIngestProgress, superviseWorker, type IngestStatus, type WorkerRun } from './ingest/supervisor.js';


/** Options of the ingest service. */
export interface IngestServiceOptions {
  config: Config;
  /** The bot's store: refreshed as the worker writes, so new passages are searchable at once. */
  store: NewsStore;
  logger: Logger;
  /** Ends a worker that reports no progress for this long (default: INGEST_TIMEOUT_MINUTES). */
  stallTimeoutMs?: number;
  /** The worker's niceness (default 10; 0 runs it at the bot's priority, for benchmarks). */
  niceness?: number;
  /**
   * The lease that keeps ingests to one process at a time across a deployment (shard processes,
   * machines). Without it, only this service's own runs are kept apart.
   */
  lease?: IngestLease;
  /** Time to live of the ingest lease (default 60 s); renewed every third of it while an ingest runs. */
  leaseTtlMs?: number;
  /** Where runs, articles, errors and feed polls are counted (/metrics). */
  metrics?: Metrics;
  /** Told after each ingest that finished (its articles are in the store): briefs and watches check then. */
  onFinished?: (summary: IngestSummary) => void;
}

/** Counts an ingest run when it ends: its outcome and articles; a request refused as busy ran nothing and is not counted. */
function observeIngest(metrics: Metrics, kind: string, done: Promise<IngestSummary>): void {
  done.then(
    (s) => {
      metrics.ingestRuns.inc({ kind, outcome: 'finished' });
      for (const [result, count] of [['added', s.added], ['updated', s.updated], ['unchanged', s.unchanged], ['removed', s.removed], ['skipped', s.skippedCount]] as const) {
        if (count > 0) metrics.ingestArticles.inc({ result }, count);
      }
    },
    (error: unknown) => {
      if (error instanceof IngestBusyError) return;
      const stopped = error instanceof IngestStoppedError;
      metrics.ingestRuns.inc({ kind, outcome: stopped ? 'stopped' : 'failed' });
      if (!stopped) metrics.ingestErrors.inc();
    },
  );
}

/**
 * Runs the bot's ingests (/ingest, /reingest, the feed poll, the first-run corpus) one at a time,
 * each in a worker process that fetches, parses, chunks, embeds and writes the store on its own
 * connection, so the bot's event loop stays free. A second request while one runs is refused at
 * once with how far the running one is. A worker that crashes or is killed leaves the store as
 * its last committed batch left it (each batch is one transaction) and the bot running; one that
 * reports no progress for the time limit is killed. The parts live in src/app/ingest/: the lease,
 * the worker protocol, the worker supervisor and the feed poll.
 */
export class IngestService {
  private readonly config: Config;
  private readonly store: NewsStore;
  private readonly logger: Logger;
  private readonly stallTimeoutMs: number;
  private readonly niceness: number;
  private readonly lease: IngestLease | null;
  private readonly metrics: Metrics | null;
  private readonly leaseTtlMs: number;
  private readonly onFinished: ((summary: IngestSummary) => void) | null;
  /** Who this service is to the lease: host, process and instance. */
  private readonly holder = leaseHolderName(randomBytes(4).toString('hex'));
  private current: WorkerRun | null = null;
  private stopping = false;

  constructor(options: IngestServiceOptions) {
    this.config = options.config;
    this.store = options.store;
    this.logger = options.logger;
    this.stallTimeoutMs = options.stallTimeoutMs ?? options.config.ingestTimeoutMinutes * 60_000;
    this.niceness = options.niceness ?? WORKER_NICENESS;
    this.lease = options.lease ?? null;
    this.leaseTtlMs = options.leaseTtlMs ?? INGEST_LEASE_TTL_MS;
    this.metrics = options.metrics ?? null;
    this.onFinished = options.onFinished ?? null;
  }

  /** True while a worker runs. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** How far the running ingest is, or null. */
  status(): IngestStatus | null {
    return this.current ? { ...this.current.status } : null;
  }

  /** The running worker's process id (for operators and tests), or null. */
  get workerPid(): number | null {
    return this.current?.child?.pid ?? null;
  }

  /**
   * Starts a request in a new worker; resolves with its summary once the worker has finished
   * and exited. Throws IngestBusyError at once while another ingest of this service runs, and
   * rejects with it when another process holds the ingest lease.
   */
  run(request: IngestRequest, onProgress?: (status: IngestStatus) => void): Promise<IngestSummary> {
    if (this.stopping) throw new IngestBusyError('The bot is shutting down; ingest again once it is back.');
    if (this.current) throw new IngestBusyError(`An ingest is running (${describeIngestProgress(this.current.status)}); try again when it has finished.`);
    if (request.kind === 'url' || request.kind === 'feed') checkIngestUrl(request.url, this.config.allowPrivateFetch);
    let closed!: () => void;
    const run: WorkerRun = {
      child: null,
      status: { kind: request.kind, startedAt: Date.now(), read: 0, done: 0, total: null, passages: 0 },
      endedBecause: null,
      closed: new Promise<void>((resolve) => (closed = resolve)),
    };
    this.current = run;
    // `current` is cleared only once the lease is released, so the next run of this service never races its own release.
    const done = this.underLease(() => this.runWorker(run, request, onProgress)).finally(() => {
      if (this.current === run) this.current = null;
      closed();
    });
    if (this.metrics) observeIngest(this.metrics, request.kind, done);
    return this.onFinished ? done.then((summary) => (this.onFinished!(summary), summary)) : done;
  }

  /** Runs `work` holding the ingest lease (renewed meanwhile); rejects at once while another process holds it. */
  private async underLease<T>(work: () => Promise<T>): Promise<T> {
    const lease = this.lease;
    if (!lease) return work();
    let held: boolean;
    try {
      held = await lease.acquire(INGEST_LEASE, this.holder, this.leaseTtlMs);
    } catch (error) {
      this.logger.warn('could not take the ingest lease', { error: describeError(error) });
      throw new IngestBusyError('The store is busy (another process is writing to it); try again later.');
    }
    if (!held) throw new IngestBusyError('An ingest is running elsewhere; try again later.');
    return holding(lease, this.holder, this.leaseTtlMs, this.logger, work);
  }

  /** Forks the worker for a request and follows it to its summary (or failure). */
  private runWorker(run: WorkerRun, request: IngestRequest, onProgress: ((status: IngestStatus) => void) | undefined): Promise<IngestSummary> {
    if (this.stopping) return Promise.reject(new IngestBusyError('The bot is shutting down; ingest again once it is back.'));
    const options = { config: this.config, store: this.store, logger: this.logger, stallTimeoutMs: this.stallTimeoutMs, niceness: this.niceness };
    return superviseWorker(options, run, request, onProgress);
  }

  /**
   * Re-reads the configured feeds every `intervalMs` in the background (src/app/ingest/feed-poll.ts);
   * a round is skipped while another ingest runs, here or in another process. Returns a function
   * that stops polling.
   */
  startPolling(intervalMs: number): () => void {
    return startFeedPolling(
      {
        feeds: async () => this.config.feeds.length + (await this.store.listFeeds()).length,
        busyReason: () => (this.current ? describeIngestProgress(this.current.status) : this.stopping ? 'stopping' : null),
        run: (request) => this.run(request),
        lease: this.lease,
        holder: this.holder,
        logger: this.logger,
        onRound: (outcome) => this.metrics?.feedPolls.inc({ outcome }),
      },
      intervalMs,
    );
  }

  /**
   * For shutdown: refuses new requests, asks a running worker to stop (it ends at its next slice
   * of embedding or article read; every batch already written is kept), and kills it when it has
   * not exited after `graceMs`.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const run = this.current;
    if (!run) return;
    run.endedBecause = 'The ingest was stopped because the bot is shutting down; what it stored is kept. Run it again to finish.';
    askWorkerToStop(run.child, this.logger);
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([run.closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
    clearTimeout(timer);
    if (!exited) {
      this.logger.warn(`ingest worker did not stop within ${graceMs} ms; killing it`);
      run.child?.kill('SIGKILL');
      await run.closed;
    }
  }
}

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../config/index.js';
import { NewsBotError, ErrorCodes, IngestBusyError, IngestFailedError, describeError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ingestArticles, type IngestSummary } from '../ingest/pipeline.js';
import { readArticles, type ReadResult } from '../ingest/read-articles.js';
import { checkLiteralUrl } from '../ingest/fetch-guard.js';
import { fetchArticle, readFeed } from '../ingest/web.js';
import type { Embedder } from '../retrieval/embedder.js';
import type { NewsStore } from '../store/ports.js';
import { processEntry } from './process-entry.js';

/** What to ingest. */
export type IngestRequest =
  | { kind: 'corpus' }
  | { kind: 'url'; url: string }
  | { kind: 'feed'; url: string }
  /** Every configured feed. */
  | { kind: 'feeds' }
  /** The corpus (pruned) and every configured feed. */
  | { kind: 'all' };

/**
 * Validates a URL given by a user: http(s) only, and no literal private address unless allowed.
 * Host names are checked by the fetch guard when fetched (every address, every redirect hop).
 */
function checkUrl(url: string, allowPrivate = false): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NewsBotError(ErrorCodes.InvalidQuestion, `"${url.slice(0, 100)}" is not a URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NewsBotError(ErrorCodes.InvalidQuestion, 'Only http and https URLs can be ingested.');
  }
  try {
    checkLiteralUrl(parsed, { allowPrivate });
  } catch {
    throw new NewsBotError(ErrorCodes.InvalidQuestion, 'That address is on a private network; set ALLOW_PRIVATE_FETCH=true to ingest from it.');
  }
  return parsed.toString();
}

function merge(a: IngestSummary, b: IngestSummary): IngestSummary {
  return {
    added: a.added + b.added,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    removed: a.removed + b.removed,
    skipped: [...a.skipped, ...b.skipped],
    skippedCount: a.skippedCount + b.skippedCount,
    passages: a.passages + b.passages,
    embedded: a.embedded + b.embedded,
    vectors: a.vectors && b.vectors,
    durationMs: a.durationMs + b.durationMs,
  };
}

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

/** What runIngestRequest needs: the worker's own store and embedder. */
export interface IngestContext {
  store: NewsStore;
  embedder: Embedder | null;
  config: Config;
  logger: Logger;
}

/** Hooks the worker uses to report progress and to stop between articles or after a batch. */
export interface IngestHooks {
  /** Wraps each part's source (the worker counts the articles read, and stops between them). */
  source?: (source: AsyncIterable<ReadResult> | Iterable<ReadResult>) => AsyncIterable<ReadResult>;
  /** After each stored batch, over the whole request (a throw ends the ingest after that batch). */
  onProgress?: (progress: { done: number; total: number | null; passages: number }) => void;
}

/** One ingestArticles run of a request: a source (told where to report its planned count), and the folders it prunes. */
interface IngestPart {
  source: (onPlanned: (count: number) => void) => AsyncIterable<ReadResult> | Iterable<ReadResult>;
  pruneUnder?: string[];
}

async function* oneArticle(read: () => Promise<ReadResult>): AsyncGenerator<ReadResult> {
  yield await read();
}

function parts(request: IngestRequest, config: Config): IngestPart[] {
  const fetchOptions = { timeoutMs: config.fetchTimeoutMs, allowPrivate: config.allowPrivateFetch };
  const corpus: IngestPart = { source: (onPlanned) => readArticles([config.corpusDir], { onPlanned }), pruneUnder: [config.corpusDir] };
  const feeds = config.feeds.map((feed): IngestPart => ({ source: (onPlanned) => readFeed(feed, { ...fetchOptions, onPlanned }) }));
  switch (request.kind) {
    case 'corpus':
      return [corpus];
    case 'url':
      return [{ source: () => oneArticle(() => fetchArticle(checkUrl(request.url, config.allowPrivateFetch), fetchOptions)) }];
    case 'feed':
      return [{ source: (onPlanned) => readFeed(checkUrl(request.url, config.allowPrivateFetch), { ...fetchOptions, onPlanned }) }];
    case 'feeds':
      return feeds;
    case 'all':
      return [corpus, ...feeds];
  }
}

/**
 * Runs one request against a store (in the ingest worker): the corpus, an article page, a feed,
 * or several of them one after the other, with one summary. Progress counts over the whole
 * request; the total is known once the last part has been read.
 */
export async function runIngestRequest(ctx: IngestContext, request: IngestRequest, hooks: IngestHooks = {}): Promise<IngestSummary> {
  const { store, embedder, config, logger } = ctx;
  const all = parts(request, config);
  if (all.length === 0) return ingestArticles(store, embedder, [], { logger });
  let summary: IngestSummary | null = null;
  let doneBefore = 0;
  let passagesBefore = 0;
  for (const [i, part] of all.entries()) {
    const last = i === all.length - 1;
    let read = 0;
    let planned: number | null = null;
    const source = part.source((count) => (planned = count));
    const counted = (async function* () {
      for await (const r of hooks.source ? hooks.source(source) : source) {
        read++;
        yield r;
      }
    })();
    const one = await ingestArticles(store, embedder, counted, {
      logger,
      ...(part.pruneUnder ? { pruneUnder: part.pruneUnder } : {}),
      total: () => planned,
      onProgress: ({ done, total, passages }) =>
        hooks.onProgress?.({ done: doneBefore + done, total: last && total ? doneBefore + total : null, passages: passagesBefore + passages }),
    });
    doneBefore += read;
    passagesBefore += one.passages;
    summary = summary ? merge(summary, one) : one;
  }
  return summary!;
}

/** Messages from the bot to its ingest worker. */
export type ToIngestWorker = { type: 'run'; request: IngestRequest; config: Config } | { type: 'stop' };

/** Messages from the ingest worker to the bot. */
export type FromIngestWorker =
  | { type: 'read'; read: number }
  | { type: 'progress'; done: number; total: number | null; passages: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string }
  | { type: 'done'; summary: IngestSummary }
  | { type: 'error'; code: ErrorCode | null; message: string };

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
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
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

/** Held by the process whose worker is ingesting (any request: /ingest, /reingest, the poll, the first-run corpus). */
const INGEST_LEASE = 'ingest';
/** Held for most of a poll interval by the process that polled the feeds, so that one poll per interval runs across processes. */
const FEED_POLL_LEASE = 'feed-poll';
/** Default time to live of the ingest lease; renewed every third of it while the ingest runs. */
const INGEST_LEASE_TTL_MS = 60_000;

/**
 * Runs `work` while holding the ingest lease, already taken: renewed every third of its time to
 * live, released at the end (or left to expire if the release fails).
 */
async function holding<T>(lease: IngestLease, holder: string, ttlMs: number, logger: Logger, work: () => Promise<T>): Promise<T> {
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
}

/** A running ingest (its worker, once forked) and what it has reported. */
interface WorkerRun {
  /** Null until the lease is held and the worker forked. */
  child: ChildProcess | null;
  status: IngestStatus;
  /** Why the bot ended the worker (time limit, shutdown), for the error it reports. */
  endedBecause: string | null;
  closed: Promise<void>;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/** The worker's config: plain data, without the secrets it does not need. */
function workerConfig(config: Config): Config {
  return { ...config, llm: null, discord: { ...config.discord, token: undefined } };
}

/**
 * Niceness of the worker process: on a busy machine the scheduler then prefers the bot's own
 * thread (answers, gateway heartbeats) to the embedding; on an idle one the ingest runs at full
 * speed. Measured on 2 loaded cores: event-loop delay p99 255 -> 115 ms, max 606 -> 177 ms.
 */
const WORKER_NICENESS = 10;

function lowerPriority(child: ChildProcess, niceness: number, logger: Logger): void {
  if (child.pid === undefined || niceness === 0) return;
  try {
    os.setPriority(child.pid, niceness);
  } catch (error) {
    logger.debug('could not lower the ingest worker\'s priority', { error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Runs the bot's ingests (/ingest, /reingest, the feed poll, the first-run corpus) one at a time,
 * each in a worker process that fetches, parses, chunks, embeds and writes the store on its own
 * connection, so the bot's event loop stays free. A second request while one runs is refused at
 * once with how far the running one is. A worker that crashes or is killed leaves the store as
 * its last committed batch left it (each batch is one transaction) and the bot running; one that
 * reports no progress for the time limit is killed.
 */
export class IngestService {
  private readonly config: Config;
  private readonly store: NewsStore;
  private readonly logger: Logger;
  private readonly stallTimeoutMs: number;
  private readonly niceness: number;
  private readonly lease: IngestLease | null;
  private readonly leaseTtlMs: number;
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
    if (request.kind === 'url' || request.kind === 'feed') checkUrl(request.url, this.config.allowPrivateFetch);
    let closed!: () => void;
    const run: WorkerRun = {
      child: null,
      status: { kind: request.kind, startedAt: Date.now(), read: 0, done: 0, total: null, passages: 0 },
      endedBecause: null,
      closed: new Promise<void>((resolve) => (closed = resolve)),
    };
    this.current = run;
    // `current` is cleared only once the lease is released, so the next run of this service never races its own release.
    return this.underLease(() => this.runWorker(run, request, onProgress)).finally(() => {
      if (this.current === run) this.current = null;
      closed();
    });
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
    const { file, execArgv } = processEntry(import.meta.url, './ingest-worker');
    const child = fork(file, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    run.child = child;
    lowerPriority(child, this.niceness, this.logger);
    const limit = this.stallTimeoutMs >= 120_000 ? `${Math.round(this.stallTimeoutMs / 60_000)} min` : `${Math.round(this.stallTimeoutMs / 1000)} s`;
    let stall: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        run.endedBecause = `The ingest made no progress for ${limit} and was stopped (INGEST_TIMEOUT_MINUTES); what it stored before is kept.`;
        this.logger.error(`ingest worker made no progress for ${limit}; killing it`, { pid: child.pid });
        child.kill('SIGKILL');
      }, this.stallTimeoutMs);
    };
    alive();

    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
      for (const line of chunk.split('\n')) if (line.trim()) this.logger.warn(`ingest worker stderr: ${line}`);
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
          void this.store.refresh().catch((error: unknown) => this.logger.warn('store refresh failed', { error: String(error) }));
          onProgress?.({ ...run.status });
          break;
        case 'log':
          this.logger[message.level](`ingest worker: ${message.text}`);
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
        void this.store.refresh().catch((error: unknown) => this.logger.warn('store refresh failed', { error: String(error) }));
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
        this.logger.error('ingest worker ended without finishing', { how, stderr: stderr.slice(-1_000) });
        reject(new IngestFailedError(`The ingest stopped unexpectedly (${how}); what it stored before is kept. Run it again to finish.`, { cause: spawnError }));
      };
      child.on('close', (code, signal) => finish(code, signal));
      child.on('error', (error) => {
        // Spawning failed, or the process could not be signalled; 'close' may never come.
        if (child.exitCode === null && child.signalCode === null && child.pid === undefined) finish(null, null, error);
        else this.logger.warn('ingest worker process error', { error: error.message });
      });
      const message: ToIngestWorker = { type: 'run', request, config: workerConfig(this.config) };
      child.send(message, (error) => {
        if (error) this.logger.warn('could not send the request to the ingest worker', { error: error.message });
      });
    });
  }

  /**
   * Re-reads the configured feeds every `intervalMs` in the background; a round is skipped while
   * another ingest runs (here, or in another process holding the lease). With a lease, the
   * process that polls holds a round lease for most of the interval, so several processes (shards)
   * poll the feeds about once per interval between them, not once each. Returns a function that
   * stops polling.
   */
  startPolling(intervalMs: number): () => void {
    if (intervalMs <= 0 || this.config.feeds.length === 0) return () => {};
    const timer = setInterval(() => void this.pollRound(intervalMs), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async pollRound(intervalMs: number): Promise<void> {
    if (this.busy || this.stopping) {
      this.logger.info(`feed poll skipped: an ingest is running (${this.current ? describeIngestProgress(this.current.status) : 'stopping'})`);
      return;
    }
    const lease = this.lease;
    try {
      if (lease && !(await lease.acquire(FEED_POLL_LEASE, this.holder, Math.max(1, Math.floor(intervalMs * 0.9))))) {
        this.logger.info('feed poll skipped: the feeds were polled by another process in this interval');
        return;
      }
      const s = await this.run({ kind: 'feeds' });
      this.logger.info(`feed poll: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.skippedCount} skipped`);
    } catch (error) {
      if (!(error instanceof IngestBusyError)) {
        this.logger.error('feed poll failed', { error });
        return;
      }
      this.logger.info(`feed poll skipped: ${error.message}`);
      // This round polled nothing: another process may poll in this interval.
      await lease?.release(FEED_POLL_LEASE, this.holder).catch(() => {});
    }
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
    const message: ToIngestWorker = { type: 'stop' };
    run.child?.send(message, (error) => {
      if (error) this.logger.debug('could not ask the ingest worker to stop', { error: error.message });
    });
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

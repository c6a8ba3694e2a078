import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_BUSY_TIMEOUT_MS } from '../../src/app/bot-runtime.js';
import { IngestService } from '../../src/app/ingest-service.js';
import { leaseHolderName, storeLease } from '../../src/app/ingest/lease.js';
import type { IngestStatus } from '../../src/app/ingest/supervisor.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { ErrorCodes, IngestBusyError, IngestFailedError, NewsBotError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { HAS_MINILM_MODEL, HAS_TINY_MODEL, isAlive, MINILM_MODEL, MODELS_DIR, REPO, tempDir, TINY_MODEL } from '../helpers/env.js';
import { NewsServer } from '../helpers/news-server.js';
import { runCli } from '../helpers/run-cli.js';
import { openTestStore } from '../helpers/test-store.js';

/**
 * These tests are about what the service does (busy, crash, time limit, shutdown), not CPU
 * priority: the worker runs at the test's own priority, so other test files running beside this
 * one cannot starve it (the bot's default, niceness 10, is used by the responsiveness test).
 */
const NICENESS = 0;
const ARTICLES = 400;
const TOPICS = ['harbour', 'railway', 'election', 'vaccine', 'wildfire', 'museum', 'satellite', 'orchestra', 'drought', 'stadium'];

/** Generated articles, enough that the tiny model takes a few seconds over them. */
function writeCorpus(dir: string, count: number): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const paragraphs = Array.from({ length: 8 }, (_, p) => `Report ${i} paragraph ${p}: officials discussed the ${topic} plan number ${i} with residents, who asked about costs, timing and jobs.`);
    fs.writeFileSync(path.join(dir, `report-${String(i).padStart(4, '0')}.txt`), `date 2025-01-${String((i % 28) + 1).padStart(2, '0')} The ${topic} story number ${i}\n\n${paragraphs.join('\n\n')}`);
  }
}

/** Resolves with the first progress report that satisfies `test`. */
function progressWhere(test: (s: IngestStatus) => boolean): { onProgress: (s: IngestStatus) => void; reached: Promise<IngestStatus> } {
  let hit!: (s: IngestStatus) => void;
  const reached = new Promise<IngestStatus>((resolve) => (hit = resolve));
  return { onProgress: (s) => test(s) && hit(s), reached };
}

describe.skipIf(!HAS_TINY_MODEL)('IngestService: ingests in a worker process (tiny model)', () => {
  let dir: string;
  let cleanup: () => void;
  let corpus: string;
  const server = new NewsServer();
  const logs: string[] = [];
  const logger = createLogger('debug', (line) => logs.push(line));
  const tiny = { modelId: TINY_MODEL, dimension: 32 };

  const setup = async (name: string, env: Record<string, string> = {}): Promise<{ config: Config; store: SqliteStore }> => {
    const config = loadConfig(
      { DATA_DIR: path.join(dir, name), CORPUS_DIR: corpus, EMBEDDING_MODEL: TINY_MODEL, EMBEDDING_MODEL_DIR: MODELS_DIR, EMBEDDING_ALLOW_REMOTE: 'false', LOG_LEVEL: 'debug', ...env },
      REPO,
    );
    const store = openTestStore(config.dataDir, { embedding: tiny, logger });
    // Like the bot: the index is open before the worker writes, so it follows every batch.
    await store.openVectorIndex();
    return { config, store };
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-ingest-service-'));
    corpus = path.join(dir, 'corpus');
    writeCorpus(corpus, ARTICLES);
    await server.start();
    server.set('/slow.xml', '<rss version="2.0"><channel><title>Slow</title></channel></rss>', { delayMs: 60_000, type: 'application/rss+xml' });
    server.set('/empty.xml', '<rss version="2.0"><channel><title>Quiet</title></channel></rss>', { type: 'application/rss+xml' });
  });
  afterAll(async () => {
    await server.stop();
    cleanup();
  });

  it('runs the ingest in another process, reports progress, and the bot\'s store sees each batch', async () => {
    const { config, store } = await setup('basic');
    const ingest = new IngestService({ config, store, logger, niceness: NICENESS });
    const reports: IngestStatus[] = [];
    const seenMidway: Promise<number>[] = [];
    const pids: (number | null)[] = [];
    const summary = await ingest.run({ kind: 'corpus' }, (s) => {
      reports.push(s);
      pids.push(ingest.workerPid);
      if (s.total !== null && s.done < s.total) seenMidway.push(store.lexicalSearch(['officials'], 1_000).then((hits) => hits.length));
    });
    expect(summary).toMatchObject({ added: ARTICLES, skipped: [], vectors: true });
    expect(pids.every((pid) => pid !== null && pid !== process.pid)).toBe(true);
    // Articles are counted while read (no total yet), then done of the total after each batch.
    expect(reports.some((s) => s.total === null && s.read > 0)).toBe(true);
    expect(reports.at(-1)).toMatchObject({ kind: 'corpus', done: ARTICLES, total: ARTICLES, read: ARTICLES });
    // The bot's store served the batches already written while the ingest went on.
    expect((await Promise.all(seenMidway)).some((n) => n > 0)).toBe(true);
    expect(ingest.busy).toBe(false);
    await store.refresh();
    expect(await store.checkConsistency()).toMatchObject({ ok: true, articles: ARTICLES });
    expect(store.indexedVectors).toBe((await store.stats()).vectors);
    await store.close();
  });

  it('refuses a second ingest at once with how far the first one is, and the feed poll skips its round', async () => {
    const { config, store } = await setup('busy', { FEEDS: `${server.url}/empty.xml`, ALLOW_PRIVATE_FETCH: 'true' });
    const ingest = new IngestService({ config, store, logger, niceness: NICENESS });
    const counted = progressWhere((s) => s.total !== null && s.done > 0 && s.done < s.total);
    const first = ingest.run({ kind: 'corpus' }, counted.onProgress);
    expect(() => ingest.run({ kind: 'feeds' })).toThrow(/^An ingest is running \(\d+ articles so far\); try again when it has finished\.$/);
    await counted.reached;
    let busy: unknown;
    try {
      void ingest.run({ kind: 'all' });
    } catch (error) {
      busy = error;
    }
    expect(busy).toBeInstanceOf(IngestBusyError);
    expect((busy as Error).message).toMatch(new RegExp(`^An ingest is running \\(\\d+ of ${ARTICLES} articles\\); try again when it has finished\\.$`));
    const logsBefore = logs.length;
    const stopPolling = ingest.startPolling(100);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(logs.slice(logsBefore).filter((l) => l.includes('feed poll skipped: an ingest is running')).length).toBeGreaterThan(0);
    stopPolling();
    await first;
    await store.close();
  });

  it('a worker killed mid-ingest: the caller gets a short error, the store stays consistent, the next run finishes', async () => {
    const { config, store } = await setup('killed');
    const ingest = new IngestService({ config, store, logger, niceness: NICENESS });
    const stored = progressWhere((s) => s.total !== null && s.done > 0 && s.done < s.total);
    const run = ingest.run({ kind: 'corpus' }, stored.onProgress);
    run.catch(() => {});
    await stored.reached;
    const pid = ingest.workerPid!;
    process.kill(pid, 'SIGKILL');
    await expect(run).rejects.toThrow(IngestFailedError);
    await expect(run).rejects.toThrow(/^The ingest stopped unexpectedly \(killed by SIGKILL\); what it stored before is kept\. Run it again to finish\.$/);
    expect(ingest.busy).toBe(false);
    const report = await store.checkConsistency();
    expect(report.problems).toEqual([]);
    expect(report.articles).toBeGreaterThan(0);
    expect(report.articles).toBeLessThan(ARTICLES);
    const again = await ingest.run({ kind: 'corpus' });
    expect(again.added + again.unchanged).toBe(ARTICLES);
    expect(again.unchanged).toBe(report.articles);
    expect(await store.checkConsistency()).toMatchObject({ ok: true, articles: ARTICLES });
    await store.close();
  });

  it('kills a worker that makes no progress for the time limit', async () => {
    const { config, store } = await setup('stalled', { FETCH_TIMEOUT_MS: '120000', ALLOW_PRIVATE_FETCH: 'true' });
    const ingest = new IngestService({ config, store, logger, niceness: NICENESS, stallTimeoutMs: 5_000 });
    const started = Date.now();
    const run = ingest.run({ kind: 'feed', url: `${server.url}/slow.xml` });
    run.catch(() => {});
    const pid = ingest.workerPid!;
    await expect(run).rejects.toThrow(/^The ingest made no progress for 5 s and was stopped \(INGEST_TIMEOUT_MINUTES\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(isAlive(pid)).toBe(false);
    expect(ingest.busy).toBe(false);
    await store.close();
  });

  it('stop() (shutdown) ends a running ingest at its next slice of embedding, keeps every stored batch and refuses new ones', async () => {
    const { config, store } = await setup('stopped');
    const ingest = new IngestService({ config, store, logger, niceness: NICENESS });
    const stored = progressWhere((s) => s.total !== null && s.done > 0 && s.done < s.total);
    const run = ingest.run({ kind: 'corpus' }, stored.onProgress);
    run.catch(() => {});
    await stored.reached;
    const logsBefore = logs.length;
    const t = Date.now();
    await ingest.stop(20_000);
    const stopMs = Date.now() - t;
    await expect(run).rejects.toThrow(/^The ingest was stopped because the bot is shutting down; what it stored is kept\./);
    // It stopped by itself (no kill after the grace period).
    expect(stopMs).toBeLessThan(20_000);
    expect(logs.slice(logsBefore).some((l) => /ingest worker: stopped as asked after \d+ articles read/.test(l))).toBe(true);
    expect(() => ingest.run({ kind: 'corpus' })).toThrow(/shutting down/);
    const report = await store.checkConsistency();
    expect(report.problems).toEqual([]);
    expect(report.articles).toBeLessThan(ARTICLES);
    await store.close();
  });

  it.skipIf(!HAS_MINILM_MODEL)('reports the worker\'s own errors with their code (a store built with another model)', async () => {
    const { config, store } = await setup('mismatch');
    const ingest = new IngestService({ config: { ...config, embedding: { ...config.embedding, model: MINILM_MODEL } }, store, logger, niceness: NICENESS });
    const error = await ingest.run({ kind: 'corpus' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NewsBotError);
    expect((error as NewsBotError).code).toBe(ErrorCodes.StoreModelMismatch);
    expect((error as Error).message).toMatch(/--rebuild/);
    await store.close();
  });
});

describe('IngestService: one ingest at a time across processes (the store lease)', () => {
  let dir: string;
  let cleanup: () => void;
  const server = new NewsServer();
  const opened: { close(): unknown }[] = [];

  /**
   * One "process" of a deployment: its own store connections and ingest service (its own lease
   * holder), on a DATA_DIR shared with the others. No embedding model: lexical only.
   */
  const processOn = (data: string, logs: string[], options: { leaseTtlMs?: number } = {}) => {
    const config = loadConfig(
      {
        DATA_DIR: data, CORPUS_DIR: path.join(dir, 'corpus'), FEEDS: `${server.url}/empty.xml`, ALLOW_PRIVATE_FETCH: 'true',
        EMBEDDING_MODEL: 'Xenova/not-downloadable', EMBEDDING_MODEL_DIR: path.join(dir, 'no-models'), EMBEDDING_ALLOW_REMOTE: 'false',
      },
      REPO,
    );
    const logger = createLogger('debug', (line) => logs.push(line));
    const store = openTestStore(data, { logger });
    // As the bot runtime opens it: a short wait for another process's write lock.
    const leaseStore = openTestStore(data, { busyTimeoutMs: LEASE_BUSY_TIMEOUT_MS, logger });
    opened.push(store, { close: () => leaseStore.close() });
    const ingest = new IngestService({ config, store, logger, niceness: NICENESS, lease: storeLease(leaseStore), ...options });
    return { ingest, leaseStore };
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-ingest-lease-'));
    fs.mkdirSync(path.join(dir, 'corpus'));
    fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(dir, 'corpus', 'seed.txt'));
    await server.start();
    server.set('/empty.xml', '<rss version="2.0"><channel><title>Quiet</title></channel></rss>', { type: 'application/rss+xml' });
    server.set('/slow.xml', '<rss version="2.0"><channel><title>Slow</title></channel></rss>', { delayMs: 2_500, type: 'application/rss+xml' });
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await server.stop();
    cleanup();
  });

  it('refuses an ingest while another process holds the lease (renewed past its time to live), then runs once it is released', async () => {
    const data = path.join(dir, 'two');
    const a = processOn(data, [], { leaseTtlMs: 600 });
    const b = processOn(data, []);
    const first = a.ingest.run({ kind: 'feed', url: `${server.url}/slow.xml` });
    // Past the lease's 600 ms time to live: A renewed it, B is still refused.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(a.ingest.busy).toBe(true);
    await expect(b.ingest.run({ kind: 'corpus' })).rejects.toThrow(/^An ingest is running elsewhere; try again later\.$/);
    await expect(b.ingest.run({ kind: 'corpus' })).rejects.toBeInstanceOf(IngestBusyError);
    expect(b.ingest.busy).toBe(false);
    await first;
    // Released at once when A's ingest ended (no wait for the time to live).
    expect(await b.ingest.run({ kind: 'corpus' })).toMatchObject({ added: 1 });
  });

  it('npm run ingest waits for its turn while a bot process ingests, then runs', async () => {
    const data = path.join(dir, 'cli');
    const a = processOn(data, []);
    const first = a.ingest.run({ kind: 'feed', url: `${server.url}/slow.xml` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const cli = await runCli('ingest', [path.join(dir, 'corpus'), '--json'], {
      DATA_DIR: data, EMBEDDING_MODEL_DIR: path.join(dir, 'no-models'), EMBEDDING_ALLOW_REMOTE: 'false',
    });
    await first;
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/another ingest is running .*waiting for it to finish/);
    // It ran after the bot's ingest (a 2.5 s feed) released the lease, not beside it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(JSON.parse(cli.stdout)).toMatchObject({ added: 1 });
  });

  it('a lease left by a killed process of this machine is taken over at once', async () => {
    const data = path.join(dir, 'killed-holder');
    const { leaseStore } = processOn(data, []);
    // A process of this machine that took the lease and was killed (its pid no longer runs).
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const dead = `${os.hostname()}:${child.pid}:cli`;
    expect(await leaseStore.acquireLease('ingest', dead, 60_000)).toBe(true);
    const lease = storeLease(leaseStore);
    expect(await lease.acquire('ingest', leaseHolderName('other'), 60_000)).toBe(false);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await lease.acquire('ingest', leaseHolderName('other'), 60_000)).toBe(true);
    // A holder on another machine is never judged dead from here: its lease runs out by itself.
    expect(await leaseStore.acquireLease('feed-poll', `elsewhere.example:${child.pid}:x`, 60_000)).toBe(true);
    expect(await lease.acquire('feed-poll', leaseHolderName('other'), 60_000)).toBe(false);
  });

  it('a lease left by a process that died runs out after its time to live', async () => {
    const data = path.join(dir, 'dead');
    const b = processOn(data, []);
    expect(await b.leaseStore.acquireLease('ingest', 'host:12345:dead', 800)).toBe(true);
    await expect(b.ingest.run({ kind: 'corpus' })).rejects.toThrow(/running elsewhere/);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await b.ingest.run({ kind: 'corpus' })).toMatchObject({ added: 1 });
  });

  it('another process holding the store\'s write lock: the ingest is refused as busy in a fraction of a second, not after a long wait', async () => {
    const data = path.join(dir, 'locked');
    const logs: string[] = [];
    const b = processOn(data, logs);
    const writer = new Database(path.join(data, 'news.db'));
    writer.exec('BEGIN IMMEDIATE');
    try {
      const t = Date.now();
      await expect(b.ingest.run({ kind: 'corpus' })).rejects.toThrow(/^The store is busy \(another process is writing to it\); try again later\.$/);
      expect(Date.now() - t).toBeLessThan(LEASE_BUSY_TIMEOUT_MS + 1_000);
      expect(logs.some((l) => l.startsWith('warn  could not take the ingest lease'))).toBe(true);
      expect(b.ingest.busy).toBe(false);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    expect(await b.ingest.run({ kind: 'corpus' })).toMatchObject({ added: 1 });
  });

  it('several pollers on one store: one poll per interval between them, never two ingests at once', async () => {
    const data = path.join(dir, 'poll');
    const logsA: string[] = [];
    const logsB: string[] = [];
    const a = processOn(data, logsA);
    const b = processOn(data, logsB);
    // A polls at 5 s and holds the round lease until 9.5 s; B's round comes at 8.5 s, after A's
    // poll has ended (it takes a second or two): without the round lease B would poll again.
    const stopA = a.ingest.startPolling(5_000);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const stopB = b.ingest.startPolling(5_000);
    const roundsOfB = () => logsB.filter((l) => l.includes('feed poll')).length;
    let overlap = 0;
    const end = Date.now() + 15_000;
    while (roundsOfB() === 0 && Date.now() < end) {
      if (a.ingest.busy && b.ingest.busy) overlap++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stopA();
    stopB();
    while (a.ingest.busy || b.ingest.busy) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(overlap).toBe(0);
    expect(logsA.filter((l) => l.startsWith('info  feed poll: '))).toHaveLength(1);
    expect(logsB.filter((l) => l.includes('feed poll'))).toEqual([expect.stringMatching(/^info {2}feed poll skipped: the feeds were polled by another process in this interval$/)]);
  });
});


import type { Client } from 'discord.js';
import { AnswerLog } from '../bot/answer-log.js';
import { NewsBot } from '../bot/bot.js';
import { createDiscordClient } from '../bot/client.js';
import type { BotServices } from '../bot/services.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { AppContext } from './context.js';
import { openSqliteStore } from './root.js';
import type { IngestSummary } from '../core/ingest.js';
import { IngestService } from './ingest-service.js';
import { startHealthServer, storeCheck, type HealthServer } from './health-server.js';
import { storeLease, type IngestLease } from './ingest/lease.js';
import { describeIngestProgress } from './ingest/supervisor.js';
import { IngestJournal, describeInterrupted, type IngestRequester, type JournalEntry } from '../bot/ingest-journal.js';
import { tellModerator } from '../bot/notify.js';
import { IngestBusyError } from '../core/errors.js';
import type { IngestRequest } from '../core/ingest.js';
import { DeliveryService, type DeliveryServiceOptions } from './deliveries.js';
import { DiscordPoster } from '../bot/poster.js';
import { systemClock, type Clock } from '../core/clock.js';

/** How long shutdown waits for a running ingest to stop after its batch in flight before killing it. */
const INGEST_STOP_GRACE_MS = 10_000;
/** How often the bot looks for writes by other processes (one cheap pragma when there are none). */
const STORE_REFRESH_MS = 2_000;
/**
 * The longest the bot's thread waits for another process's write to take or renew the ingest
 * lease (SQLite calls are synchronous): past it, the ingest is refused as "busy" (or the renewal
 * retried), never the event loop held for a batch or an index merge of another writer.
 */
export const LEASE_BUSY_TIMEOUT_MS = 250;

/** The Discord bot with its services, ingest worker and shutdown, over an app context. */
export interface BotRuntime {
  bot: NewsBot;
  ingest: IngestService;
  /** Briefs and watches; `check()` runs a check now. */
  deliveries: DeliveryService;
  services: BotServices;
  /** Logs in, then starts the feed poll. */
  start(token: string): Promise<void>;
  /**
   * Reads the corpus into an empty store (the first run); until it has finished, questions the
   * news does not answer yet are told the bot is still reading, with the progress.
   */
  readFirst(): Promise<IngestSummary>;
  /**
   * Graceful shutdown: stops polling, stops a running ingest after its batch in flight (killing it
   * after a grace period), lets answers in progress finish, disconnects and closes the store.
   */
  stop(): Promise<void>;
}

/** Options for tests and special deployments. */
export interface BotRuntimeOptions {
  /** A discord.js client (default: one for DISCORD_API_URL). */
  client?: Client;
  /** Feed poll interval (default: FEED_POLL_MINUTES). */
  pollIntervalMs?: number;
  /** Ingest worker time limit without progress (default: INGEST_TIMEOUT_MINUTES). */
  ingestStallTimeoutMs?: number;
  /** The ingest lease shared by the deployment's processes (default: the store's leases table). */
  lease?: IngestLease;
  /** The time briefs are scheduled by (default: the system clock). */
  clock?: Clock;
}

/**
 * One ingest at a time across processes (shards): the lease is a row in the store. With SQLite,
 * store calls are synchronous and the app's connection waits up to 60 s for another process's
 * write (a batch, an index merge), so the lease gets a connection of its own on the same DATA_DIR,
 * opened when first needed, that waits at most LEASE_BUSY_TIMEOUT_MS: a lock held longer refuses
 * that ingest (or delays that renewal), never the bot's thread. PostgreSQL's calls do not block it.
 */
function sqliteLease(config: AppContext['config'], logger: AppContext['logger']): IngestLease & { store(): SqliteStore; close(): Promise<void> } {
  let store: SqliteStore | null = null;
  const open = () => (store ??= openSqliteStore(config.dataDir, { embedding: null, efSearch: config.retrieval.efSearch, busyTimeoutMs: LEASE_BUSY_TIMEOUT_MS, logger }));
  return {
    acquire: async (name, holder, ttlMs) => storeLease(open()).acquire(name, holder, ttlMs),
    release: async (name, holder) => storeLease(open()).release(name, holder),
    store: open,
    close: async () => store?.close(),
  };
}

/** A request in words, for the journal when the caller gave none. */
function describeRequest(request: IngestRequest): string {
  return request.kind === 'url' || request.kind === 'feed' ? request.url : request.kind === 'all' ? 'the corpus and feeds' : `the ${request.kind}`;
}

/** /status's line for the last ingest when it did not finish. */
function describeUnfinished(entry: JournalEntry | null): string | null {
  return entry ? describeInterrupted(entry) : null;
}

/** Wires the bot: answers and search on this process, every ingest in a worker process. */
export function createBotRuntime(app: AppContext, options: BotRuntimeOptions = {}): BotRuntime {
  const { config, logger } = app;
  const log = new AnswerLog(config.dataDir);
  const dataDirLease = !options.lease && app.store.backend === 'sqlite' ? sqliteLease(config, logger) : null;
  const lease = options.lease ?? dataDirLease ?? storeLease(app.store);
  let deliveries: DeliveryService | null = null;
  const ingest = new IngestService({
    config,
    store: app.store,
    logger,
    lease,
    metrics: app.metrics,
    onFinished: () => void deliveries?.check(),
    ...(options.ingestStallTimeoutMs !== undefined ? { stallTimeoutMs: options.ingestStallTimeoutMs } : {}),
  });
  const journal = new IngestJournal(config.dataDir);
  let firstRead = false;
  let shuttingDown = false;
  /**
   * Runs an ingest with a journal entry (bot.db): its requester, its progress (written at most
   * once a second) and how it ended, so that one that dies with the bot is reported after the restart.
   */
  const journaled = (request: IngestRequest, what: string, requester: IngestRequester | null, onProgress?: (progress: string) => void): Promise<IngestSummary> => {
    const id = journal.begin(what, requester);
    let written = 0;
    return ingest
      .run(request, (status) => {
        const progress = describeIngestProgress(status);
        onProgress?.(progress);
        if (Date.now() - written < 1_000) return;
        written = Date.now();
        journal.progress(id, progress);
      })
      .then(
        (summary) => {
          journal.end(id, 'finished');
          return summary;
        },
        (error: unknown) => {
          if (error instanceof IngestBusyError) journal.discard(id);
          else journal.end(id, shuttingDown ? 'interrupted' : 'failed');
          throw error;
        },
      );
  };
  const services: BotServices = {
    answers: app.answers,
    firstReading: () => {
      if (!firstRead) return null;
      const running = ingest.status();
      return running ? describeIngestProgress(running) : 'just started';
    },
    search: async (query, k, scopes) => app.retriever.search(query, { k, scopes }),
    latest: (topic, limit, scopes) => app.retriever.latest(topic, limit, scopes),
    sources: app.store,
    status: async () => {
      const stats = await app.store.stats();
      const running = ingest.status();
      return {
        articles: stats.articles,
        passages: stats.passages,
        vectors: stats.vectors,
        lastIngest: stats.lastIngest,
        embeddingModel: app.embedder?.modelId ?? stats.manifest.embeddingModel,
        vectorSearch: app.retriever.hasVectors,
        retrievalMode: config.retrieval.mode,
        answerMode: app.answers.answerMode,
        llmModel: config.llm?.model ?? null,
        feeds: config.feeds.length + (await app.store.listFeeds()).length,
        ingestRunning: running ? describeIngestProgress(running) : null,
        unfinishedIngest: running ? null : describeUnfinished(journal.lastUnfinished()),
      };
    },
    ingest: (request, onProgress, origin) => journaled(request, origin?.what ?? describeRequest(request), origin?.requester ?? null, onProgress),
    log,
    logger,
    metrics: app.metrics,
  };
  const client = options.client ?? createDiscordClient({ apiUrl: config.discord.apiUrl });
  // Briefs and watches write on the lease's connection with SQLite (a short busy wait: a write
  // that meets an ingest batch fails and is retried at the next check, never holding the thread).
  const deliveryStore: DeliveryServiceOptions['store'] = dataDirLease
    ? {
        get deliveries() {
          return dataDirLease.store().deliveries;
        },
        articleText: (id) => app.store.articleText(id),
        termIdf: (stems) => app.store.termIdf(stems),
        articleScope: (id) => app.store.articleScope(id),
        getArticle: (id) => app.store.getArticle(id),
        listFeeds: (scopes) => app.store.listFeeds(scopes),
      }
    : app.store;
  deliveries = new DeliveryService({
    store: deliveryStore,
    poster: new DiscordPoster(client, log, logger),
    settings: config.deliveries,
    clock: options.clock ?? systemClock,
    lease,
    model: app.model && config.llm ? { model: app.model, timeoutMs: config.llm.answerTimeoutMs } : null,
    logger,
  });
  services.deliveries = deliveries;
  const bot = new NewsBot(client, services, {
    moderatorRoleIds: config.discord.moderatorRoleIds,
    ownerGuildIds: config.discord.ownerGuildIds,
    allowPrivateFetch: config.allowPrivateFetch,
    rateLimitPerMinute: config.discord.rateLimitPerMinute,
    maxConcurrent: config.discord.maxConcurrent,
    maxQueued: config.discord.maxQueued,
    editIntervalMs: config.discord.editIntervalMs,
    registerCommands: config.discord.registerCommands ? { guildId: config.discord.guildId } : null,
  });
  // Load the vector index before serving: later writes are folded in a slice at a time.
  const indexReady = app.embedder ? app.store.openVectorIndex() : Promise.resolve();
  indexReady.catch(() => {}); // awaited in start()
  app.metrics.observeGateway(() => bot.connected);
  let stopPolling = () => {};
  let refresher: NodeJS.Timeout | undefined;
  let health: HealthServer | null = null;
  let stopping: Promise<void> | null = null;
  return {
    bot,
    ingest,
    deliveries,
    services,
    async readFirst() {
      firstRead = true;
      try {
        return await journaled({ kind: 'corpus' }, 'the bundled corpus (first run)', null);
      } finally {
        firstRead = false;
      }
    },
    async start(token) {
      await indexReady;
      if (config.health) {
        health = await startHealthServer({
          ...config.health,
          metrics: app.metrics,
          logger,
          checks: {
            gateway: () => (stopping ? { ok: false, detail: 'shutting down' } : bot.connected ? { ok: true, detail: 'connected' } : { ok: false, detail: 'not connected' }),
            store: storeCheck(() => app.store.stats()),
          },
        });
      }
      await bot.start(token);
      // Ingests that died with the last bot on this machine: their moderators are told, once.
      for (const entry of journal.takeInterrupted()) {
        logger.warn('an ingest did not finish: the bot stopped while it ran', { what: entry.what, startedAt: entry.startedAt, progress: entry.progress });
        // In the channel (DMs closed): that it stopped, not what it was reading (no URL in public).
        if (entry.requester) void tellModerator(client, entry.requester, describeInterrupted(entry), logger, 'your ingest did not finish: the bot stopped while it ran. What it stored is kept; run it again to finish (details in /status).');
      }
      stopPolling = ingest.startPolling(options.pollIntervalMs ?? config.feedPollMinutes * 60_000);
      refresher = setInterval(() => void app.store.refresh().catch((error: unknown) => logger.warn('store refresh failed', { error: String(error) })), STORE_REFRESH_MS);
      refresher.unref();
      deliveries!.start();
    },
    stop() {
      stopping ??= (async () => {
        shuttingDown = true;
        stopPolling();
        clearInterval(refresher);
        // New questions are told "restarting" from now on while answers in progress finish, a
        // running ingest stops after its batch in flight and a delivery round ends.
        await Promise.all([
          bot.stop().catch((error: unknown) => logger.error('stopping the bot failed', { error })),
          ingest.stop(INGEST_STOP_GRACE_MS),
          deliveries!.stop(),
        ]);
        await health?.close();
        log.close();
        journal.close();
        await dataDirLease?.close();
        await app.close();
      })();
      return stopping;
    },
  };
}

import fs from 'node:fs';
import path from 'node:path';
import { buildAnswering } from '../../src/app/answering.js';
import { AnswerLog } from '../../src/bot/answer-log.js';
import { NewsBot } from '../../src/bot/bot.js';
import { createDiscordClient } from '../../src/bot/client.js';
import type { BotServices, BotSettings } from '../../src/bot/services.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { AnswerService } from '../../src/answer/answerer.js';
import type { Retriever } from '../../src/retrieval/retriever.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import { runIngestRequest } from '../../src/ingest/request.js';
import { CHUNKER_VERSION } from '../../src/ingest/chunker.js';
import type { NewsStore, SourceStore } from '../../src/store/ports.js';
import { REPO, tempDir } from './env.js';
import { FakeDiscord, type FakeDiscordOptions } from './fake-discord.js';
import { assertNoRuleBreaks } from './rule-breaks.js';
import { openTestStore } from './test-store.js';
import type { StoreFactory } from './stores.js';

/**
 * The bot's services over a store and the app's answering, as the runtime wires them (no
 * embedding model: lexical search). Shared by the bot tests and scripts/thread-check.ts.
 */
export function harnessServices(parts: {
  store: Pick<NewsStore, 'stats' | 'removeArticles' | 'listFeeds' | keyof SourceStore>;
  config: Config;
  retriever: Retriever;
  answers: AnswerService;
  log: BotServices['log'];
  logger: Logger;
  ingest: BotServices['ingest'];
}): BotServices {
  const { store, config, retriever, answers } = parts;
  return {
    answers,
    search: (query, k, scopes) => retriever.search(query, { k, scopes }),
    latest: (topic, limit, scopes) => retriever.latest(topic, limit, scopes),
    sources: store,
    status: async () => {
      const s = await store.stats();
      return {
        articles: s.articles, passages: s.passages, vectors: s.vectors, lastIngest: s.lastIngest, embeddingModel: null, vectorSearch: false,
        retrievalMode: config.retrieval.mode, answerMode: answers.answerMode, llmModel: config.llm?.model ?? null, feeds: 0,
      };
    },
    ingest: parts.ingest,
    log: parts.log,
    logger: parts.logger,
  };
}

/**
 * The bot's settings in the harness: the fake's moderator role, a high rate limit, commands
 * registered in its server, which is the operator's (an owner server: its ingests are global).
 */
export function harnessSettings(fake: FakeDiscord): BotSettings {
  return {
    moderatorRoleIds: [fake.moderatorRoleId], rateLimitPerMinute: 100, maxConcurrent: 4, maxQueued: 50, editIntervalMs: 250,
    registerCommands: { guildId: fake.guildId }, ownerGuildIds: [fake.guildId], allowPrivateFetch: true, shutdownDrainMs: 0,
  };
}

/**
 * Resolves once the bot has recorded the thread it opened on an answer (it does so when Discord's
 * reply to the thread's creation came back, so its client knows the thread): a message sent to the
 * thread before that could be dropped by discord.js as one in an unknown channel.
 */
export async function threadKnown(services: Pick<BotServices, 'log'>, threadId: string, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; services.log.threadHistory(threadId, 1).length === 0; ) {
    if (Date.now() > end) throw new Error(`the bot never recorded thread ${threadId}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A running bot on the real discord.js Client against a fake Discord. */
export interface BotHarness {
  fake: FakeDiscord;
  bot: NewsBot;
  services: BotServices;
  store: NewsStore;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Starts the bot over a store holding the bundled corpus (lexical search), with the LLM at
 * `llmBaseURL` when given. The identify throttler is a no-op so re-identifying takes no 5 s.
 * The fake Discord holds the bot to Discord's rules: every test fails on a rule break recorded
 * during it (tests/helpers/setup-rule-checks.ts), and `stop()` fails on one recorded while stopping.
 */
export async function startBot(
  options: {
    llmBaseURL?: string;
    settings?: Partial<BotSettings>;
    discord?: FakeDiscordOptions;
    articles?: (corpusDir: string) => void;
    /** Run ingest requests as the worker does (runIngestRequest, in this process; private addresses allowed) instead of always re-reading the corpus. */
    realIngest?: boolean;
    /** The store (default: SQLite in the harness's folder), e.g. a PostgreSQL one from tests/helpers/stores.ts. */
    stores?: StoreFactory;
    /** Called before the bot connects (e.g. to add servers with `fake.addGuild`). */
    beforeConnect?: (fake: FakeDiscord) => void;
  } = {},
): Promise<BotHarness> {
  const { dir, cleanup } = tempDir('newsbot-bot-');
  const logs: string[] = [];
  const logger: Logger = createLogger('debug', (line) => logs.push(line));
  const made = options.stores?.create();
  const store: NewsStore = made ? await made.open({ embedding: null, chunkerVersion: CHUNKER_VERSION }) : openTestStore(path.join(dir, 'data'));
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus);
  fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
  // More articles beside the seed (files written into the corpus folder by the caller).
  options.articles?.(corpus);
  await ingestArticles(store, null, readArticles([corpus]), { pruneUnder: [corpus] });
  // The app's wiring (a lexical store), with the LLM settings from a config as an operator would give them.
  const config = loadConfig(
    {
      ...(options.llmBaseURL ? { OPENAI_BASE_URL: options.llmBaseURL, OPENAI_MODEL: 'fake-model', OPENAI_TIMEOUT_MS: '3000', LLM_MAX_ATTEMPTS: '2', LLM_REWRITE_TIMEOUT_MS: '1000' } : {}),
      ...(options.realIngest ? { ALLOW_PRIVATE_FETCH: 'true', CORPUS_DIR: corpus } : {}),
    },
    dir,
  );
  const { retriever, answers } = buildAnswering({ store, embedder: null, retrieval: config.retrieval, llm: config.llm, llmBackoff: { baseDelayMs: 10, maxDelayMs: 20 }, logger });
  const log = new AnswerLog(path.join(dir, 'data'));
  const ingest: BotServices['ingest'] = options.realIngest
    ? (request) => runIngestRequest({ store, embedder: null, config, logger }, request)
    : () => ingestArticles(store, null, readArticles([corpus]), { pruneUnder: [corpus] });
  const services = harnessServices({ store, config, retriever, answers, log, logger, ingest });
  const fake = new FakeDiscord(options.discord);
  options.beforeConnect?.(fake);
  await fake.start();
  const client = createDiscordClient({
    apiUrl: fake.apiUrl,
    ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) },
  });
  const bot = new NewsBot(client, services, { ...harnessSettings(fake), ...options.settings });
  await bot.start('test-token');
  return {
    fake,
    bot,
    services,
    store,
    logs,
    async stop() {
      try {
        await bot.stop(2_000);
        await fake.stop();
      } finally {
        log.close();
        await store.close();
        await made?.cleanup();
        cleanup();
      }
      assertNoRuleBreaks(fake.takeRuleBreaks());
    },
  };
}

import fs from 'node:fs';
import path from 'node:path';
import { AnswerService } from '../../src/answer/answerer.js';
import { FollowUpRewriter } from '../../src/answer/conversation.js';
import { LlmAnswerer } from '../../src/answer/llm-answerer.js';
import { OpenAIChatModel } from '../../src/answer/openai-chat-model.js';
import { AnswerLog } from '../../src/bot/answer-log.js';
import { NewsBot } from '../../src/bot/bot.js';
import { createDiscordClient } from '../../src/bot/client.js';
import type { BotServices, BotSettings } from '../../src/bot/services.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { CHUNKER_VERSION } from '../../src/ingest/chunker.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import { Retriever } from '../../src/retrieval/retriever.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { REPO, tempDir } from './env.js';
import { FakeDiscord, type FakeDiscordOptions } from './fake-discord.js';
import { assertNoRuleBreaks } from './rule-breaks.js';

/** A running bot on the real discord.js Client against a fake Discord. */
export interface BotHarness {
  fake: FakeDiscord;
  bot: NewsBot;
  services: BotServices;
  store: SqliteStore;
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
  options: { llmBaseURL?: string; settings?: Partial<BotSettings>; discord?: FakeDiscordOptions; articles?: (corpusDir: string) => void } = {},
): Promise<BotHarness> {
  const { dir, cleanup } = tempDir('newsbot-bot-');
  const logs: string[] = [];
  const logger: Logger = createLogger('debug', (line) => logs.push(line));
  const store = SqliteStore.open(path.join(dir, 'data'), { embedding: null, chunkerVersion: CHUNKER_VERSION });
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus);
  fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
  // More articles beside the seed (files written into the corpus folder by the caller).
  options.articles?.(corpus);
  await ingestArticles(store, null, readArticles([corpus]), { pruneUnder: [corpus] });
  const retriever = new Retriever(store, null, { k: 5, mode: 'hybrid', maxPerArticle: 2 });
  const model = options.llmBaseURL ? new OpenAIChatModel({ baseURL: options.llmBaseURL, model: 'fake-model', timeoutMs: 3_000 }) : null;
  const llm = model
    ? new LlmAnswerer({
        model,
        maxAttempts: 2,
        baseDelayMs: 10,
        maxDelayMs: 20,
        idleTimeoutMs: 2_000,
        logger,
      })
    : null;
  const rewriter = model ? new FollowUpRewriter({ model, timeoutMs: 1_000, logger }) : null;
  const answers = new AnswerService(retriever, { llm, rewriter, termIdf: (stems) => store.termIdf(stems) });
  const log = new AnswerLog(path.join(dir, 'data'));
  const services: BotServices = {
    answers,
    search: (query, k) => retriever.search(query, { k }),
    latest: (topic, limit) => retriever.latest(topic, limit),
    status: async () => {
      const s = await store.stats();
      return {
        articles: s.articles, passages: s.passages, vectors: s.vectors, lastIngest: s.lastIngest, embeddingModel: null, vectorSearch: false,
        retrievalMode: 'hybrid', answerMode: answers.answerMode, llmModel: llm ? 'fake-model' : null, feeds: 0,
      };
    },
    ingest: () => ingestArticles(store, null, readArticles([corpus]), { pruneUnder: [corpus] }),
    log,
    logger,
  };
  const fake = new FakeDiscord(options.discord);
  await fake.start();
  const client = createDiscordClient({
    apiUrl: fake.apiUrl,
    ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) },
  });
  const bot = new NewsBot(client, services, {
    moderatorRoleIds: [fake.moderatorRoleId],
    rateLimitPerMinute: 100,
    maxConcurrent: 4,
    maxQueued: 50,
    editIntervalMs: 250,
    registerCommands: { guildId: fake.guildId },
    ...options.settings,
  });
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
        cleanup();
      }
      assertNoRuleBreaks(fake.takeRuleBreaks());
    },
  };
}

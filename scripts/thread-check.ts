/**
 * Thread check: replays, as a user meets it, one five-question Discord thread about the seed
 * article (Starmer's visit to Trump) over a big lexical store, and prints every answer verbatim,
 * to compare answer quality before and after a change. A measurement, not a test: it exits 0
 * whenever it ran, whatever the answers are, and non-zero only on an error.
 *
 *   npx tsx scripts/thread-check.ts [--data-dir DIR] [--articles N] [--json]
 *
 * --data-dir  where the store is built and cached between runs (default /work/threadcheck/store;
 *             one subfolder per article count, rebuilt when the inputs or the chunker change)
 * --articles  ingest only the first N articles of rtqa-2024 beside the seed (default: all 8,819)
 * --json      also print one JSON object (one line) at the end, with every turn's fields
 *
 * The store: the seed ../shared/seed/starmer-trump-ukraine-2025-02-27.txt plus
 * ../shared/eval/rtqa-2024/articles.jsonl.gz, ingested with the project's own reader and pipeline
 * and no embedding model (third-party text is read at run time, never copied into the repo).
 * The bot: the real discord.js client and NewsBot against the fake Discord of tests/helpers, wired
 * as tests/helpers/bot-harness.ts wires it, with no language model (extractive answers).
 * "Now": the bot has no as-of setting (Answering passes none; the retriever takes `new Date()`)
 * and the bot tests do not fake the clock, so neither does this: answers are as of the real date.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Events, type AnyThreadChannel } from 'discord.js';
import { buildAnswering } from '../src/app/answering.js';
import { openSqliteStore } from '../src/app/root.js';
import { AnswerLog, type AnswerPlace } from '../src/bot/answer-log.js';
import { NewsBot } from '../src/bot/bot.js';
import { createDiscordClient } from '../src/bot/client.js';
import { loadConfig } from '../src/config/index.js';
import type { IngestSummary } from '../src/core/ingest.js';
import { createLogger, type Logger } from '../src/core/logger.js';
import type { Answer } from '../src/core/types.js';
import { CHUNKER_VERSION } from '../src/ingest/chunker.js';
import { ingestArticles } from '../src/ingest/pipeline.js';
import { readArticles, type ReadResult } from '../src/ingest/read-articles.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { FakeDiscord, type RestCall } from '../tests/helpers/fake-discord.js';
import { harnessServices, harnessSettings } from '../tests/helpers/bot-harness.js';
import { describeRuleBreaks } from '../tests/helpers/rule-breaks.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEED_FILE = path.resolve(REPO, '../shared/seed/starmer-trump-ukraine-2025-02-27.txt');
const ARTICLES_FILE = path.resolve(REPO, '../shared/eval/rtqa-2024/articles.jsonl.gz');
const DEFAULT_DATA_DIR = '/work/threadcheck/store';
/** The date the thread is meant to be asked on (the day after the seed article). */
const INTENDED_AS_OF = '2025-02-28';

/** The thread: the first question is a mention in the channel, the rest mentions in the thread it opens. */
const QUESTIONS = [
  'what did Starmer ask Trump for?',
  'why does he want that?',
  'what did Macron do?',
  'and what did Trump say about peacekeeping?',
  'who is hosting Zelensky on Sunday?',
];
/** How long one answer may take (a search over ~9,000 articles on a busy machine). */
const ANSWER_TIMEOUT_MS = 180_000;

const USAGE = 'usage: npx tsx scripts/thread-check.ts [--data-dir DIR] [--articles N] [--json]';

interface TurnReport {
  turn: number;
  question: string;
  /** Where the question was asked: the channel (turn 0) or the bot's thread. */
  channelId: string;
  /** The bot's messages for this turn, verbatim, in the order it posted them. */
  reply: string[];
  /** The answer body as the bot built it (answer.text, before the Sources block is added). */
  answerText: string;
  sources: { n: number; title: string; date: string | null; source: string }[];
  seedCitedFirst: boolean;
  /** Last turn only: whether the answer body names Starmer. */
  answerMentionsStarmer?: boolean;
  seconds: number;
}

function fail(message: string): never {
  console.error(message);
  console.error(USAGE);
  process.exit(2);
}

function stderr(line: string): void {
  process.stderr.write(line + '\n');
}

/** The seed article as the project's reader parses it (its real title and date). */
async function readSeed(): Promise<{ title: string; date: string | null }> {
  for await (const result of readArticles([SEED_FILE])) {
    if (result.kind === 'article') return { title: result.article.title, date: result.article.date };
    throw new Error(`cannot read the seed article ${SEED_FILE}: ${result.reason}`);
  }
  throw new Error(`no article in ${SEED_FILE}`);
}

/** The seed, then the first `limit` results (one a JSONL line) of the rtqa-2024 articles, or all. */
async function* storeSource(limit: number | null): AsyncGenerator<ReadResult> {
  yield* readArticles([SEED_FILE]);
  let n = 0;
  for await (const result of readArticles([ARTICLES_FILE])) {
    if (limit !== null && n >= limit) return;
    n++;
    yield result;
  }
}

/** What the cached store was built from: it is rebuilt when any of it changes. */
function stampOf(limit: number | null): string {
  const file = (f: string) => {
    const s = fs.statSync(f);
    return { path: f, size: s.size, mtimeMs: Math.round(s.mtimeMs) };
  };
  return JSON.stringify({ seed: file(SEED_FILE), articles: file(ARTICLES_FILE), limit, chunker: CHUNKER_VERSION, embedding: null });
}

/** Opens the cached lexical store, building it first when it is missing or stale. */
async function openStore(dataDir: string, limit: number | null): Promise<{ store: SqliteStore; built: boolean; seconds: number; summary: IngestSummary | null }> {
  const dir = path.join(dataDir, limit === null ? 'rtqa-2024-all' : `rtqa-2024-first-${limit}`);
  const stampFile = path.join(dir, 'thread-check-stamp.json');
  const stamp = stampOf(limit);
  const started = Date.now();
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    try {
      const store = openSqliteStore(dir, { embedding: null });
      return { store, built: false, seconds: (Date.now() - started) / 1000, summary: null };
    } catch (error) {
      stderr(`cached store in ${dir} unusable (${(error as Error).message}); rebuilding`);
    }
  }
  fs.rmSync(stampFile, { force: true });
  fs.mkdirSync(dir, { recursive: true });
  SqliteStore.destroy(dir);
  stderr(`building the lexical store in ${dir} (seed + ${limit === null ? 'all' : `the first ${limit}`} rtqa-2024 articles)...`);
  const store = openSqliteStore(dir, { embedding: null });
  let lastReport = 0;
  const summary = await ingestArticles(store, null, storeSource(limit), {
    onProgress: (p) => {
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      stderr(`  ${p.done} articles read, ${p.passages} passages written (${Math.round((Date.now() - started) / 1000)} s)`);
    },
  });
  fs.writeFileSync(stampFile, stamp);
  return { store, built: true, seconds: (Date.now() - started) / 1000, summary };
}

/** The answer log, telling when the bot records an answer and when it attaches one to its thread. */
class WatchedAnswerLog extends AnswerLog {
  readonly recorded: { id: string; question: string; answer: Answer; place: AnswerPlace }[] = [];
  readonly threads = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  override record(question: string, answer: Answer, place: AnswerPlace): string {
    const id = super.record(question, answer, place);
    this.recorded.push({ id, question, answer, place });
    this.changed();
    return id;
  }

  override setThread(id: string, threadId: string): void {
    super.setThread(id, threadId);
    this.threads.set(id, threadId);
    this.changed();
  }

  /** Resolves with `check()`'s first non-undefined value, checked now and after every change of the log. */
  until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (value: T) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
      };
      const listener = () => {
        const value = check();
        if (value !== undefined) done(value);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
      }, timeoutMs);
      this.listeners.add(listener);
      listener();
    });
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The custom ids of the buttons under a message posted to the fake Discord. */
function customIds(call: RestCall): string[] {
  const components = (call.body as Record<string, unknown> | null)?.['components'];
  return JSON.stringify(components ?? []).match(/"custom_id":"[^"]*"/g)?.map((m) => m.slice(13, -1)) ?? [];
}

function contentOf(call: RestCall): string {
  return String((call.body as Record<string, unknown> | null)?.['content'] ?? '');
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { 'data-dir': { type: 'string' }, articles: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const limit = values.articles === undefined ? null : Number(values.articles);
  if (limit !== null && (!Number.isInteger(limit) || limit < 0)) fail('--articles must be a whole number of articles, e.g. 300');
  const dataDir = path.resolve(values['data-dir'] ?? DEFAULT_DATA_DIR);
  for (const file of [SEED_FILE, ARTICLES_FILE]) if (!fs.existsSync(file)) throw new Error(`${file} not found (../shared beside the repository is needed)`);

  const seed = await readSeed();
  const opened = await openStore(dataDir, limit);
  const store = opened.store;
  const stats = await store.stats();
  const { dir: runDir, cleanup } = (() => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'thread-check-'));
    return { dir: d, cleanup: () => fs.rmSync(d, { recursive: true, force: true }) };
  })();

  const logs: string[] = [];
  const logger: Logger = createLogger('info', (line) => logs.push(line));
  // The app's wiring, as tests/helpers/bot-harness.ts does it: a config with no language model.
  const config = loadConfig({}, runDir);
  const { retriever, answers } = buildAnswering({ store, embedder: null, retrieval: config.retrieval, llm: config.llm, logger });
  if (answers.answerMode !== 'extractive') throw new Error(`expected extractive answers, got ${answers.answerMode}`);
  const log = new WatchedAnswerLog(path.join(runDir, 'bot'));
  const services = harnessServices({ store, config, retriever, answers, log, logger, ingest: () => Promise.reject(new Error('ingest is not part of the thread check')) });

  const fake = new FakeDiscord();
  await fake.start();
  const client = createDiscordClient({
    apiUrl: fake.apiUrl,
    ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) },
  });
  // Threads the client has learnt of (THREAD_CREATE): a mention in a thread the client does not know is dropped.
  const knownThreads = new Set<string>();
  const threadWaiters = new Map<string, () => void>();
  client.on(Events.ThreadCreate, (thread: AnyThreadChannel) => {
    knownThreads.add(thread.id);
    threadWaiters.get(thread.id)?.();
  });
  const threadKnown = (id: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (knownThreads.has(id)) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for the client to learn of thread ${id}`)), timeoutMs);
      threadWaiters.set(id, () => {
        clearTimeout(timer);
        threadWaiters.delete(id);
        resolve();
      });
    });

  const bot = new NewsBot(client, services, harnessSettings(fake));
  const turns: TurnReport[] = [];
  let threadSeconds = 0;
  try {
    await bot.start('thread-check-token');
    const threadStarted = Date.now();
    let channelId = fake.channelId;
    for (const [turn, question] of QUESTIONS.entries()) {
      const started = Date.now();
      const since = fake.calls.length;
      const recordedBefore = log.recorded.length;
      fake.message(question, { channelId });
      // The bot records its answer, then posts it: the last part carries the answer's buttons.
      const entry = await log.until(() => log.recorded.slice(recordedBefore).find((r) => r.question === question), ANSWER_TIMEOUT_MS, `the answer to "${question}"`);
      const posts = new RegExp(`^/channels/${channelId}/messages$`);
      const last = await fake.waitFor('POST', posts, { since, timeoutMs: 30_000, where: (c) => customIds(c).some((id) => id.includes(entry.id)) });
      const calls = fake.calls.slice(since);
      const reply = calls.slice(0, calls.indexOf(last) + 1).filter((c) => c.method === 'POST' && posts.test(c.path)).map(contentOf);
      if (turn === 0) {
        // The bot opens a thread on its answer; follow-ups go there once the client knows it.
        const threadId = await log.until(() => log.threads.get(entry.id), 30_000, 'the thread on the first answer');
        await threadKnown(threadId, 30_000);
        channelId = threadId;
      }
      const citations = entry.answer.citations;
      const first = citations[0];
      turns.push({
        turn,
        question,
        channelId: entry.place.threadId ?? entry.place.channelId,
        reply,
        answerText: entry.answer.text,
        sources: citations.map((c) => ({ n: c.n, title: c.title, date: c.date, source: c.source })),
        seedCitedFirst: first !== undefined && first.title === seed.title && first.date === seed.date,
        ...(turn === QUESTIONS.length - 1 ? { answerMentionsStarmer: entry.answer.text.includes('Starmer') } : {}),
        seconds: (Date.now() - started) / 1000,
      });
    }
    threadSeconds = (Date.now() - threadStarted) / 1000;
  } finally {
    await bot.stop(2_000).catch((error: unknown) => stderr(`stopping the bot: ${String(error)}`));
    await fake.stop();
    log.close();
    await store.close();
    cleanup();
  }
  const ruleBreaks = fake.takeRuleBreaks();

  const out: string[] = [];
  out.push('# Thread check');
  out.push(`store: ${stats.articles} articles, ${stats.passages} passages (lexical, no embedding model) in ${dataDir}`);
  out.push(
    opened.built
      ? `store build: ${opened.seconds.toFixed(1)} s (${opened.summary!.added} added, ${opened.summary!.skippedCount} skipped)`
      : `store: reused the cached build (opened in ${opened.seconds.toFixed(1)} s)`,
  );
  out.push(`seed: "${seed.title}" (${seed.date})`);
  out.push(`answers: ${answers.answerMode}; retrieval: ${config.retrieval.mode} setting, no vectors (lexical search)`);
  out.push(`as of: the real clock, ${new Date().toISOString().slice(0, 10)} (the bot has no as-of setting and the tests do not fake the clock; the thread is meant for ${INTENDED_AS_OF})`);
  out.push(`thread: ${threadSeconds.toFixed(1)} s for ${turns.length} turns`);
  for (const t of turns) {
    out.push('');
    out.push(`## Turn ${t.turn}${t.turn === 0 ? ' (mention in the channel)' : ' (mention in the thread)'}: ${t.question}`);
    out.push(`(${t.reply.length} message${t.reply.length === 1 ? '' : 's'}, ${t.seconds.toFixed(1)} s)`);
    for (const [i, part] of t.reply.entries()) {
      out.push(`----- reply part ${i + 1} -----`);
      out.push(part);
    }
    out.push('----- cited sources, in order -----');
    if (t.sources.length === 0) out.push('(none)');
    for (const s of t.sources) out.push(`[${s.n}] ${s.title} (${s.date ?? 'no date'})`);
  }
  out.push('');
  out.push('# Summary');
  for (const t of turns) {
    const first = t.sources[0];
    const starmer = t.answerMentionsStarmer === undefined ? '' : `; answer mentions "Starmer": ${t.answerMentionsStarmer ? 'yes' : 'NO'}`;
    out.push(`turn ${t.turn}: seed cited first: ${t.seedCitedFirst ? 'yes' : 'NO'} (first: ${first ? `${first.title} (${first.date ?? 'no date'})` : 'none'})${starmer} | ${t.question}`);
  }
  out.push(`seed cited first on ${turns.filter((t) => t.seedCitedFirst).length} of ${turns.length} turns`);
  if (ruleBreaks.length) out.push(`note: the fake Discord recorded ${ruleBreaks.length} rule break(s):\n${describeRuleBreaks(ruleBreaks)}`);
  const problems = logs.filter((l) => /^(warn|error)/.test(l));
  if (problems.length) out.push(`bot warnings/errors:\n${problems.join('\n')}`);
  console.log(out.join('\n'));

  if (values.json) {
    console.log(
      JSON.stringify({
        seed,
        store: { dir: dataDir, articles: stats.articles, passages: stats.passages, built: opened.built, seconds: opened.seconds },
        asOf: { clock: 'real', date: new Date().toISOString().slice(0, 10), intended: INTENDED_AS_OF },
        threadSeconds,
        turns,
        ruleBreaks: ruleBreaks.length,
      }),
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);

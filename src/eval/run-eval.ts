import fs from 'node:fs';
import path from 'node:path';
import { buildAnswering, type AnsweringOptions } from '../app/answering.js';
import { redactedJson, silentLogger, type Logger } from '../core/logger.js';
import { CHUNKER_VERSION } from '../ingest/chunker.js';
import { ingestArticles, type IngestProgress } from '../ingest/pipeline.js';
import { readArticles } from '../ingest/read-articles.js';
import { retrievalSettings } from '../config/defaults.js';
import type { Embedder } from '../core/embedder.js';
import { destroyNewsStore, openNewsStore, type DatabaseChoice } from '../app/root.js';
import type { NewsStore } from '../store/ports.js';
import { contentTerms } from '../core/text.js';
import { keyTerms } from '../answer/topic.js';
import { parseTimeWindow } from '../retrieval/time.js';
import { aggregate, aggregateUnanswerable, containsAnswer, firstHitRank, isOffTopicArticle, type EvalMetrics, type QuestionOutcome, type UnanswerableMetrics } from './metrics.js';

/** A RealTime QA question as stored in questions.jsonl. */
export interface EvalQuestion {
  id: string;
  date: string;
  question: string;
  answer: string;
  answerable: boolean;
}

/** Settings for one evaluation run. */
export interface EvalOptions {
  /** Folder holding articles.jsonl.gz and questions.jsonl. */
  setDir: string;
  /** Where per-set stores are cached between runs (the SQLite stores, or the stamps of PostgreSQL ones). */
  cacheDir: string;
  /**
   * The backend (default SQLite in cacheDir). With PostgreSQL each set gets its own schema,
   * `<schema>_eval_<set>`, so the figures of both backends can be compared on the same questions.
   */
  database?: DatabaseChoice;
  /**
   * Retrieval settings: the bot's (config.retrieval) with the eval's mode and k (topK), so the
   * figures are the bot's; every one not given comes from RETRIEVAL_DEFAULTS.
   */
  retrieval: AnsweringOptions['retrieval'];
  limit?: number | undefined;
  /** Read the questions from this file (questions.jsonl format) instead of the set's own. */
  questionsFile?: string | undefined;
  /** Also ask the unanswerable questions (their answer is in no article); reported apart. */
  allQuestions?: boolean;
  /**
   * Ask every question this many days after its date, with the news of its day (articles dated
   * after it weighed as not yet published): how ranking holds up when the news is old.
   */
  askedLaterDays?: number | undefined;
  /** Only the questions that name no time ("this week", "in March"): see parseTimeWindow. */
  timeless?: boolean;
  /** Needed for hybrid and vector modes; lexical mode ingests without it. */
  embedder: Embedder | null;
  /** Write one JSON line per question here. */
  logFile?: string | undefined;
  rebuild?: boolean;
  logger?: Logger;
  onIngestProgress?: (p: IngestProgress) => void;
  onQuestion?: (done: number, total: number) => void;
}

/** The figures of a run, plus timings. */
export interface EvalResult {
  /** Figures over the answerable questions. */
  metrics: EvalMetrics;
  /** With allQuestions: the refusal and off-topic shares over the unanswerable ones. */
  unanswerable: UnanswerableMetrics | null;
  /** Answerable questions first, then the unanswerable ones. */
  outcomes: QuestionOutcome[];
  ingestSeconds: number;
  evalSeconds: number;
  reusedStore: boolean;
}

/** Reads the answerable questions of a set (or all, with `all`), in file order. */
export function readQuestions(setDir: string, all = false): EvalQuestion[] {
  return readQuestionsFile(path.join(setDir, 'questions.jsonl'), all);
}

/** Reads the answerable questions of a questions.jsonl file (or all, with `all`), in file order. */
export function readQuestionsFile(file: string, all = false): EvalQuestion[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as EvalQuestion)
    .filter((q) => all || q.answerable);
}

const DAY_MS = 86_400_000;

function articlesFile(setDir: string): string {
  for (const name of ['articles.jsonl.gz', 'articles.jsonl']) {
    const file = path.join(setDir, name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`no articles.jsonl(.gz) in ${setDir}`);
}

/**
 * Evaluates retrieval on a news-QA set: ingests every article of the set into a cached store
 * (rebuilt when the articles file, the model or the chunker change), then asks each answerable
 * question (with allQuestions, every question: the unanswerable ones are reported apart)
 * question as of its date through the bot's own retrieval and extractive answer.
 */
export async function runEval(options: EvalOptions): Promise<EvalResult> {
  const logger = options.logger ?? silentLogger;
  const articles = articlesFile(options.setDir);
  const stat = fs.statSync(articles);
  const setName = path.basename(path.resolve(options.setDir));
  const database: DatabaseChoice =
    options.database?.kind === 'postgres' ? { ...options.database, schema: `${options.database.schema}_eval_${setName.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`.slice(0, 63) } : { kind: 'sqlite' };
  const storeDir = path.join(options.cacheDir, database.kind === 'postgres' ? `${setName}.${database.schema}` : setName);
  const stampFile = path.join(storeDir, 'eval-stamp.json');
  const stamp = JSON.stringify({ articles: path.resolve(articles), size: stat.size, mtimeMs: Math.round(stat.mtimeMs), chunker: CHUNKER_VERSION });
  let reusedStore = !options.rebuild && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;
  const embedding = options.embedder ? { modelId: options.embedder.modelId, dimension: options.embedder.dimension } : null;
  const settings = retrievalSettings(options.retrieval);
  const openOptions = { database, dataDir: storeDir, embedding, chunkerVersion: CHUNKER_VERSION, efSearch: settings.efSearch, logger };
  let store: NewsStore | undefined;
  if (reusedStore) {
    try {
      store = await openNewsStore(openOptions);
    } catch (error) {
      logger.warn(`cached eval store unusable (${(error as Error).message}); rebuilding`);
      reusedStore = false;
    }
  }
  if (!store) {
    await destroyNewsStore(database, storeDir);
    fs.rmSync(stampFile, { force: true });
    fs.mkdirSync(storeDir, { recursive: true });
    store = await openNewsStore(openOptions);
  }
  const ingestStart = Date.now();
  const counts = await store.stats();
  const needsIngest = !reusedStore || (options.embedder !== null && counts.vectors < counts.passages);
  if (needsIngest) {
    await ingestArticles(store, options.embedder, readArticles([articles]), { logger, ...(options.onIngestProgress ? { onProgress: options.onIngestProgress } : {}) });
    fs.writeFileSync(stampFile, stamp);
  }
  const ingestSeconds = (Date.now() - ingestStart) / 1000;

  const { answers } = buildAnswering({ store, embedder: options.embedder, retrieval: settings });
  // "Now" on the question's day (its end), and when it is asked (DAYS later with --asked-later).
  const dayOf = (q: EvalQuestion) => new Date(`${q.date}T23:59:59Z`);
  const asked = (q: EvalQuestion) => new Date(dayOf(q).getTime() + (options.askedLaterDays ?? 0) * DAY_MS);
  const questions = (options.questionsFile ? readQuestionsFile(options.questionsFile, options.allQuestions) : readQuestions(options.setDir, options.allQuestions))
    .filter((q) => !options.timeless || parseTimeWindow(q.question, dayOf(q)) === null)
    .sort((a, b) => Number(b.answerable) - Number(a.answerable))
    .slice(0, options.limit ?? undefined);
  const log = options.logFile ? fs.createWriteStream(options.logFile) : null;
  const outcomes: QuestionOutcome[] = [];
  const evalStart = Date.now();
  try {
    for (const [i, q] of questions.entries()) {
      // Asked later, with the news of the question's day (later articles count as not yet published).
      const { answer, search } = await answers.ask(q.question, { asOf: asked(q), ...(options.askedLaterDays ? { newsUntil: dayOf(q) } : {}) });
      const hitRank = firstHitRank(search.passages.map((p) => p.passage.text), q.answer);
      const answerHit = containsAnswer(answer.text.replace(/ \[\d+\]/g, ''), q.answer);
      const articles = new Map<string, { title: string; text: string }>();
      for (const p of search.passages) if (!articles.has(p.article.id)) articles.set(p.article.id, { title: p.article.title, text: (await store.articleText(p.article.id)) ?? '' });
      const articleHitRank = firstHitRank([...articles.values()].map((a) => a.text), q.answer);
      // Off-topic quotes: the answer quotes an article whose title and lede hold none of the question's key terms.
      const retrievedTerms = new Set([...articles.values()].flatMap((a) => contentTerms(`${a.title}\n${a.text}`)));
      const questionTerms = contentTerms(q.question).filter((t) => retrievedTerms.has(t));
      const keys = keyTerms(questionTerms, await store.termIdf(questionTerms));
      const offTopicArticles = answer.citations.filter((c) => isOffTopicArticle(articles.get(c.articleId) ?? { title: c.title, text: '' }, keys)).map((c) => c.title);
      const offTopic = answer.citations.length > 0 && keys.length > 0 ? offTopicArticles.length > 0 : null;
      const refused = answer.citations.length === 0;
      outcomes.push({ id: q.id, hitRank, answerHit, articleHitRank, offTopic, refused, answerable: q.answerable });
      log?.write(
        redactedJson({
          id: q.id,
          date: q.date,
          asOf: asked(q).toISOString(),
          question: q.question,
          answer: q.answer,
          hitRank,
          articleHitRank,
          answerable: q.answerable,
          answerHit,
          refused,
          confidence: answer.confidence,
          keyTerms: keys,
          offTopicArticles,
          window: search.window,
          extractive: answer.text,
          top: search.passages.map((p) => ({ title: p.article.title, date: p.article.date, score: Number(p.score.toFixed(5)), hit: containsAnswer(p.passage.text, q.answer) })),
        }) + '\n',
      );
      options.onQuestion?.(i + 1, questions.length);
    }
  } finally {
    if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
    await store.close();
  }
  const answerable = outcomes.filter((o) => o.answerable);
  const unanswerable = outcomes.filter((o) => !o.answerable);
  return {
    metrics: aggregate(answerable),
    unanswerable: options.allQuestions ? aggregateUnanswerable(unanswerable) : null,
    outcomes,
    ingestSeconds,
    evalSeconds: (Date.now() - evalStart) / 1000,
    reusedStore,
  };
}

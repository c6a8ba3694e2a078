import path from 'node:path';
import { parseArgs } from 'node:util';
import { EmbedderUnavailableError } from '../core/errors.js';
import type { RetrievalMode } from '../core/types.js';
import { runEval } from '../eval/run-eval.js';
import type { Embedder } from '../core/embedder.js';
import { loadEmbedding } from '../app/root.js';
import { boot, progressReporter, runMain } from './common.js';

const USAGE = `usage: npm run eval -- --set <dir> [--mode hybrid|lexical|vector] [--k 10] [--limit N] [--log file.jsonl] [--model id] [--rebuild]
                         [--questions file.jsonl] [--all-questions] [--asked-later DAYS] [--timeless]
  --set            a folder with articles.jsonl.gz and questions.jsonl (e.g. ../shared/eval/rtqa-2024-05)
  --mode           retrieval mode (default: RETRIEVAL_MODE); lexical needs no embedding model
  --model          embedding model for hybrid/vector (default: EMBEDDING_MODEL)
  --questions      ask these questions (questions.jsonl format) over the set's articles instead of its own
                   (e.g. eval/off-store/questions.jsonl: questions no article is about)
  --all-questions  also ask the unanswerable questions; their refusal and off-topic shares are reported
                   apart, under "unanswerable"
  --asked-later    ask every question DAYS after its date (does ranking still prefer the day's story?)
  --timeless       only the questions that name no time ("this week", "in March")
The last line printed is one JSON object with the figures.`;

runMain(async () => {
  const { values } = parseArgs({
    options: {
      set: { type: 'string' },
      mode: { type: 'string' },
      k: { type: 'string', default: '10' },
      limit: { type: 'string' },
      log: { type: 'string' },
      model: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      questions: { type: 'string' },
      'all-questions': { type: 'boolean', default: false },
      'asked-later': { type: 'string' },
      timeless: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.set) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const { config, logger } = await boot();
  const mode = (values.mode ?? config.retrieval.mode) as RetrievalMode;
  if (!['hybrid', 'lexical', 'vector'].includes(mode)) {
    console.error(`--mode must be hybrid, lexical or vector (got "${mode}")`);
    process.exitCode = 2;
    return;
  }
  const k = Number(values.k);
  const limit = values.limit ? Number(values.limit) : undefined;
  const askedLater = values['asked-later'] !== undefined ? Number(values['asked-later']) : undefined;
  if (!Number.isInteger(k) || k < 1 || k > 100 || (limit !== undefined && (!Number.isInteger(limit) || limit < 1))) {
    console.error('--k must be 1..100 and --limit a positive integer');
    process.exitCode = 2;
    return;
  }
  if (askedLater !== undefined && (!Number.isInteger(askedLater) || askedLater < 0 || askedLater > 3650)) {
    console.error('--asked-later must be a whole number of days, 0..3650');
    process.exitCode = 2;
    return;
  }
  let embedder: Embedder | null = null;
  if (mode !== 'lexical') {
    try {
      embedder = await loadEmbedding({ ...config.embedding, model: values.model ?? config.embedding.model });
    } catch (error) {
      if (!(error instanceof EmbedderUnavailableError)) throw error;
      throw new EmbedderUnavailableError(`${error.message}; --mode ${mode} needs it (use --mode lexical to evaluate without a model)`);
    }
  }
  const progress = progressReporter('eval ingest');
  let lastReport = Date.now();
  const result = await runEval({
    setDir: values.set,
    cacheDir: path.join(config.dataDir, 'eval-cache'),
    database: config.database,
    retrieval: { ...config.retrieval, mode, topK: k },
    limit,
    questionsFile: values.questions,
    allQuestions: values['all-questions'],
    askedLaterDays: askedLater,
    timeless: values.timeless,
    embedder,
    logFile: values.log,
    rebuild: values.rebuild,
    logger,
    ...progress.options.onProgress ? { onIngestProgress: progress.options.onProgress } : {},
    onQuestion: (done, total) => {
      if (Date.now() - lastReport > 5_000 || done === total) {
        lastReport = Date.now();
        process.stderr.write(`eval: ${done}/${total} questions\n`);
      }
    },
  });
  progress.stop();
  process.stderr.write(
    `eval: store ${result.reusedStore ? 'reused' : 'built'} (${result.ingestSeconds.toFixed(1)} s), ${result.metrics.questions} questions in ${result.evalSeconds.toFixed(1)} s\n`,
  );
  console.log(
    JSON.stringify({
      set: path.basename(path.resolve(values.set)),
      mode,
      store: config.database.kind,
      model: embedder ? embedder.modelId : null,
      ...(values.questions ? { questions_file: path.basename(values.questions) } : {}),
      ...(askedLater ? { asked_later: askedLater } : {}),
      ...(values.timeless ? { timeless: true } : {}),
      ...result.metrics,
      ...(result.unanswerable ? { unanswerable: result.unanswerable } : {}),
      k,
      ingest_s: Number(result.ingestSeconds.toFixed(1)),
      eval_s: Number(result.evalSeconds.toFixed(1)),
    }),
  );
});

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { benchQueries, type QueryBenchResult } from '../bench/query-bench.js';
import { benchWorkerIngest } from '../bench/worker-bench.js';
import type { Config } from '../config/index.js';
import type { Article } from '../core/types.js';
import type { RetrievalMode } from '../core/types.js';
import { chunkText, embeddingText } from '../ingest/chunker.js';
import { ingestArticles } from '../ingest/pipeline.js';
import { readArticles, type ReadResult } from '../ingest/read-articles.js';
import type { Embedder } from '../core/embedder.js';
import { destroyNewsStore, loadEmbedding, openNewsStore, type DatabaseChoice } from '../app/root.js';
import { boot, runMain } from './common.js';

const USAGE = `usage: npm run bench -- [--set ../shared/eval/rtqa-2024] [--model test/bert-random-minilm-shape] [--articles N] [--embed-sample N] [--questions 500] [--keep DIR]
         [--servers N --server-articles M]
       npm run bench -- --query-only DATA_DIR [--model none] [--servers N --server-articles M]
       npm run bench -- --compare-worker [--set ...] [--model ...] [--articles 300] [--niceness 0,10]
Prints a table and, last, one JSON line. Never fails on a time: it measures.
--servers N --server-articles M: before the queries, give N servers M articles of their own each (copies of
  global articles under the server's scope) and ask as the first server (global + its own 100): the cost of scopes.
--query-only DATA_DIR: only the query figures, on a store already there (--model none: lexical only).
--compare-worker: ingest the first N articles with \`npm run ingest\`, then with the bot's ingest worker at each
  --niceness (default 0,10: its own overhead, then as the bot runs it), and compare.`;

async function loadEmbedder(model: string, modelDir: string | undefined, allowRemote: boolean, batchSize: number): Promise<Embedder | null> {
  if (model === 'none') return null;
  return loadEmbedding({ model, modelDir, allowRemote, batchSize });
}

/** The bot's ingest worker against `npm run ingest` on the first `count` articles of a set. */
async function compareWorker(config: Config, set: string, model: string, modelDir: string, count: number, niceness: number[]): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'newsbot-bench-worker-'));
  try {
    // The articles as the set has them (a temporary copy, removed below).
    const corpusDir = path.join(scratch, 'corpus');
    fs.mkdirSync(corpusDir);
    const lines = zlib.gunzipSync(fs.readFileSync(path.join(set, 'articles.jsonl.gz'))).toString('utf8').split('\n').filter(Boolean).slice(0, count);
    fs.writeFileSync(path.join(corpusDir, 'articles.jsonl'), lines.join('\n') + '\n');
    process.stderr.write(`bench: ${lines.length} articles, model ${model}: npm run ingest, then the bot's ingest worker\n`);
    // The bot has the model loaded (for questions): so does the bench's bot side.
    const embedder = await loadEmbedder(model, modelDir, false, config.embedding.batchSize);
    const embedding = embedder ? { modelId: embedder.modelId, dimension: embedder.dimension } : null;
    if (!embedding) throw new Error('--compare-worker needs an embedding model');
    const r = await benchWorkerIngest({ ...config, corpusDir, embedding: { ...config.embedding, model, modelDir, allowRemote: false } }, scratch, embedding, niceness);
    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    const figures = {
      set: path.basename(path.resolve(set)),
      model,
      articles: lines.length,
      passages: r.cli.passages,
      cli_ingest_wall_s: r.cli.wallS,
      cli_pipeline_s: r.cli.pipelineS,
      cli_cpu_s: r.cli.cpuS,
      ...Object.fromEntries(
        r.workers.flatMap((w) => [
          [`worker_nice${w.niceness}_wall_s`, w.wallS],
          [`worker_nice${w.niceness}_cpu_s`, w.cpuS],
          [`worker_nice${w.niceness}_over_cli_wall`, ratio(w.wallS, r.cli.wallS)],
          [`worker_nice${w.niceness}_over_cli_cpu`, w.cpuS !== null && r.cli.cpuS ? ratio(w.cpuS, r.cli.cpuS) : null],
          [`worker_nice${w.niceness}_plus_bot_over_cli_cpu`, w.cpuS !== null && r.cli.cpuS ? ratio(w.cpuS + w.botCpuS, r.cli.cpuS) : null],
          [`worker_nice${w.niceness}_bot_cpu_s`, w.botCpuS],
          [`worker_nice${w.niceness}_bot_catch_up_after_ms`, w.catchUpAfterMs],
          [`worker_nice${w.niceness}_bot_event_loop_p99_ms`, w.eventLoopP99Ms],
          [`worker_nice${w.niceness}_bot_event_loop_max_ms`, w.eventLoopMaxMs],
        ]),
      ),
      cores: os.cpus().length,
      load_avg_1m: Math.round(os.loadavg()[0]! * 100) / 100,
      node: process.version,
    };
    console.log(Object.entries(figures).map(([k, v]) => `${k.padEnd(32)} ${v}`).join('\n'));
    console.log(JSON.stringify(figures));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

runMain(async () => {
  const { values } = parseArgs({
    options: {
      set: { type: 'string', default: '../shared/eval/rtqa-2024' },
      model: { type: 'string' },
      articles: { type: 'string' },
      'embed-sample': { type: 'string', default: '2000' },
      questions: { type: 'string', default: '500' },
      keep: { type: 'string' },
      'query-only': { type: 'string' },
      ef: { type: 'string' },
      'compare-worker': { type: 'boolean', default: false },
      niceness: { type: 'string' },
      servers: { type: 'string', default: '0' },
      'server-articles': { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { config, logger } = await boot();
  const model = values.model ?? (config.embedding.modelDir ? config.embedding.model : 'test/bert-random-minilm-shape');
  const modelDir = config.embedding.modelDir ?? path.resolve('../shared/models');
  const efSearch = values.ef ? Number(values.ef) : config.retrieval.efSearch;
  const questions = fs
    .readFileSync(path.join(values.set, 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { question: string; date: string })
    .slice(0, Number(values.questions));

  // With DATABASE_URL the bench runs on PostgreSQL, in a schema of its own (never the bot's).
  const database: DatabaseChoice = config.database.kind === 'postgres' ? { ...config.database, schema: `${config.database.schema}_bench`.slice(0, 63) } : { kind: 'sqlite' };

  if (values['compare-worker']) {
    const niceness = (values.niceness ?? '0,10').split(',').map(Number);
    await compareWorker(config, values.set, model, modelDir, values.articles ? Number(values.articles) : 300, niceness);
    return;
  }

  // Child mode: open the store in a fresh process, run the queries, report as JSON.
  if (values['query-only']) {
    const embedder = await loadEmbedder(model, modelDir, false, config.embedding.batchSize);
    const result = await benchQueries({ database, dataDir: values['query-only'] }, embedder, questions, {
      modes: ['hybrid', 'lexical', 'vector'],
      retrieval: { ...config.retrieval, efSearch },
      servers: Number(values.servers),
      serverArticles: Number(values['server-articles']),
    });
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }

  const embedder = await loadEmbedder(model, modelDir, false, config.embedding.batchSize);
  const limit = values.articles ? Number(values.articles) : Infinity;
  const results: ReadResult[] = [];
  for await (const r of readArticles([path.join(values.set, 'articles.jsonl.gz')])) {
    if (results.length >= limit) break;
    results.push(r);
  }
  const articles = results.flatMap((r) => (r.kind === 'article' ? [r.article] : []));
  const texts = articles.flatMap((a) => chunkText(a.text).map((c) => embeddingText(a.title, c.text)));
  process.stderr.write(`bench: ${articles.length} articles, ${texts.length} passages, model ${model}\n`);

  // 1. The embedder alone, on an even sample of the set's passages.
  let embedPps = 0;
  if (embedder) {
    const n = Math.min(texts.length, Number(values['embed-sample']));
    const step = texts.length / n;
    const sample = Array.from({ length: n }, (_, i) => texts[Math.floor(i * step)]!);
    await embedder.embed(sample.slice(0, 16));
    const t = performance.now();
    await embedder.embed(sample);
    embedPps = n / ((performance.now() - t) / 1000);
    process.stderr.write(`bench: embed only ${embedPps.toFixed(1)} passages/s on ${n} passages\n`);
  }

  // 2. Full ingest into a fresh store.
  const dataDir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'newsbot-bench-'));
  await destroyNewsStore(database, dataDir);
  const store = await openNewsStore({ database, dataDir, embedding: embedder, efSearch, logger });
  let lastReport = Date.now();
  const t0 = performance.now();
  const summary = await ingestArticles(store, embedder, results, {
    logger,
    onProgress: ({ done, total, passages }) => {
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        process.stderr.write(`bench: ingest ${done}/${total ?? '?'} articles, ${passages} passages, ${(passages / ((performance.now() - t0) / 1000)).toFixed(1)} passages/s\n`);
      }
    },
  });
  const ingestS = (performance.now() - t0) / 1000;
  const passages = (await store.stats()).passages;

  // 3. Change one article and re-ingest the whole source, in the warm process.
  const changed: Article = { ...articles[Math.floor(articles.length / 2)]! };
  changed.text += '\n\nUpdate: this article was corrected after publication.';
  changed.contentHash = 'bench-' + Date.now();
  const again = results.map((r) => (r.kind === 'article' && r.article.id === changed.id ? { ...r, article: changed } : r));
  const t1 = performance.now();
  const re = await ingestArticles(store, embedder, again, { logger });
  const reingestMs = performance.now() - t1;
  const t2 = performance.now();
  changed.text += ' Second correction.';
  changed.contentHash = 'bench2-' + Date.now();
  await ingestArticles(store, embedder, [{ kind: 'article', article: changed, file: 'bench' }], { logger });
  const reingestSingleMs = performance.now() - t2;
  await store.close();
  const storeMb = database.kind === 'sqlite' ? fs.readdirSync(dataDir).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0) / 1048576 : null;

  // 4. Open the store in a fresh process and run the queries there.
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--set', values.set, '--model', model, '--questions', values.questions!, '--query-only', dataDir, '--servers', values.servers!, '--server-articles', values['server-articles']!, ...(values.ef ? ['--ef', values.ef] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  const q = JSON.parse(out.trim().split('\n').pop() ?? '{}') as QueryBenchResult;
  if (!values.keep) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (database.kind === 'postgres') await destroyNewsStore(database, dataDir);
  }

  const ingestPps = passages / ingestS;
  const figures = {
    set: path.basename(path.resolve(values.set)),
    model,
    articles: articles.length,
    passages,
    store: database.kind,
    store_mb: storeMb === null ? null : Math.round(storeMb),
    embed_only_passages_per_s: Math.round(embedPps * 10) / 10,
    ingest_s: Math.round(ingestS * 10) / 10,
    ingest_passages_per_s: Math.round(ingestPps * 10) / 10,
    ingest_over_embed: embedPps ? Math.round((ingestS / (passages / embedPps)) * 1000) / 1000 : null,
    reingest_one_article_ms: Math.round(reingestMs),
    reingest_one_article_updated: re.updated,
    reingest_single_source_ms: Math.round(reingestSingleMs),
    open_store_ms: q.openStoreMs,
    index_load_ms: q.indexLoadMs,
    rss_mb: q.rssMb,
    ...Object.fromEntries(
      (Object.entries(q.latency) as [RetrievalMode, { p50: number; p95: number; p99: number }][]).flatMap(([mode, p]) => [
        [`query_ms_p50_${mode}`, p.p50],
        [`query_ms_p95_${mode}`, p.p95],
        [`query_ms_p99_${mode}`, p.p99],
      ]),
    ),
    hnsw_recall_at_10: q.hnswRecallAt10,
    hnsw_recall_at_10_passage_queries: q.hnswRecallAt10PassageQueries,
    ef_search: q.efSearch,
    servers: q.servers,
    server_articles: q.serverArticles,
    cores: os.cpus().length,
    node: process.version,
    skipped: summary.skippedCount,
  };
  const rows = Object.entries(figures).map(([k, v]) => `${k.padEnd(32)} ${v}`);
  console.log(rows.join('\n'));
  console.log(JSON.stringify(figures));
});

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { IngestService } from '../app/ingest-service.js';
import type { Config } from '../config/index.js';
import { silentLogger } from '../core/logger.js';
import { CHUNKER_VERSION } from '../ingest/chunker.js';
import type { IngestSummary } from '../ingest/pipeline.js';
import { NewsStore } from '../retrieval/store.js';

/** One ingest of the same articles, by `npm run ingest` or by the bot's worker. */
export interface IngestRunFigures {
  /** From start to exit, model loading included. */
  wallS: number;
  /** The pipeline's own duration (reading, chunking, embedding, writing). */
  pipelineS: number;
  passages: number;
}

/** The bot's ingest worker against `npm run ingest` on the same articles. */
export interface WorkerBenchResult {
  cli: IngestRunFigures;
  worker: IngestRunFigures;
  /** After the worker finished, until the bot's in-memory index held every new vector. */
  catchUpAfterMs: number;
  /** The bot's event-loop delay while the worker ran (the bot answered nothing meanwhile). */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

const s = (ms: number) => Math.round(ms / 100) / 10;

async function runCliIngest(config: Config, dataDir: string): Promise<IngestRunFigures> {
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'ingest.ts');
  const t = performance.now();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, '--json'], {
    // Only what the CLI reads (plus nothing inherited): the same settings as the worker's.
    env: {
      DATA_DIR: dataDir,
      CORPUS_DIR: config.corpusDir,
      EMBEDDING_MODEL: config.embedding.model,
      EMBEDDING_MODEL_DIR: config.embedding.modelDir ?? '',
      EMBEDDING_ALLOW_REMOTE: String(config.embedding.allowRemote),
      EMBEDDING_BATCH_SIZE: String(config.embedding.batchSize),
      FEEDS: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`npm run ingest exited with ${code}`);
  const summary = JSON.parse(out.trim().split('\n').pop() ?? '{}') as IngestSummary;
  return { wallS: s(performance.now() - t), pipelineS: s(summary.durationMs), passages: summary.passages };
}

async function runWorkerIngest(config: Config, dataDir: string): Promise<Omit<WorkerBenchResult, 'cli'>> {
  const workerConfig: Config = { ...config, dataDir, feeds: [] };
  // The bot's side: its own store with the index loaded, refreshed as the worker writes.
  const store = NewsStore.open(dataDir, { embedding: null, chunkerVersion: CHUNKER_VERSION, efSearch: config.retrieval.efSearch });
  const ingest = new IngestService({ config: workerConfig, store, logger: silentLogger });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t = performance.now();
  const summary = await ingest.run({ kind: 'corpus' }, () => {
    // The first batch brings the model's dimension; from then on the bot holds an index.
    if (store.manifest.dimension !== null) store.vectorIndex();
  });
  const wall = performance.now() - t;
  const caughtUp = performance.now();
  while (store.indexLag > 0) await new Promise((resolve) => setImmediate(resolve));
  const catchUpAfterMs = Math.round(performance.now() - caughtUp);
  delay.disable();
  store.close();
  return {
    worker: { wallS: s(wall), pipelineS: s(summary.durationMs), passages: summary.passages },
    catchUpAfterMs,
    eventLoopP99Ms: Math.round(delay.percentile(99) / 1e5) / 10,
    eventLoopMaxMs: Math.round(delay.max / 1e5) / 10,
  };
}

/**
 * Ingests the same articles (the JSONL lines in `corpusDir`) twice into fresh stores: once with
 * `npm run ingest` in its own process, once through the bot's ingest worker with a bot-side
 * store catching up beside it. Never fails on a time: it measures.
 */
export async function benchWorkerIngest(config: Config, scratchDir: string): Promise<WorkerBenchResult> {
  const cliDir = path.join(scratchDir, 'cli-data');
  const workerDir = path.join(scratchDir, 'worker-data');
  for (const dir of [cliDir, workerDir]) fs.rmSync(dir, { recursive: true, force: true });
  const cli = await runCliIngest(config, cliDir);
  const worker = await runWorkerIngest(config, workerDir);
  return { cli, ...worker };
}

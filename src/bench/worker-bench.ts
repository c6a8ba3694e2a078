import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { IngestService } from '../app/ingest-service.js';
import { openSqliteStore } from '../app/root.js';
import type { Config } from '../config/index.js';
import { silentLogger } from '../core/logger.js';
import type { IngestSummary } from '../core/ingest.js';

/** One ingest of the same articles, by `npm run ingest` or by the bot's worker. */
export interface IngestRunFigures {
  /** From start to exit, model loading included. */
  wallS: number;
  /** The pipeline's own duration (reading, chunking, embedding, writing). */
  pipelineS: number;
  /**
   * CPU seconds of the ingesting process, all threads (Linux; null elsewhere). Unlike wall time,
   * hardly moved by other load on the machine: the fair measure of the worker's overhead.
   */
  cpuS: number | null;
  passages: number;
}

/** One ingest by the bot's worker, with the bot's side beside it. */
export interface WorkerRunFigures extends IngestRunFigures {
  niceness: number;
  /** CPU seconds the bot's own process spent meanwhile (index catch-up, progress messages). */
  botCpuS: number;
  /** After the worker finished, until the bot's in-memory index held every new vector. */
  catchUpAfterMs: number;
  /** The bot's event-loop delay while the worker ran (the bot answered nothing meanwhile). */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

/** The bot's ingest worker against `npm run ingest` on the same articles. */
export interface WorkerBenchResult {
  cli: IngestRunFigures;
  /** At each niceness asked for (0: the worker's overhead alone; 10: as the bot runs it). */
  workers: WorkerRunFigures[];
}

const s = (ms: number) => Math.round(ms / 100) / 10;

/** Follows a process's CPU time (user + system, every thread) from /proc until it exits. */
function cpuMeter(pid: number | undefined): { stop: () => number | null } {
  const file = `/proc/${pid}/stat`;
  let last: number | null = null;
  const read = () => {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = fs.readFileSync(file, 'utf8').replace(/^.*\) /s, '').split(' ');
      last = (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // Gone, or no /proc: keep the last reading.
    }
  };
  read();
  const timer = setInterval(read, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return last === null ? null : Math.round(last * 10) / 10;
    },
  };
}

async function runCliIngest(config: Config, dataDir: string): Promise<IngestRunFigures> {
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'ingest.ts');
  const t = performance.now();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, '--json'], {
    // Only what the CLI reads (nothing inherited): the same settings as the worker's.
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
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const cpu = cpuMeter(child.pid);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const cpuS = cpu.stop();
  if (code !== 0) throw new Error(`npm run ingest exited with ${code}`);
  const summary = JSON.parse(out.trim().split('\n').pop() ?? '{}') as IngestSummary;
  return { wallS: s(performance.now() - t), pipelineS: s(summary.durationMs), cpuS, passages: summary.passages };
}

async function runWorkerIngest(config: Config, dataDir: string, embedding: { modelId: string; dimension: number }, niceness: number): Promise<WorkerRunFigures> {
  const workerConfig: Config = { ...config, dataDir, database: { kind: 'sqlite' }, feeds: [] };
  // The bot's side, as the bot runs it: its own store with the index loaded, refreshed as the worker writes.
  const store = openSqliteStore(dataDir, { embedding, efSearch: config.retrieval.efSearch });
  await store.openVectorIndex();
  const ingest = new IngestService({ config: workerConfig, store, logger: silentLogger, niceness });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const botCpu = process.cpuUsage();
  const t = performance.now();
  const running = ingest.run({ kind: 'corpus' });
  const cpu = cpuMeter(ingest.workerPid ?? undefined);
  const summary = await running;
  const cpuS = cpu.stop();
  const wall = performance.now() - t;
  const caughtUp = performance.now();
  await store.refresh();
  const catchUpAfterMs = Math.round(performance.now() - caughtUp);
  const used = process.cpuUsage(botCpu);
  delay.disable();
  await store.close();
  return {
    niceness,
    wallS: s(wall),
    pipelineS: s(summary.durationMs),
    cpuS,
    passages: summary.passages,
    botCpuS: s((used.user + used.system) / 1000),
    catchUpAfterMs,
    eventLoopP99Ms: Math.round(delay.percentile(99) / 1e5) / 10,
    eventLoopMaxMs: Math.round(delay.max / 1e5) / 10,
  };
}

/**
 * Ingests the same articles (the JSONL lines in `corpusDir`) into fresh stores: once with
 * `npm run ingest` in its own process, then through the bot's ingest worker (at each niceness)
 * with a bot-side store catching up beside it. Never fails on a time: it measures.
 */
export async function benchWorkerIngest(config: Config, scratchDir: string, embedding: { modelId: string; dimension: number }, nicenesses: number[]): Promise<WorkerBenchResult> {
  const cliDir = path.join(scratchDir, 'cli-data');
  fs.rmSync(cliDir, { recursive: true, force: true });
  const cli = await runCliIngest(config, cliDir);
  const workers: WorkerRunFigures[] = [];
  for (const niceness of nicenesses) {
    const workerDir = path.join(scratchDir, `worker-data-${niceness}`);
    fs.rmSync(workerDir, { recursive: true, force: true });
    workers.push(await runWorkerIngest(config, workerDir, embedding, niceness));
  }
  return { cli, workers };
}

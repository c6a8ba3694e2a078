import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { REST, Routes, ShardingManager, type RESTGetAPIGatewayBotResult, type Shard } from 'discord.js';
import type { Config } from '../config/index.js';
import { ConfigError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { processEntry } from './process-entry.js';

/** The shards this machine runs, out of how many, and how many may identify at once. */
export interface ShardPlan {
  totalShards: number;
  shardIds: number[];
  /** Discord's session_start_limit.max_concurrency: identifies allowed per 5 s. */
  maxConcurrency: number;
}

/** Discord allows one IDENTIFY per 5 s per concurrency bucket; a little margin on top. */
const IDENTIFY_INTERVAL_MS = 5_500;
/** How long a shard may take from its process starting to its gateway session being ready. */
const SHARD_READY_TIMEOUT_MS = 5 * 60_000;
/** Waits before a crashed shard is started again: doubling from the first to the last, reset once it is ready. */
const RESPAWN_FIRST_MS = 1_000;
const RESPAWN_MAX_MS = 60_000;
/** How long shutdown waits for the shards to finish their answers and ingest before killing them. */
const SHARD_STOP_GRACE_MS = 30_000;
/** How long the manager waits for a shard's metrics when /metrics is scraped. */
const SHARD_METRICS_TIMEOUT_MS = 2_000;

/** The IPC message by which the manager asks a shard for its metrics, and the shard's answer. */
export interface ShardMetricsMessage {
  newsbot: 'metrics';
  id: number;
  metrics?: MetricObjectWithValues<MetricValue<string>>[];
}

/** True for a ShardMetricsMessage. */
export function isShardMetricsMessage(message: unknown): message is ShardMetricsMessage {
  return typeof message === 'object' && message !== null && (message as { newsbot?: unknown }).newsbot === 'metrics';
}

/**
 * Works out the shards to run: asks GET /gateway/bot at the configured REST base (DISCORD_API_URL,
 * not discord.com: discord.js's own fetchRecommendedShardCount always asks the default one) for
 * the recommended count (`auto`) and the identify concurrency.
 */
export async function planShards(discord: Config['discord'], token: string, logger: Logger): Promise<ShardPlan> {
  const sharding = discord.sharding;
  if (!sharding) throw new ConfigError('sharding is off (DISCORD_SHARDS is not set)');
  const rest = new REST({ api: discord.apiUrl }).setToken(token);
  let gateway: RESTGetAPIGatewayBotResult | null = null;
  try {
    gateway = (await rest.get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
  } catch (error) {
    if (sharding.totalShards === 'auto') {
      throw new ConfigError(`DISCORD_SHARDS=auto: could not get the recommended shard count (GET /gateway/bot at ${discord.apiUrl}): ${describeError(error)}`);
    }
    logger.warn(`could not read GET /gateway/bot (${describeError(error)}); starting shards one every ${IDENTIFY_INTERVAL_MS / 1000} s`);
  }
  const totalShards = sharding.totalShards === 'auto' ? gateway!.shards : sharding.totalShards;
  const shardIds = sharding.shardIds ?? [...Array(totalShards).keys()];
  const limit = gateway?.session_start_limit;
  if (limit && limit.remaining < shardIds.length) {
    logger.warn(`Discord allows ${limit.remaining} more gateway sessions until ${new Date(Date.now() + limit.reset_after).toISOString()}; starting ${shardIds.length} shards may be refused`);
  }
  return { totalShards, shardIds, maxConcurrency: Math.max(1, limit?.max_concurrency ?? 1) };
}

/** Copies a shard's output line by line, each line marked with the shard. */
function prefixLines(from: Readable | null, to: Writable, prefix: string): void {
  if (!from) return;
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${prefix}${line}\n`));
}

function describeExit(child: ChildProcess | null): string {
  if (!child) return 'exited';
  return child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode}`;
}

/** The running shard processes of this machine. */
export interface ShardFleet {
  plan: ShardPlan;
  /** Process id of each running shard, by shard id. */
  pids(): Map<number, number>;
  /** Each shard of this machine: whether its gateway connection is ready. */
  readiness(): Map<number, boolean>;
  /**
   * Every shard's metrics, summed (prom-client's aggregation: counters and histograms added,
   * gauges summed), asked of each shard over IPC; a shard that does not answer within
   * SHARD_METRICS_TIMEOUT_MS is left out.
   */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[][]>;
  /** Asks every shard to shut down gracefully (SIGTERM: answers in progress finish), kills those still running after the grace period. */
  stop(): Promise<void>;
}

/**
 * Runs the bot under discord.js's ShardingManager: one process per shard of `plan` (src/cli/shard.ts,
 * the normal bot runtime with its own store connection), started one identify interval apart
 * (divided by Discord's max_concurrency) and each waited for until its gateway session is ready.
 * Each shard's log lines are passed on marked "[shard N]". A shard that crashes after having been
 * ready is started again (after 1 s, doubling to 60 s while it keeps crashing, back to 1 s once
 * ready); one that fails before it was ever ready stops the fleet's start with an error, since
 * that is a configuration or store problem a restart will not fix.
 */
export async function startShards(plan: ShardPlan, token: string, logger: Logger, options: { respawnFirstMs?: number } = {}): Promise<ShardFleet> {
  const { file, execArgv } = processEntry(import.meta.url, '../cli/shard');
  const manager = new ShardingManager(file, { totalShards: plan.totalShards, shardList: plan.shardIds, token, execArgv, respawn: false, silent: true, mode: 'process' });
  let stopping = false;
  const firstWait = options.respawnFirstMs ?? RESPAWN_FIRST_MS;
  const respawnTimers = new Set<NodeJS.Timeout>();

  const watch = (shard: Shard) => {
    let wait = firstWait;
    let everReady = false;
    let child: ChildProcess | null = null;
    shard.on('spawn', () => {
      child = shard.process;
      if (!child) return;
      logger.info(`shard ${shard.id} of ${plan.totalShards} started`, { pid: child.pid });
      prefixLines(child.stdout, process.stdout, `[shard ${shard.id}] `);
      prefixLines(child.stderr, process.stderr, `[shard ${shard.id}] `);
    });
    shard.on('ready', () => {
      everReady = true;
      wait = firstWait;
      logger.info(`shard ${shard.id} is ready`);
    });
    shard.on('death', () => {
      if (stopping) return;
      if (!everReady) {
        // The fleet's start fails with it (manager.spawn rejects).
        logger.error(`shard ${shard.id} ${describeExit(child)} while starting; see its log above`);
        return;
      }
      logger.warn(`shard ${shard.id} ${describeExit(child)}; starting it again in ${Math.round(wait / 1000)} s`);
      const timer = setTimeout(() => {
        respawnTimers.delete(timer);
        if (stopping) return;
        shard.spawn(SHARD_READY_TIMEOUT_MS).catch((error: unknown) => logger.debug(`shard ${shard.id} did not become ready`, { error: describeError(error) }));
      }, wait);
      respawnTimers.add(timer);
      wait = Math.min(wait * 2, RESPAWN_MAX_MS);
    });
  };
  manager.on('shardCreate', watch);

  const pids = () => new Map([...manager.shards.values()].filter((s) => s.process?.pid !== undefined).map((s) => [s.id, s.process!.pid!]));
  const stop = async () => {
    stopping = true;
    for (const timer of respawnTimers) clearTimeout(timer);
    const running = [...manager.shards.values()].map((s) => s.process).filter((p): p is ChildProcess => p !== null && p.exitCode === null && p.signalCode === null);
    const exited = running.map((p) => new Promise<void>((resolve) => p.once('exit', () => resolve())));
    for (const p of running) p.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([Promise.all(exited).then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), SHARD_STOP_GRACE_MS)))]);
    clearTimeout(timer);
    if (!inTime) {
      logger.warn(`shards still running after ${SHARD_STOP_GRACE_MS / 1000} s; killing them`);
      for (const p of running) p.kill('SIGKILL');
      await Promise.all(exited);
    }
  };

  const readiness = () => new Map([...manager.shards.values()].map((s) => [s.id, s.ready && s.process !== null && s.process.exitCode === null]));
  let asked = 0;
  const metrics = async () => {
    const id = ++asked;
    const answers = [...manager.shards.values()].map(
      (shard) =>
        new Promise<MetricObjectWithValues<MetricValue<string>>[] | null>((resolve) => {
          const onMessage = (message: unknown) => {
            if (!isShardMetricsMessage(message) || message.id !== id) return;
            done(message.metrics ?? null);
          };
          const timer = setTimeout(() => done(null), SHARD_METRICS_TIMEOUT_MS);
          const done = (value: MetricObjectWithValues<MetricValue<string>>[] | null) => {
            clearTimeout(timer);
            shard.off('message', onMessage);
            resolve(value);
          };
          shard.on('message', onMessage);
          shard.send({ newsbot: 'metrics', id } satisfies ShardMetricsMessage).catch(() => done(null));
        }),
    );
    return (await Promise.all(answers)).filter((m): m is MetricObjectWithValues<MetricValue<string>>[] => m !== null);
  };

  const delay = Math.ceil(IDENTIFY_INTERVAL_MS / plan.maxConcurrency);
  logger.info(`starting ${plan.shardIds.length} of ${plan.totalShards} shards (${plan.shardIds.join(', ')}), one every ${(delay / 1000).toFixed(1)} s`);
  try {
    await manager.spawn({ amount: plan.totalShards, delay, timeout: SHARD_READY_TIMEOUT_MS });
  } catch (error) {
    await stop();
    throw new ConfigError(`the shards could not be started: ${describeError(error)}`);
  }
  return { plan, pids, readiness, metrics, stop };
}

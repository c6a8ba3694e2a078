import cliProgress from 'cli-progress';
import { loadConfig, loadDotEnv, type Config } from '../config/index.js';
import { NewsBotError, describeError } from '../core/errors.js';
import { createLogger, registerSecret, type Logger } from '../core/logger.js';
import { notableSkips, type IngestSummary } from '../core/ingest.js';
import type { IngestOptions } from '../ingest/pipeline.js';

function databasePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Reads .env and the config, and makes the logger. Exits with a clear message on bad config. */
export async function boot(): Promise<{ config: Config; logger: Logger }> {
  await loadDotEnv();
  try {
    const config = loadConfig();
    registerSecret(config.llm?.apiKey);
    registerSecret(config.discord.token);
    if (config.database.kind === 'postgres') registerSecret(databasePassword(config.database.url));
    return { config, logger: createLogger(config.logLevel, undefined, config.logFormat) };
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    process.exit(2);
  }
}

/** Runs a CLI main: known errors print their message, others their stack; exit code 1. */
/** How often a long-running command checks that the process that started it is still there. */
export const PARENT_CHECK_MS = 1000;

/**
 * Calls `onGone` once when the process that started this one exits (this one is then adopted by
 * init or a subreaper, so its parent id changes): a supervisor or `npm start` that is killed
 * must not leave the bot running, answering beside the next one. Started without a parent
 * (under init, `setsid`, systemd) it never fires. The timer does not keep the process alive.
 */
export function onParentExit(onGone: () => void, intervalMs = PARENT_CHECK_MS): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof NewsBotError) process.stderr.write(`error: ${error.message}\n`);
    else process.stderr.write(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

/** Progress reporting for ingest: a bar on a terminal, nothing otherwise (logs stay clean). */
export function progressReporter(label = 'ingest'): { options: IngestOptions; stop: () => void } {
  const of = (total: number | null) => (total === null ? '' : `/${total}`);
  if (!process.stderr.isTTY) {
    // Not a terminal (logs, CI): a progress line every 10 seconds instead of a bar.
    let last = Date.now();
    return {
      options: {
        onProgress: ({ done, total, passages }) => {
          if (Date.now() - last < 10_000) return;
          last = Date.now();
          process.stderr.write(`${label}: ${done}${of(total)} articles, ${passages} passages\n`);
        },
      },
      stop: () => {},
    };
  }
  // Files and feeds are read as they are ingested, so the total is usually unknown: a counter then.
  let bar: cliProgress.SingleBar | null = null;
  return {
    options: {
      onProgress: ({ done, total, passages }) => {
        if (!bar) {
          const known = total !== null;
          bar = new cliProgress.SingleBar(
            {
              format: known
                ? `${label} [{bar}] {percentage}% | {value}/{total} articles | {passages} passages | eta {eta_formatted}`
                : `${label} {value} articles | {passages} passages | {duration_formatted}`,
              stream: process.stderr,
              hideCursor: true,
              clearOnComplete: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total ?? 0, 0, { passages: 0 });
        }
        bar.update(done, { passages });
      },
    },
    stop: () => bar?.stop(),
  };
}

/** The ingest summary as lines of text: counts, then each skipped item with its reason. */
export function formatSummary(summary: IngestSummary, maxSkips = 20): string {
  const lines = [
    `ingest: ${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged, ` +
      `${summary.removed} removed, ${summary.skippedCount} skipped; ${summary.passages} passages written, ` +
      `${summary.embedded} embedded${summary.vectors ? '' : ' (no embedding model: lexical search only)'} in ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  const shown = notableSkips(summary, maxSkips);
  for (const skip of shown) lines.push(`  skipped ${skip.origin}: ${skip.reason}`);
  if (summary.skippedCount > shown.length) lines.push(`  ... and ${summary.skippedCount - shown.length} more skipped`);
  return lines.join('\n');
}

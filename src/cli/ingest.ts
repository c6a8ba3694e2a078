import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createApp, type AppContext } from '../app/context.js';
import { leaseHolderName, storeLease, withIngestLease } from '../app/ingest/lease.js';
import type { Logger } from '../core/logger.js';
import type { IngestSummary } from '../core/ingest.js';
import { ingestArticles, type IngestOptions } from '../ingest/pipeline.js';
import { readArticles, type ReadResult } from '../ingest/read-articles.js';
import { fetchArticle, readFeed, type FetchOptions } from '../ingest/web.js';
import { destroyNewsStore } from '../app/root.js';
import { boot, formatSummary, progressReporter, runMain } from './common.js';

const USAGE = `usage: npm run ingest -- [paths...] [--url URL]... [--feed URL]... [--rebuild] [--no-prune] [--watch [--interval S]] [--check] [--json]
  paths       files or folders (default: CORPUS_DIR, plus the FEEDS feeds). Formats: .txt, .md, .html, .json, .jsonl, and .gz of each.
  --url       an article page to fetch and ingest (repeatable; its site may be private: you vouch for it)
  --feed      an RSS or Atom feed to ingest (repeatable; as --url; item links to other sites are checked)
  --rebuild   delete the store first and ingest from scratch (after a model change)
  --no-prune  keep stored articles whose files are gone from the scanned folders
  --watch     keep running: ingest again when files change and every --interval seconds (default FEED_POLL_MINUTES)
  --check     check the store's consistency and exit (non-zero when it is inconsistent)
  --json      print the summary as JSON on stdout`;

function originOf(url: string): string[] {
  try {
    return [new URL(url).origin];
  } catch {
    return [];
  }
}

/**
 * Everything one round reads: files (pruned), article URLs, feeds, in that order. The operator's
 * own --url and --feed origins are trusted (they may be on a private network); everything else
 * (FEEDS, redirects and item links to other origins) goes through the fetch guard.
 */
async function* sources(paths: string[], urls: string[], feeds: string[], fetchOptions: FetchOptions): AsyncGenerator<ReadResult> {
  if (paths.length) yield* readArticles(paths);
  for (const url of urls) yield await fetchArticle(url, fetchOptions);
  for (const feed of feeds) yield* readFeed(feed, fetchOptions);
}

/** This process, as the holder of the deployment's ingest lease. */
const LEASE_HOLDER = leaseHolderName('cli');

/**
 * One ingest round, taking its turn with the bots (and other ingests) of the deployment: it waits
 * while another process holds the ingest lease, then holds it while it runs.
 */
async function round(app: AppContext, paths: string[], urls: string[], feeds: string[], prune: boolean, extra: IngestOptions, trusted: string[]): Promise<IngestSummary> {
  const fetchOptions = { timeoutMs: app.config.fetchTimeoutMs, allowPrivate: app.config.allowPrivateFetch, trustedOrigins: trusted.flatMap(originOf) };
  return withIngestLease(
    storeLease(app.store),
    LEASE_HOLDER,
    app.logger,
    () =>
      ingestArticles(app.store, app.embedder, sources(paths, urls, feeds, fetchOptions), {
        logger: app.logger,
        ...extra,
        ...(prune && paths.length ? { pruneUnder: paths } : {}),
      }),
    { onWait: () => app.logger.info('another ingest is running (a bot or another `npm run ingest`); waiting for it to finish') },
  );
}

async function watch(logger: Logger, run: () => Promise<IngestSummary>, paths: string[], intervalS: number): Promise<void> {
  let pending = false;
  let running = false;
  let stopped = false;
  const go = async () => {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      do {
        pending = false;
        const summary = await run();
        if (summary.added || summary.updated || summary.removed || summary.skippedCount) logger.info(formatSummary(summary).split('\n')[0]!);
      } while (pending && !stopped);
    } catch (error) {
      logger.error('ingest round failed', { error });
    } finally {
      running = false;
    }
  };
  let debounce: NodeJS.Timeout | undefined;
  const watchers = paths.flatMap((p) => {
    try {
      return [fs.watch(p, { recursive: true }, () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => void go(), 500);
      })];
    } catch {
      return [];
    }
  });
  const timer = setInterval(() => void go(), intervalS * 1000);
  logger.info(`watching ${paths.join(', ') || '(no folders)'}; ingesting on changes and every ${intervalS} s. Ctrl-C stops.`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      for (const w of watchers) w.close();
      const wait = setInterval(() => {
        if (!running) {
          clearInterval(wait);
          resolve();
        }
      }, 50);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

runMain(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', multiple: true, default: [] },
      feed: { type: 'string', multiple: true, default: [] },
      rebuild: { type: 'boolean', default: false },
      'no-prune': { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      interval: { type: 'string' },
      check: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { config, logger } = await boot();
  if (values.rebuild) await destroyNewsStore(config.database, config.dataDir);
  const explicit = positionals.length > 0 || values.url.length > 0 || values.feed.length > 0;
  const paths = explicit ? positionals : [config.corpusDir];
  const feeds = explicit ? values.feed : [...values.feed, ...config.feeds];
  const trusted = [...values.url, ...values.feed];
  const app = await createApp(config, logger);
  try {
    if (values.check) {
      const report = await app.store.checkConsistency();
      console.log(values.json ? JSON.stringify(report) : `${report.ok ? 'consistent' : 'INCONSISTENT'}: ${report.articles} articles, ${report.passages} passages, ${report.vectors} vectors, ${report.lexical} BM25 entries, ${report.indexed ?? 'no'} HNSW entries${report.problems.map((p) => `\n  ${p}`).join('')}`);
      if (!report.ok) process.exitCode = 1;
      return;
    }
    const prune = !values['no-prune'];
    if (values.watch) {
      const interval = values.interval ? Number(values.interval) : (config.feedPollMinutes || 15) * 60;
      if (!Number.isFinite(interval) || interval < 1) throw new Error('--interval must be a number of seconds >= 1');
      await watch(logger, () => round(app, paths, values.url, feeds, prune, {}, trusted), paths, interval);
      return;
    }
    const progress = progressReporter();
    const summary = await round(app, paths, values.url, feeds, prune, progress.options, trusted);
    progress.stop();
    const stats = await app.store.stats();
    if (values.json) {
      console.log(JSON.stringify({ ...summary, store: { articles: stats.articles, passages: stats.passages, vectors: stats.vectors } }));
    } else {
      console.log(formatSummary(summary));
      console.log(`store: ${stats.articles} articles, ${stats.passages} passages, ${stats.vectors} vectors in ${app.store.location}`);
    }
  } finally {
    await app.close();
  }
});

import { parseArgs } from 'node:util';
import { createApp, ingestPaths } from '../app/context.js';
import { NewsStore } from '../retrieval/store.js';
import { boot, formatSummary, progressReporter, runMain } from './common.js';

const USAGE = `usage: npm run ingest -- [paths...] [--rebuild] [--no-prune] [--json]
  paths      files or folders (default: CORPUS_DIR). Formats: .txt, .md, .html, .json, .jsonl, and .gz of each.
  --rebuild  delete the store first and ingest from scratch (after a model change)
  --no-prune keep stored articles whose files are gone from the scanned folders
  --json     print the summary as JSON on stdout`;

runMain(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rebuild: { type: 'boolean', default: false },
      'no-prune': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { config, logger } = await boot();
  if (values.rebuild) NewsStore.destroy(config.dataDir);
  const paths = positionals.length ? positionals : [config.corpusDir];
  const app = await createApp(config, logger);
  const progress = progressReporter();
  try {
    const summary = await ingestPaths(app, paths, { ...progress.options, ...(values['no-prune'] ? {} : { pruneUnder: paths }) });
    progress.stop();
    const stats = app.store.stats();
    if (values.json) {
      console.log(JSON.stringify({ ...summary, store: { articles: stats.articles, passages: stats.passages, vectors: stats.vectors } }));
    } else {
      console.log(formatSummary(summary));
      console.log(`store: ${stats.articles} articles, ${stats.passages} passages, ${stats.vectors} vectors in ${config.dataDir}`);
    }
  } finally {
    progress.stop();
    await app.close();
  }
});

import { parseArgs } from 'node:util';
import { createApp, ensureCorpus } from '../app/context.js';
import { formatAnswerText } from '../answer/format.js';
import { redactedJson } from '../core/logger.js';
import type { RetrievalMode } from '../core/types.js';
import { boot, formatSummary, runMain } from './common.js';

const USAGE = `usage: npm run ask -- "question" [--json] [--mode hybrid|lexical|vector] [--k N] [--as-of YYYY-MM-DD]`;

runMain(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      mode: { type: 'string' },
      k: { type: 'string' },
      'as-of': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const question = positionals.join(' ').trim();
  if (values.help || !question) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  if (values.mode && !['hybrid', 'lexical', 'vector'].includes(values.mode)) {
    console.error(`--mode must be hybrid, lexical or vector (got "${values.mode}")`);
    process.exitCode = 2;
    return;
  }
  const k = values.k ? Number(values.k) : undefined;
  if (k !== undefined && (!Number.isInteger(k) || k < 1 || k > 50)) {
    console.error('--k must be an integer from 1 to 50');
    process.exitCode = 2;
    return;
  }
  const asOf = values['as-of'] ? new Date(values['as-of']) : undefined;
  if (asOf && Number.isNaN(asOf.getTime())) {
    console.error('--as-of must be a date, e.g. 2025-02-27');
    process.exitCode = 2;
    return;
  }
  const { config, logger } = await boot();
  const app = await createApp(config, logger);
  try {
    const ingested = await ensureCorpus(app);
    if (ingested) logger.info(formatSummary(ingested).split('\n')[0]!);
    const { answer } = await app.answers.ask(question, {
      ...(values.mode ? { mode: values.mode as RetrievalMode } : {}),
      ...(k ? { k } : {}),
      ...(asOf ? { asOf } : {}),
    });
    if (values.json) {
      console.log(
        redactedJson(
          {
            answer: answer.text,
            mode: answer.mode,
            confidence: answer.confidence ?? null,
            notes: answer.notes,
            ...(answer.mode === 'llm' || answer.usage !== undefined
              ? { unsupported: answer.unsupported ?? false, invalidCitations: answer.invalidCitations ?? 0, usage: answer.usage ?? null }
              : {}),
            citations: answer.citations.map((c) => ({
              n: c.n, articleId: c.articleId, title: c.title, date: c.date, url: c.url, source: c.source, passage: c.passage,
            })),
          },
          2,
        ),
      );
    } else {
      console.log(formatAnswerText(answer));
    }
  } finally {
    await app.close();
  }
});

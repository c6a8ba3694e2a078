/**
 * The ingest worker: a process the bot forks for each ingest (see IngestService). It loads its
 * own embedder, opens its own connection to the store (SQLite WAL: one writer beside the bot's
 * readers), runs the request, and reports articles read, stored batches, log lines and the
 * summary over IPC. Asked to stop (or orphaned by the bot), it ends at the next slice of embedding
 * or article read, keeping every batch already written.
 */
import type { Config } from '../config/index.js';
import { IngestStoppedError, NewsBotError } from '../core/errors.js';
import type { IngestRequest } from '../core/ingest.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { ReadResult } from '../ingest/read-articles.js';
import { runIngestRequest } from '../ingest/request.js';
import type { Embedder } from '../core/embedder.js';
import type { FromIngestWorker, ToIngestWorker } from './ingest/protocol.js';
import { loadEmbedder, openStore } from './root.js';

/** Sends a message to the bot; a bot that is gone is not an error here (the worker stops on disconnect). */
function send(message: FromIngestWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) {
      resolve();
      return;
    }
    process.send!(message, undefined, undefined, () => resolve());
  });
}

/** A logger whose lines go to the bot's log (which masks secrets and applies its own level). */
function ipcLogger(level: Config['logLevel']): Logger {
  const at = (lvl: 'debug' | 'info' | 'warn' | 'error') =>
    // createLogger formats "level message fields"; the level travels separately.
    createLogger(level, (line) => void send({ type: 'log', level: lvl, text: line.slice(6) }))[lvl];
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

let stopRequested = false;
let started = false;

/** Passages embedded between two looks at the bot's messages (a few forward passes). */
const EMBED_SLICE = 32;

/**
 * The model runs synchronously inside its promise, so an ingest would otherwise go from batch to
 * batch without the event loop ever reading the bot's messages. This embedder yields a turn every
 * EMBED_SLICE passages and, when asked to stop, throws there: the batch being embedded is not
 * written (it was never begun in the store), every earlier batch is kept, and the bot waits
 * seconds, not a whole batch, for the worker to end.
 */
function stoppableEmbedder(embedder: Embedder | null): Embedder | null {
  if (!embedder) return null;
  return {
    modelId: embedder.modelId,
    dimension: embedder.dimension,
    embed: async (texts) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += EMBED_SLICE) {
        await new Promise((resolve) => setImmediate(resolve));
        if (stopRequested) throw new IngestStoppedError();
        out.push(...(await embedder.embed(texts.slice(i, i + EMBED_SLICE))));
      }
      return out;
    },
    ...(embedder.close ? { close: () => embedder.close!() } : {}),
  };
}

async function run(request: IngestRequest, config: Config): Promise<void> {
  const logger = ipcLogger(config.logLevel);
  const embedder = stoppableEmbedder(await loadEmbedder(config, logger));
  if (stopRequested) return;
  const store = await openStore(config, embedder, logger);
  // Load the vector index now, so each batch's vectors join it as the batch is written: the
  // HNSW work is spread over the ingest (every batch reports progress) instead of coming as one
  // silent block at the end, which on a large first ingest could outlast INGEST_TIMEOUT_MINUTES.
  if (embedder) await store.openVectorIndex();
  let read = 0;
  let lastReadReport = 0;
  try {
    const summary = await runIngestRequest({ store, embedder, config, logger }, request, {
      source: async function* (source: AsyncIterable<ReadResult> | Iterable<ReadResult>) {
        for await (const result of source) {
          if (stopRequested) throw new IngestStoppedError();
          read++;
          // Often enough for "N articles so far" and the bot's time limit, without a message per article.
          if (Date.now() - lastReadReport >= 250) {
            lastReadReport = Date.now();
            void send({ type: 'read', read });
          }
          yield result;
        }
        void send({ type: 'read', read });
      },
      onProgress: ({ done, total, passages }) => {
        void send({ type: 'progress', done, total, passages });
        if (stopRequested) throw new IngestStoppedError();
      },
    });
    await store.close();
    await send({ type: 'done', summary });
  } catch (error) {
    try {
      await store.close();
    } catch (closeError) {
      logger.error('closing the store failed', { error: closeError instanceof Error ? closeError.message : String(closeError) });
    }
    if (error instanceof IngestStoppedError) {
      logger.info(`stopped as asked after ${read} articles read; every stored batch is kept`);
      return;
    }
    logger.debug('ingest failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    await send({ type: 'error', code: error instanceof NewsBotError ? error.code : null, message: error instanceof Error ? error.message : String(error) });
  } finally {
    await embedder?.close?.();
  }
}

if (!process.send) {
  process.stderr.write('ingest-worker is started by the bot (IngestService), not on its own; use `npm run ingest`.\n');
  process.exit(2);
}

process.on('message', (message: ToIngestWorker) => {
  if (message.type === 'stop') {
    stopRequested = true;
    // Nothing stored yet (the model is loading): nothing to finish.
    if (!started) process.exit(0);
    return;
  }
  if (started) return;
  started = true;
  run(message.request, message.config)
    .catch(async (error: unknown) => {
      await send({ type: 'error', code: error instanceof NewsBotError ? error.code : null, message: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => process.exit(0));
});

// The bot is gone (crashed or killed): finish the batch in flight and exit.
process.on('disconnect', () => {
  stopRequested = true;
  if (!started) process.exit(0);
});

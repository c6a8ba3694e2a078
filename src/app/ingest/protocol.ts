import type { Config } from '../../config/index.js';
import type { ErrorCode } from '../../core/errors.js';
import type { IngestRequest, IngestSummary } from '../../core/ingest.js';

/** Messages from the bot to its ingest worker. */
export type ToIngestWorker = { type: 'run'; request: IngestRequest; config: Config } | { type: 'stop' };

/** Messages from the ingest worker to the bot. */
export type FromIngestWorker =
  | { type: 'read'; read: number }
  | { type: 'progress'; done: number; total: number | null; passages: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string }
  | { type: 'done'; summary: IngestSummary }
  | { type: 'error'; code: ErrorCode | null; message: string };

import { NewsBotError, ErrorCodes } from '../core/errors.js';

/** Why a language-model call failed, as far as retrying is concerned. */
export type LlmFailureKind = 'auth' | 'rate_limit' | 'server' | 'timeout' | 'connection' | 'stream' | 'bad_request' | 'bad_response';

/** A failed language-model call, classified. Retryable kinds are retried with backoff. */
export class LlmError extends NewsBotError {
  readonly kind: LlmFailureKind;
  readonly status: number | undefined;
  /** Server-suggested wait before retrying, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: LlmFailureKind, message: string, options: { status?: number | undefined; retryAfterMs?: number | undefined; cause?: unknown } = {}) {
    super(kind === 'auth' ? ErrorCodes.LlmConfig : ErrorCodes.LlmUnavailable, message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for faults that may pass: rate limits, server errors, timeouts, broken connections. */
  get retryable(): boolean {
    return this.kind === 'rate_limit' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'connection' || this.kind === 'stream';
  }
}

/** What a reader is told of each failure kind: plain words; the details (status, key hints) go to the log. */
const READER_REASONS: Record<LlmFailureKind, string> = {
  auth: 'it is not set up correctly',
  rate_limit: 'it is busy',
  server: 'it had an error',
  timeout: 'it did not answer in time',
  connection: 'it could not be reached',
  stream: 'its answer broke off',
  bad_request: 'it refused the request',
  bad_response: 'it gave an unusable answer',
};

/** The reason a reader is given when the language model could not answer. */
export function readerReason(error: LlmError | undefined): string {
  return error ? READER_REASONS[error.kind] : 'it could not be reached';
}

/** Stable error codes: safe to match on, safe to show. */
export const ErrorCodes = {
  Config: 'CONFIG_INVALID',
  StoreModelMismatch: 'STORE_MODEL_MISMATCH',
  StoreSchema: 'STORE_SCHEMA_UNSUPPORTED',
  StoreIo: 'STORE_IO',
  EmbedderUnavailable: 'EMBEDDER_UNAVAILABLE',
  ArticleParse: 'ARTICLE_PARSE',
  InvalidQuestion: 'INVALID_QUESTION',
  InvalidUrl: 'INVALID_URL',
  LlmConfig: 'LLM_CONFIG',
  LlmUnavailable: 'LLM_UNAVAILABLE',
  IngestBusy: 'INGEST_BUSY',
  IngestFailed: 'INGEST_FAILED',
  IngestStopped: 'INGEST_STOPPED',
  QueueFull: 'QUEUE_FULL',
  VectorIndexFile: 'VECTOR_INDEX_FILE',
  DeliveryUnreachable: 'DELIVERY_UNREACHABLE',
  InvalidFilter: 'INVALID_FILTER',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base class of every error this project throws on purpose. */
export class NewsBotError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The base of an error class with a fixed code, so each class is one line:
 * `class ConfigError extends withCode(ErrorCodes.Config) {}` (its name is the class's own).
 */
function withCode(code: ErrorCode) {
  return class extends NewsBotError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

/** Configuration is missing or malformed; the message names the variable. */
export class ConfigError extends withCode(ErrorCodes.Config) {}

/** The store on disk was built with another embedding model, dimension or chunker. */
export class StoreModelMismatchError extends withCode(ErrorCodes.StoreModelMismatch) {}

/** The store on disk has a schema this version cannot read. */
export class StoreSchemaError extends withCode(ErrorCodes.StoreSchema) {}

/** The embedding model could not be loaded or run. */
export class EmbedderUnavailableError extends withCode(ErrorCodes.EmbedderUnavailable) {}

/** An article could not be parsed; the message says why, for the ingest summary. */
export class ArticleParseError extends withCode(ErrorCodes.ArticleParse) {}

/** A question that cannot be answered as asked (empty, too long). */
export class InvalidQuestionError extends withCode(ErrorCodes.InvalidQuestion) {}

/** A URL given to ingest that cannot be fetched as given (not a URL, not http(s), a literal private address). */
export class InvalidUrlError extends withCode(ErrorCodes.InvalidUrl) {}

/** An ingest was asked for while another one runs on the same store; the message says how far it is. */
export class IngestBusyError extends withCode(ErrorCodes.IngestBusy) {}

/** An ingest ended without finishing (crashed, killed, stuck past its time limit, stopped at shutdown). */
export class IngestFailedError extends withCode(ErrorCodes.IngestFailed) {}

/** The ingest worker was asked to stop: thrown inside its ingest to end it between articles or after a stored batch. */
export class IngestStoppedError extends withCode(ErrorCodes.IngestStopped) {
  constructor() {
    super('the ingest was asked to stop');
  }
}

/** A brief or an alert could not be posted where it goes: the channel is gone or the bot may no longer post there, or a member's DMs are closed. */
export class DeliveryUnreachableError extends withCode(ErrorCodes.DeliveryUnreachable) {}

/** A feed's filter (`/feeds add filter:`) cannot be used: too long, invalid, or an expression that could run too long. */
export class InvalidFilterError extends withCode(ErrorCodes.InvalidFilter) {}

/** Thrown by the bot's work queue when it is full (the user is told the bot is busy). */
export class QueueFullError extends withCode(ErrorCodes.QueueFull) {
  constructor() {
    super('queue full');
  }
}

/**
 * A vector index file that cannot be read or was not written whole (another dimension, short,
 * corrupt, read back different). The store rebuilds a file it cannot read, and reports a failed
 * write as a StoreIo error.
 */
export class VectorIndexFileError extends withCode(ErrorCodes.VectorIndexFile) {}

/** A short, human-readable message for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

import { ErrorCodes, NewsBotError, QueueFullError } from '../core/errors.js';
import { BUSY } from './gate.js';

/** The longest error detail a user sees: the reason, never a wall of text beyond one message. */
const MAX_DETAIL = 300;

function brief(text: string): string {
  return text.length <= MAX_DETAIL ? text : text.slice(0, MAX_DETAIL - 1) + '…';
}

/**
 * True for a refusal caused by what the user asked (an empty or too long question, a URL that
 * cannot be ingested) or by load (the queue is full): logged as a line, without a stack.
 */
export function isUserMistake(error: unknown): boolean {
  return error instanceof QueueFullError || (error instanceof NewsBotError && (error.code === ErrorCodes.InvalidQuestion || error.code === ErrorCodes.InvalidUrl));
}

/** The short message a Discord user sees for an error: never a stack trace or internal detail. */
export function userMessageFor(error: unknown): string {
  if (error instanceof QueueFullError) return BUSY;
  if (error instanceof NewsBotError) {
    switch (error.code) {
      case ErrorCodes.InvalidQuestion:
      case ErrorCodes.InvalidUrl:
        return brief(error.message);
      case ErrorCodes.ArticleParse:
        return `That could not be ingested: ${brief(error.message)}`;
      case ErrorCodes.StoreModelMismatch:
      case ErrorCodes.StoreSchema:
      case ErrorCodes.StoreIo:
        return 'The news index is unavailable right now; the operators have been notified.';
      default:
        break;
    }
  }
  return 'Sorry, something went wrong while answering. The error was logged for the operators.';
}

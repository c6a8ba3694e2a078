import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { AnswerService } from '../answer/answerer.js';
import { conversationTurn, type ConversationTurn } from '../answer/conversation.js';
import { formatAnswerText } from '../answer/format.js';
import { NewsBotError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** Streams and services the console chat uses. */
export interface ConsoleChatOptions {
  answers: AnswerService;
  input: Readable;
  output: Writable;
  logger: Logger;
  /** Shown once at the start. */
  banner?: string;
}

/**
 * A question-and-answer loop on a text stream: each line is a question, each answer is printed
 * with its sources. Ends on EOF, "exit" or "quit". Errors are reported and the loop goes on.
 */
export async function runConsoleChat(options: ConsoleChatOptions): Promise<void> {
  const { answers, input, output, logger } = options;
  const interactive = (input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, output, terminal: interactive });
  const write = (text: string) => output.write(text + '\n');
  if (options.banner) write(options.banner);
  const prompt = interactive ? '\nask> ' : '';
  if (interactive) rl.setPrompt(prompt);
  if (interactive) rl.prompt();
  // The last few questions, answers and cited articles: a follow-up ("why?", "and France?") is
  // searched and answered with them; a question on a new subject leaves them aside.
  const history: ConversationTurn[] = [];
  for await (const line of rl) {
    const question = line.trim();
    if (/^(exit|quit|:q)$/i.test(question)) break;
    if (/^(new|reset|clear)$/i.test(question)) {
      history.length = 0;
      write('(conversation cleared)');
    } else if (question) {
      try {
        const { answer } = await answers.ask(question, { history: [...history] });
        write(formatAnswerText(answer));
        if (answer.citations.length) {
          history.push(conversationTurn(question, answer));
          if (history.length > 4) history.shift();
        }
      } catch (error) {
        if (error instanceof NewsBotError) {
          write(`Sorry: ${error.message}`);
        } else {
          logger.error('answering failed', { error });
          write(`Sorry, something went wrong while answering (${describeError(error)}).`);
        }
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
}

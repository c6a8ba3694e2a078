import { contentTerms } from '../core/text.js';

const REFERS_BACK = /\b(he|she|they|it|its|his|her|hers|their|them|this|that|these|those|there|then|him|the same|what about|how about|and|also|why|why not)\b/i;

/**
 * Turns a follow-up into a standalone retrieval query using the conversation so far: a short or
 * referring follow-up ("what about France?", "why did he do that?") gets the previous question's
 * words added; a self-contained question is left alone.
 */
export function standaloneQuery(question: string, history: { question: string; answer: string }[]): string {
  const last = history[history.length - 1];
  if (!last) return question;
  const terms = contentTerms(question);
  if (terms.length >= 5 && !REFERS_BACK.test(question)) return question;
  return `${question} ${last.question}`;
}

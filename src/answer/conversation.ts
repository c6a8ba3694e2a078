import { contentTerms } from '../core/text.js';

const REFERS_BACK = /\b(he|she|they|it|its|his|her|hers|their|them|this|that|these|those|there|then|him|the same|what about|how about|and|also|why|why not)\b/i;

/**
 * Turns a follow-up into a standalone retrieval query using the conversation so far: a follow-up
 * that refers back ("what about France?", "why did he do that?") or names almost nothing gets the
 * previous question's words added; a self-contained question ("who won the chess olympiad?") is
 * left alone.
 */
export function standaloneQuery(question: string, history: { question: string; answer: string }[]): string {
  const last = history[history.length - 1];
  if (!last) return question;
  if (!REFERS_BACK.test(question) && contentTerms(question).length > 1) return question;
  return `${question} ${last.question}`;
}

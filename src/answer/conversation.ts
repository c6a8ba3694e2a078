import { describeError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { STOPWORDS, contentTerms, stem, tokenize } from '../core/text.js';
import type { Answer } from '../core/types.js';
import type { ChatMessage, ChatModel } from './chat-model.js';

/** One earlier question and answer of a conversation (a Discord thread, the console). */
export interface ConversationTurn {
  question: string;
  /** The answer's text. */
  answer: string;
  /** The articles the answer cited, in citation order. */
  sources?: { articleId: string; title: string }[];
}

/** A question and its answer as a conversation turn (the answer's text and cited articles). */
export function conversationTurn(question: string, answer: Answer): ConversationTurn {
  return { question, answer: answer.text, sources: answer.citations.map((c) => ({ articleId: c.articleId, title: c.title })) };
}

/** How to search for and answer a question asked in a conversation. */
export interface FollowUpPlan {
  /** The question the answer is written for: the question itself, or the model's standalone rewrite. */
  question: string;
  /** The text to search with: the question plus the topic's words. */
  query: string;
  /** Earlier questions' content terms (stems) with their decayed weights (0..1). */
  context: Map<string, number>;
  /** A prior for the articles the conversation has cited: article id -> weight multiplier (> 1). */
  preferArticles: Map<string, number>;
  /** The turns of the current topic, oldest first (empty when the question starts a new subject). */
  topic: ConversationTurn[];
}

/** Weight of the previous question's words; each turn further back halves it. */
const CONTEXT_WEIGHT = 0.6;
const CONTEXT_DECAY = 0.5;
/** Words weighing less than this are left out of the search. */
const MIN_CONTEXT_WEIGHT = 0.1;
/** Most words in a follow-up's search (the retriever matches on the rarest eight). */
const MAX_QUERY_TERMS = 8;
/**
 * The cited-article prior: an article the previous answer cited weighs up to 1 + PRIOR_BOOST times
 * more in the search; one cited only by earlier answers, less (halving per turn). In a store of a
 * year of news, a follow-up's words ("why does he want that?", "what did Macron do?") match
 * hundreds of older stories; the thread's article must outweigh them (x2 lost it to a 2018 story).
 */
const PRIOR_BOOST = 3;
const PRIOR_DECAY = 0.5;

/** Words that stand for something named earlier. */
const PRONOUN = /\b(he|she|they|him|her|hers|his|their|theirs|them|it|its|the same)\b/i;
/** Openings of a follow-up: "and ...", "what about ...", "why ...". */
const LEAD_IN = /^\W*(and|also|so|but|then|what about|how about|what else|why|how come)\b/i;

/** True when a question refers back to the conversation: a pronoun, a follow-up opening, or hardly a word of its own. */
function refersBack(question: string): boolean {
  return PRONOUN.test(question) || LEAD_IN.test(question) || new Set(contentTerms(question)).size <= 1;
}

/** Content terms of the turns' questions and of the titles their answers cited. */
function topicTerms(turns: ConversationTurn[]): Set<string> {
  const out = new Set<string>();
  for (const turn of turns) {
    for (const t of contentTerms(turn.question)) out.add(t);
    for (const s of turn.sources ?? []) for (const t of contentTerms(s.title)) out.add(t);
  }
  return out;
}

/** True when a question continues the topic of the turns before it (see `planFollowUp`). */
function continues(question: string, turns: ConversationTurn[], rewrite?: string | null, inCitedArticles = false): boolean {
  if (turns.length === 0) return false;
  if (refersBack(question) || inCitedArticles) return true;
  const topic = topicTerms(turns);
  return [...contentTerms(question), ...(rewrite ? contentTerms(rewrite) : [])].some((t) => topic.has(t));
}

/** The turns of the latest topic: those after the last question that started a new subject. */
function currentTopic(history: ConversationTurn[]): ConversationTurn[] {
  let start = 0;
  for (let i = 1; i < history.length; i++) if (!continues(history[i]!.question, history.slice(start, i))) start = i;
  return history.slice(start);
}

/**
 * Plans the search for a question asked in a conversation. A follow-up (it refers back with a
 * pronoun or an opening like "and"/"why", names hardly anything, or shares a word with the topic:
 * its earlier questions and the titles they cited) searches with the topic's words, the previous
 * question's weighing CONTEXT_WEIGHT and each turn further back half as much, and with a prior
 * for the articles already cited. A question on a new subject ("Who won the Champions League
 * final?") drops the topic. `rewrite` is a language model's standalone version of the question,
 * used in its place when given. `inCitedArticles`: the question's key words are in the articles
 * the conversation cited ("who is hosting Zelensky on Sunday?" after an article saying so): it
 * continues the topic too.
 */
export function planFollowUp(question: string, history: ConversationTurn[], rewrite?: string | null, inCitedArticles = false): FollowUpPlan {
  const turns = currentTopic(history);
  const asked = rewrite?.trim() || question;
  if (!continues(question, turns, rewrite, inCitedArticles)) return { question, query: question, context: new Map(), preferArticles: new Map(), topic: [] };

  const context = new Map<string, number>();
  const surface = new Map<string, string>();
  const prior = new Map<string, number>();
  turns.forEach((turn, i) => {
    const age = turns.length - i;
    const weight = CONTEXT_WEIGHT * CONTEXT_DECAY ** (age - 1);
    for (const token of tokenize(turn.question)) {
      if (STOPWORDS.has(token) || (token.length < 2 && !/\d/.test(token))) continue;
      const t = stem(token);
      context.set(t, Math.min(1, (context.get(t) ?? 0) + weight));
      surface.set(t, token);
    }
    const cited = PRIOR_DECAY ** (age - 1);
    for (const id of new Set((turn.sources ?? []).map((s) => s.articleId))) prior.set(id, Math.min(1, (prior.get(id) ?? 0) + cited));
  });
  const own = new Set(contentTerms(asked));
  for (const t of [...context.keys()]) if (own.has(t) || context.get(t)! < MIN_CONTEXT_WEIGHT) context.delete(t);
  const room = Math.max(0, MAX_QUERY_TERMS - own.size);
  const added = [...context.entries()].sort((a, b) => b[1] - a[1]).slice(0, room).map(([t]) => surface.get(t)!);
  return {
    question: asked,
    query: added.length ? `${asked} ${added.join(' ')}` : asked,
    context,
    preferArticles: new Map([...prior].map(([id, w]) => [id, 1 + PRIOR_BOOST * w])),
    topic: turns,
  };
}

/** The instructions for rewriting a follow-up. */
export const REWRITE_RULES = [
  'You rewrite the last question of a chat about the news so that it can be understood without the chat.',
  'Replace pronouns and vague references ("he", "that", "and the other one?") with the people, places and things they stand for in the chat.',
  'If the question is already clear on its own, or is about a new subject, return it unchanged.',
  'Reply with the rewritten question only: one line, no answer, no explanation, no quotes.',
].join('\n');

/** Longest accepted rewrite (a standalone question, not an answer). */
const MAX_REWRITE_CHARS = 300;

/** The chat messages asking a model to rewrite a follow-up into a standalone question. */
export function rewriteMessages(question: string, history: ConversationTurn[]): ChatMessage[] {
  const lines = history.flatMap((turn) => [
    `User: ${turn.question}`,
    `Bot: ${turn.answer.replace(/\s*\[\d+\]/g, '').replace(/\s+/g, ' ').slice(0, 400)}`,
  ]);
  return [
    { role: 'system', content: REWRITE_RULES },
    { role: 'user', content: `Chat so far:\n${lines.join('\n')}\n\nLast question: ${question}\n\nStandalone question:` },
  ];
}

/**
 * Rewrites follow-ups into standalone questions with a chat model: one short call, bounded by a
 * timeout. Any failure, timeout or unusable reply gives null (the caller's heuristic plan stands).
 */
export class FollowUpRewriter {
  private readonly model: ChatModel;
  private readonly timeoutMs: number;
  private readonly logger: Logger;

  constructor(options: { model: ChatModel; timeoutMs: number; logger?: Logger }) {
    this.model = options.model;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger ?? silentLogger;
  }

  /** The standalone question, or null. */
  async rewrite(question: string, history: ConversationTurn[]): Promise<string | null> {
    if (history.length === 0) return null;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const { text } = await this.model.complete(rewriteMessages(question, history), { signal: controller.signal });
      const line = (text.trim().split('\n')[0] ?? '').replace(/^(standalone question|question)\s*:\s*/i, '').replace(/^["“'‘]+|["”'’]+$/g, '').trim();
      if (line.length < 3 || line.length > MAX_REWRITE_CHARS || contentTerms(line).length === 0) {
        this.logger.warn('follow-up rewrite unusable; using the heuristic', { reply: text.slice(0, 200) });
        return null;
      }
      this.logger.debug('follow-up rewritten', { question, rewrite: line });
      return line;
    } catch (error) {
      const reason = controller.signal.aborted ? `no reply within ${this.timeoutMs} ms` : describeError(error);
      this.logger.warn('follow-up rewrite failed; using the heuristic', { error: reason });
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The ids of the articles the last turns of a conversation cited (newest turn first, at most `limit`). */
export function citedArticles(history: readonly ConversationTurn[], limit = 3): string[] {
  const out: string[] = [];
  for (const turn of [...history].reverse()) for (const s of turn.sources ?? []) if (!out.includes(s.articleId) && out.length < limit) out.push(s.articleId);
  return out;
}

import { contentTerms } from '../core/text.js';
import { profileQuestion } from '../retrieval/evidence.js';
import type { Answer, ArticleMeta, Citation, RetrievedPassage } from '../core/types.js';
import { citationFor } from './citations.js';
import { RARE_IDF, answerConfidence, answerEvidence, answers, roundConfidence, type AnswerEvidence } from './confidence.js';
import { refusalAnswer } from './refusal.js';
import { CONTEXT_SHARE, questionIntent, scoreCandidates } from './sentence-scoring.js';
import { rankCandidates, selectSentences } from './sentence-selection.js';
import { sentenceCandidates, type SentenceCandidate } from './sentences.js';
import { articleTerms, articlesAbout, QUESTION_VERBS } from './topic.js';

export { NOTHING_FOUND } from './refusal.js';
export { isQuotable } from './sentences.js';

/** Limits of an extractive answer. */
export interface ExtractiveOptions {
  /** Most characters of answer text, citations excluded (default DEFAULT_MAX_CHARS). */
  maxChars?: number;
  /** Most sentences quoted (default DEFAULT_MAX_SENTENCES). */
  maxSentences?: number;
  /** How many top passages to quote from (default DEFAULT_MAX_PASSAGES). */
  maxPassages?: number;
  /**
   * Inverse document frequency over the whole store of the question's terms (stems): tells which
   * of its words are rare, and so which articles are about the question. Without it, rarity is
   * judged among the passages given.
   */
  idf?: ReadonlyMap<string, number>;
  /**
   * Terms (stems) of earlier questions in a conversation, weighted 0..1: they count towards a
   * sentence's fit, less than the question's own words.
   */
  context?: ReadonlyMap<string, number>;
  /**
   * Each article's lede (its first passage), by article id: an article is about the question when
   * its title or lede names the subject. Without it, a retrieved first passage is the lede.
   */
  ledes?: ReadonlyMap<string, string>;
  /** What the conversation's earlier answers said: a sentence already quoted there weighs REPEAT_FACTOR as much. */
  alreadySaid?: string;
  /** Articles about the conversation's topic (those its answers cited): about the question whatever their ledes say. */
  topicArticles?: ReadonlySet<string>;
}

/** Answer length a reader takes in at a glance in Discord or a terminal. */
export const DEFAULT_MAX_CHARS = 400;
export const DEFAULT_MAX_SENTENCES = 3;
/** Passages quoted from: the best five hold the answer when any do (rtqa-2024 R@5 0.78, R@10 0.84). */
export const DEFAULT_MAX_PASSAGES = 5;
/** A sentence the thread was already told weighs this much: a follow-up should add something. */
export const REPEAT_FACTOR = 0.5;

/**
 * Answers by quoting: the sentences of the top passages that cover most of the question's
 * content words (see sentence-scoring.ts), each followed by its citation [n], chosen by
 * sentence-selection.ts: the first from an article about the question (topic.ts), never padding
 * from articles that are not. When no article is about the question, or the best sentence does not
 * answer it (see `answers` in confidence.ts), it refuses (refusal.ts), pointing to
 * the closest dated headline when one shares a word with the question. Every answer carries its
 * confidence.
 */
export function extractiveAnswer(question: string, passages: RetrievedPassage[], options: ExtractiveOptions = {}, assessed = assessPassages(question, passages, options)): Answer {
  if (assessed.chosen.length === 0 || !assessed.evidence || !answers(assessed.evidence)) {
    return refusalAnswer(question, closestHeadline(question, passages), assessed.confidence);
  }
  return { ...quoteAnswer(assessed.chosen), confidence: assessed.confidence };
}

/** What the extractive reading of the passages found: the sentences to quote and how sure it is. */
export interface PassageAssessment {
  /** The sentences an extractive answer quotes (empty: nothing is about the question). */
  chosen: SentenceCandidate[];
  /** answerConfidence of the best chosen sentence; 0 when none. */
  confidence: number;
  /** Ids of the articles about the question. */
  onTopic: Set<string>;
  /** How the best chosen sentence matches the question (absent when nothing is chosen). */
  evidence?: AnswerEvidence;
}

/**
 * Reads the passages for a question as the extractive answer does: which articles are about it,
 * which sentences answer it, and how sure that is. Also the language model's gate: with nothing
 * chosen, the model is not called.
 */
export function assessPassages(question: string, passages: RetrievedPassage[], options: ExtractiveOptions = {}): PassageAssessment {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const maxSentences = options.maxSentences ?? DEFAULT_MAX_SENTENCES;
  const top = passages.slice(0, options.maxPassages ?? DEFAULT_MAX_PASSAGES);
  const profile = profileQuestion(question);
  const qTerms = profile.terms;
  // The question's own words count fully, earlier questions' words by their weight, halved: they
  // keep the answer on the topic, the question's own words choose the sentence. A follow-up with
  // no word of its own ("why did he do that?") is answered from the conversation's words alone.
  const intent = questionIntent(question);
  // "Why does he want that?": the reason seldom repeats the asking verb, so it counts as a topic word.
  const termWeight = new Map<string, number>(qTerms.map((t) => [t, intent.kind === 'reason' && QUESTION_VERBS.has(t) ? CONTEXT_SHARE : 1]));
  for (const [t, w] of options.context ?? []) if (!termWeight.has(t) && w > 0) termWeight.set(t, Math.min(1, w) * CONTEXT_SHARE);
  const empty: PassageAssessment = { chosen: [], confidence: 0, onTopic: new Set() };
  if (termWeight.size === 0 || top.length === 0) return empty;

  // Which articles are about the question is judged over every retrieved article (their words
  // tell which of the question's words are key), quoting only from the top passages.
  const contextTerms = [...termWeight.keys()].filter((t) => !qTerms.includes(t));
  const articles = articleTexts(passages, options.ledes);
  const onTopic = articlesAbout(qTerms, contextTerms, articles, options.idf);
  for (const id of options.topicArticles ?? []) if (articles.some((a) => a.id === id)) onTopic.add(id);
  const candidates = sentenceCandidates(top, onTopic);
  if (candidates.length === 0) return { ...empty, onTopic };
  scoreCandidates(candidates, { profile, intent, termWeight, idf: options.idf });
  if (options.alreadySaid) for (const c of candidates) if (options.alreadySaid.includes(c.text)) c.score *= REPEAT_FACTOR;
  const chosen = selectSentences(rankCandidates(candidates), candidates, { maxChars, maxSentences, typed: profile.type !== null });
  const lead = chosen.find((c) => c.score > 0) ?? chosen[0];
  if (!lead) return { chosen, confidence: 0, onTopic };
  const retrieved = new Set(articles.flatMap((a) => [...articleTerms(a).lede, ...articleTerms(a).text]));
  const evidence = answerEvidence(question, qTerms, [...termWeight.keys()], lead, retrieved);
  evidence.rareMissing = rareMissing(qTerms, options.idf, lead, articles);
  return { chosen, confidence: roundConfidence(answerConfidence(lead, evidence)), onTopic, evidence };

}

/**
 * The question's very rare words (idf at least RARE_IDF: a handful of passages in a large store
 * hold them, or none) that the lead sentence's article does not hold, in its title, lede or
 * retrieved text. When a question names something that rare, the news about it is in those few
 * passages: an answer from an article without the word is about something else ("the sauna tax"
 * answered with a Finnish minister on NATO).
 */
function rareMissing(qTerms: readonly string[], idf: ReadonlyMap<string, number> | undefined, lead: SentenceCandidate, articles: ReturnType<typeof articleTexts>): number {
  if (!idf) return 0;
  const rare = qTerms.filter((t) => (idf.get(t) ?? 0) >= RARE_IDF);
  if (rare.length === 0) return 0;
  const article = articles.find((a) => a.id === lead.item.article.id);
  const held = new Set([...contentTerms(lead.item.article.title), ...lead.terms, ...(article ? [...articleTerms(article).lede, ...articleTerms(article).text] : [])]);
  // Inside a longer word counts too ("gazer" in "skygazers").
  const raw = `${lead.item.article.title}\n${lead.text}\n${article ? `${article.lede}\n${article.text}` : ''}`.toLowerCase();
  return rare.filter((t) => !held.has(t) && !raw.includes(t) && ![...held].some((w) => otherForm(t, w))).length;
}

/** Letters two forms of a word share at least, from the start. */
const FORM_PREFIX = 5;

/**
 * True when two (stemmed) words are forms of one word as news spell them: they share their first
 * letters up to at most two of the shorter one's last ("legalis" / "legal", "funerari" / "funer",
 * "botswanan" / "botswana"), or differ in one letter beyond the first five (British and American
 * spellings: "misbehaviour" / "misbehavior").
 */
export function otherForm(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length < FORM_PREFIX || !long.startsWith(short.slice(0, FORM_PREFIX))) return false;
  let common = 0;
  while (common < short.length && short[common] === long[common]) common++;
  if (common >= Math.max(FORM_PREFIX, short.length - 2)) return true;
  if (long.length - short.length > 1) return false;
  if (short.length === long.length) {
    let diff = 0;
    for (let i = 0; i < short.length; i++) if (short[i] !== long[i]) diff++;
    return diff <= 1;
  }
  // One letter more inside the longer one.
  return long.slice(0, common) + long.slice(common + 1) === short;
}

/** Each article's title and lede (the given lede, else a retrieved first passage) and retrieved text. */
function articleTexts(passages: readonly RetrievedPassage[], ledes: ReadonlyMap<string, string> | undefined) {
  const byId = new Map<string, { id: string; lede: string; text: string }>();
  for (const p of passages) {
    let a = byId.get(p.article.id);
    if (!a) byId.set(p.article.id, (a = { id: p.article.id, lede: `${p.article.title}\n${ledes?.get(p.article.id) ?? ''}`, text: p.article.title }));
    if (!ledes?.has(p.article.id) && p.passage.position === 0) a.lede += `\n${p.passage.text}`;
    a.text += `\n${p.passage.text}`;
  }
  return [...byId.values()];
}

/**
 * The first retrieved article whose title shares a word with the question (not a number or a
 * question verb: "2024" or "won" alone point nowhere): a pointer for a refusal.
 */
function closestHeadline(question: string, passages: readonly RetrievedPassage[]): ArticleMeta | null {
  const asked = new Set(contentTerms(question).filter((t) => !/\d/.test(t) && !QUESTION_VERBS.has(t)));
  return passages.find((p) => contentTerms(p.article.title).some((t) => asked.has(t)))?.article ?? null;
}

/** The quoted sentences with their [n] markers: one number per article, in order of first use. */
function quoteAnswer(chosen: readonly SentenceCandidate[]): Answer {
  const numbers = new Map<string, number>();
  const citations: Citation[] = [];
  const quoted = new Map<number, Set<number>>();
  const parts = chosen.map((c) => {
    let n = numbers.get(c.item.article.id);
    if (n === undefined) {
      n = citations.length + 1;
      numbers.set(c.item.article.id, n);
      citations.push(citationFor(n, c.item));
      quoted.set(n, new Set([c.item.passage.id]));
    } else if (!quoted.get(n)!.has(c.item.passage.id)) {
      // Its passage text holds every passage quoted.
      quoted.get(n)!.add(c.item.passage.id);
      const citation = citations[n - 1]!;
      citation.passage += '\n…\n' + c.item.passage.text;
    }
    return `${c.text} [${n}]`;
  });
  return { text: parts.join(' '), mode: 'extractive', citations, notes: [] };
}

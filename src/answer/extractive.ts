import { contentTerms, splitSentences, stem, tokenize } from '../core/text.js';
import { answerTypeOf, hasAnswerCandidate } from '../retrieval/answer-type.js';
import type { Answer, Citation, RetrievedPassage } from '../core/types.js';

/** Limits of an extractive answer. */
export interface ExtractiveOptions {
  /** Most characters of answer text, citations excluded. */
  maxChars?: number;
  maxSentences?: number;
  /** How many top passages to quote from. */
  maxPassages?: number;
}

/** What the bot says when retrieval finds nothing that matches the question. */
export const NOTHING_FOUND = "I couldn't find anything about that in the news I have.";

// Question verbs and the words news prose uses for them (weighted lower than the asked word).
const RELATED: Record<string, string[]> = {
  ask: ['seek', 'plead', 'urg', 'call', 'push', 'press', 'demand', 'request', 'want'],
  want: ['seek', 'demand', 'call', 'push', 'hope'],
  say: ['told', 'state', 'claim', 'announc', 'insist', 'warn'],
  win: ['won', 'victori', 'beat', 'defeat', 'champion'],
  die: ['dead', 'death', 'kill', 'di'],
  kill: ['dead', 'death', 'die', 'di'],
  buy: ['acquir', 'purchas', 'bought', 'deal'],
  announc: ['unveil', 'said', 'launch'],
};

const ANSWER_BONUS = 0.4;
/** Weight of the passage's retrieval rank: sentences of the best passages are preferred. */
const RANK_WEIGHT = 0.3;

/** A sentence that opens by referring back to something named before it. */
const REFERRING = /^["“]?(?:the|this|that|these|those|it|its|it's|it’s|he|she|they|his|her|their)\b/i;

interface Candidate {
  text: string;
  item: RetrievedPassage;
  rank: number;
  index: number;
  terms: Set<string>;
  score: number;
}

/** Citations for the passages used, numbered in order of first use. */
export function citationFor(n: number, item: RetrievedPassage): Citation {
  return {
    n,
    articleId: item.article.id,
    title: item.article.title,
    date: item.article.date,
    url: item.article.url,
    source: item.article.source,
    passage: item.passage.text,
  };
}

/** Drops a leading dateline such as "WASHINGTON — " or "LONDON (Reuters) - ". */
function stripDateline(text: string): string {
  return text.replace(/^[A-Z][A-Z .,'’-]{2,40}(?:\s*\([^)]{1,30}\))?\s*[—–-]{1,2}\s+(?=\S)/, '');
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1).replace(/\s+\S*$/, '');
  return cut + '…';
}

/**
 * Answers by quoting: the sentences of the top passages that cover most of the question's
 * content words (rarer words count more, related question verbs count half), each followed by
 * its citation [n]. When no sentence shares a content word with the question, says so.
 */
export function extractiveAnswer(question: string, passages: RetrievedPassage[], options: ExtractiveOptions = {}): Answer {
  const maxChars = options.maxChars ?? 400;
  const maxSentences = options.maxSentences ?? 3;
  const maxPassages = options.maxPassages ?? 5;
  const qTerms = [...new Set(contentTerms(question))];
  const nothing: Answer = { text: NOTHING_FOUND, mode: 'none', citations: [], notes: [] };
  if (qTerms.length === 0 || passages.length === 0) return nothing;

  const candidates: Candidate[] = [];
  passages.slice(0, maxPassages).forEach((item, rank) => {
    splitSentences(item.passage.text).forEach((s, index) => {
      if (s.text.length < 25 || !/[\p{L}]/u.test(s.text)) return;
      candidates.push({ text: stripDateline(s.text), item, rank, index, terms: new Set(contentTerms(s.text)), score: 0 });
    });
  });
  if (candidates.length === 0) return nothing;

  // Term weights: inverse frequency among candidate sentences (plus one, so common words still count).
  const weight = new Map<string, number>();
  for (const t of qTerms) {
    const df = candidates.filter((c) => c.terms.has(t)).length;
    weight.set(t, 1 + Math.log((candidates.length + 1) / (df + 1)));
  }
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const type = answerTypeOf(question);
  const qTokens = new Set(tokenize(question));
  for (const c of candidates) {
    let covered = 0;
    let direct = 0;
    for (const t of qTerms) {
      const w = weight.get(t) ?? 1;
      if (c.terms.has(t)) {
        covered += w;
        direct++;
      } else if ((RELATED[t] ?? []).some((r) => c.terms.has(stem(r)) || c.terms.has(r))) {
        covered += w / 2;
      }
    }
    if (direct === 0) continue;
    const lengthPenalty = c.text.length > 350 ? 0.1 : 0;
    // News puts the answer up front: the first sentences of an article get a small bonus.
    const lede = c.item.passage.position === 0 && c.index < 3 ? 0.1 : 0;
    // A sentence that holds an answer of the asked kind (a number, a country, a name) is preferred.
    const answerBonus = type && hasAnswerCandidate(c.text, type, qTokens) ? ANSWER_BONUS : 0;
    c.score = covered / total + RANK_WEIGHT / (1 + c.rank) + lede + answerBonus - lengthPenalty;
  }
  const ranked = candidates.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.rank - b.rank || a.index - b.index);
  if (ranked.length === 0) return nothing;

  const chosen: Candidate[] = [];
  let used = 0;
  // The best sentence often names what the question asks for only as "the company" or "she", or
  // the next sentence goes on with "It is now ...": when the best sentence holds no answer of the
  // asked kind and such a neighbour does, quote both.
  const best = ranked[0]!;
  if (type && best.text.length < maxChars && !hasAnswerCandidate(best.text, type, qTokens)) {
    for (const index of [best.index - 1, best.index + 1]) {
      const neighbour = candidates.find((c) => c.item === best.item && c.index === index);
      if (!neighbour || !REFERRING.test(index < best.index ? best.text : neighbour.text)) continue;
      if (neighbour.text.length + best.text.length + 1 > maxChars || !hasAnswerCandidate(neighbour.text, type, qTokens)) continue;
      chosen.push(...(index < best.index ? [neighbour, best] : [best, neighbour]));
      used = neighbour.text.length + best.text.length + 1;
      break;
    }
  }
  for (const c of ranked) {
    if (chosen.includes(c)) continue;
    if (chosen.length >= maxSentences) break;
    if (c.score < best.score * 0.5) break;
    if (chosen.some((d) => overlap(d.terms, c.terms) > 0.6)) continue;
    const room = maxChars - used - (chosen.length ? 1 : 0);
    if (chosen.length === 0) {
      chosen.push({ ...c, text: clip(c.text, maxChars) });
      used = Math.min(c.text.length, maxChars);
    } else if (c.text.length <= room) {
      chosen.push(c);
      used += c.text.length + 1;
    }
  }

  // One number per article, in order of first use; its passage text holds every passage quoted.
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
      quoted.get(n)!.add(c.item.passage.id);
      const citation = citations[n - 1]!;
      citation.passage += '\n…\n' + c.item.passage.text;
    }
    return `${c.text} [${n}]`;
  });
  return { text: parts.join(' '), mode: 'extractive', citations, notes: [] };
}

function overlap(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / Math.max(1, Math.min(a.size, b.size));
}

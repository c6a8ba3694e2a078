import { contentTerms, splitSentences, stem, tokenize } from '../core/text.js';
import { holdsAnswer, profileQuestion, termCoverage } from '../retrieval/evidence.js';
import type { Answer, Citation, RetrievedPassage } from '../core/types.js';
import { citationFor } from './citations.js';
import { keyTerms } from './topic.js';

/** Limits of an extractive answer. */
export interface ExtractiveOptions {
  /** Most characters of answer text, citations excluded. */
  maxChars?: number;
  maxSentences?: number;
  /** How many top passages to quote from. */
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

/**
 * Answer sentences are told by a precise test of the asked kind: a person is a name that reads as
 * one ("Chase Oliver", "Prince William"), not "the Peach State" (see hasAnswerCandidate).
 */
const PRECISE = { precise: true } as const;

/** Credit for a related question verb in place of the asked one ("urged" for "ask"). */
const RELATED_CREDIT = 0.5;
const ANSWER_BONUS = 0.4;
/** Weight of the passage's retrieval rank: sentences of the best passages are preferred. */
const RANK_WEIGHT = 0.3;
/** How much an earlier question's word counts in a follow-up's sentence choice, relative to its conversation weight. */
const CONTEXT_SHARE = 0.5;
/** Fewest words in a quotable sentence. */
const MIN_WORDS = 5;
/** A sentence ends with . ! ? (or an ellipsis), then maybe closing quotes or brackets. */
const SENTENCE_END = /[.!?…]["'”’)\]]*$/;

/** A sentence that opens by referring back to something named before it. */
const REFERRING = /^["“]?(?:the|this|that|these|those|it|its|it's|it’s|he|she|they|his|her|their)\b/i;

/**
 * A sentence whose subject refers back to something named in the sentence before it: a pronoun
 * ("He said ...", "It's the first ...") or "the" and a common noun ("The comedian will ...", "The
 * \"Top Gun\" star ..."), not a name ("The Federal Aviation Administration ...") and not a quotation.
 */
const REFERS_BACK = /^(?:(?:[Hh]e|[Ss]he|[Ii]t|[Ii]t's|[Ii]t’s|[Tt]hey|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir)\b|[Tt]he\s+(?:["“][^"”]+["”]\s+)?[a-z])/;

interface Candidate {
  text: string;
  item: RetrievedPassage;
  rank: number;
  index: number;
  terms: Set<string>;
  score: number;
  /** The candidate's article is about the question (see `aboutQuestion`). */
  onTopic: boolean;
}

/** Drops a leading dateline such as "WASHINGTON — " or "LONDON (Reuters) - ". */
function stripDateline(text: string): string {
  return text.replace(/^[A-Z][A-Z .,'’-]{2,40}(?:\s*\([^)]{1,30}\))?\s*[—–-]{1,2}\s+(?=\S)/, '');
}

/** Letters and digits only, lowercased: for comparing a sentence with a title. */
function squash(text: string): string {
  return tokenize(text).join(' ');
}

/**
 * True when a text reads as a sentence worth quoting: long enough, ends like a sentence, and is
 * not the article's title or a headline (a line of capitalized words with no full stop).
 */
export function isQuotable(text: string, title: string): boolean {
  if (text.length < 25 || !/\p{L}/u.test(text) || !SENTENCE_END.test(text)) return false;
  const words = text.split(/\s+/);
  if (words.length < MIN_WORDS) return false;
  const flat = squash(text);
  const head = squash(title);
  if (head && (flat === head || (head.length >= 20 && flat.includes(head)) || head.includes(flat))) return false;
  // Shouting ("BREAKING NEWS: ..."), or a short line of capitalized words with no comma (a headline).
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters.length > 0 && letters.replace(/[^\p{Lu}]/gu, '').length / letters.length > 0.6) return false;
  const capitalized = words.filter((w) => /^["“'‘(]?\p{Lu}/u.test(w)).length;
  return !(capitalized / words.length > 0.8 && words.length <= 20 && !text.includes(','));
}

/** Most sentences of a quotation (or bracket) joined back into the sentence that opened it. */
const MAX_JOINED = 4;
/** Longest sentence made by joining. */
const MAX_JOINED_CHARS = 600;

/** How many quotations or brackets a text leaves open (curly and straight double quotes, parentheses). */
function openMarks(text: string): number {
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const curly = count(/“/g) - count(/”/g);
  const straight = count(/"/g) % 2;
  const brackets = count(/\(/g) - count(/\)/g);
  return Math.max(0, curly) + straight + Math.max(0, brackets);
}

/** True when a text closes a quotation it never opened: the tail of a quote cut off before it (a fragment). */
function closesUnopenedQuote(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    // A straight quote may open what a curly one closes ("We look forward ...,” she said).
    if (ch === '“' || ch === '"') depth++;
    else if (ch === '”' && --depth < 0) return true;
  }
  return false;
}

/**
 * The sentences of a passage, with a quotation the sentence splitter cut apart joined back:
 * “This is awesome. This is legendary,” Mahomes said. and ("Shazam! Fury of the Gods") are one
 * sentence each. A sentence that opens a quotation or bracket takes the following ones of the same
 * paragraph until it is closed (at most MAX_JOINED sentences and MAX_JOINED_CHARS); when it is
 * not closed by then, the sentences stay as they were.
 */
export function quotedSentences(text: string): { text: string }[] {
  const spans = splitSentences(text);
  const out: { text: string }[] = [];
  for (let i = 0; i < spans.length; i++) {
    const first = spans[i]!;
    let j = i;
    if (openMarks(first.text) > 0) {
      let k = i;
      while (k + 1 < spans.length && k - i + 1 < MAX_JOINED) {
        const next = spans[k + 1]!;
        if (next.end - first.start > MAX_JOINED_CHARS || text.slice(spans[k]!.end, next.start).includes('\n')) break;
        k++;
        if (openMarks(text.slice(first.start, next.end)) === 0) {
          j = k;
          break;
        }
      }
    }
    out.push({ text: text.slice(first.start, spans[j]!.end) });
    i = j;
  }
  return out;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1).replace(/\s+\S*$/, '');
  return cut + '…';
}

/**
 * Answers by quoting: the sentences of the top passages that cover most of the question's
 * content words (rarer words count more, related question verbs count half), each followed by
 * its citation [n]. Only real sentences are quoted (no titles, headlines or fragments), and a
 * sentence from another article than the best one's only when that article is itself about the
 * question (see `aboutQuestion`); fewer sentences rather than padding. A quotation the sentence
 * splitter cut apart is quoted whole, and a sentence that opens by referring back ("The comedian
 * will ...") comes after the sentence it refers to when both fit. When no sentence shares a
 * content word with the question, says so.
 */
export function extractiveAnswer(question: string, passages: RetrievedPassage[], options: ExtractiveOptions = {}): Answer {
  const maxChars = options.maxChars ?? 400;
  const maxSentences = options.maxSentences ?? 3;
  const maxPassages = options.maxPassages ?? 5;
  const profile = profileQuestion(question);
  const qTerms = profile.terms;
  const nothing: Answer = { text: NOTHING_FOUND, mode: 'none', citations: [], notes: [] };
  // The question's own words count fully, earlier questions' words by their weight, halved: they
  // keep the answer on the topic, the question's own words choose the sentence. A follow-up with
  // no word of its own ("why did he do that?") is answered from the conversation's words alone.
  const termWeight = new Map<string, number>(qTerms.map((t) => [t, 1]));
  for (const [t, w] of options.context ?? []) if (!termWeight.has(t) && w > 0) termWeight.set(t, Math.min(1, w) * CONTEXT_SHARE);
  const terms = [...termWeight.keys()];
  if (terms.length === 0 || passages.length === 0) return nothing;

  const top = passages.slice(0, maxPassages);
  const onTopic = aboutQuestion(qTerms, terms.filter((t) => !qTerms.includes(t)), top, options.idf);
  const candidates: Candidate[] = [];
  top.forEach((item, rank) => {
    quotedSentences(item.passage.text).forEach((s, index) => {
      const text = stripDateline(s.text);
      if (!isQuotable(text, item.article.title) || closesUnopenedQuote(text)) return;
      candidates.push({ text, item, rank, index, terms: new Set(contentTerms(text)), score: 0, onTopic: onTopic.has(item.article.id) });
    });
  });
  if (candidates.length === 0) return nothing;

  // Term weights: inverse frequency among candidate sentences (plus one, so common words still
  // count), not the store's idf the retriever uses: here rarity among the quotable sentences is
  // what tells one sentence from another.
  const weight = new Map<string, number>();
  for (const t of terms) {
    const df = candidates.filter((c) => c.terms.has(t)).length;
    weight.set(t, (1 + Math.log((candidates.length + 1) / (df + 1))) * termWeight.get(t)!);
  }
  const weightOf = (t: string) => weight.get(t)!;
  for (const c of candidates) {
    if (!terms.some((t) => c.terms.has(t))) continue;
    const related = (t: string) => (RELATED[t] ?? []).some((r) => c.terms.has(stem(r)) || c.terms.has(r));
    const covered = termCoverage(terms, weightOf, (t) => (c.terms.has(t) ? 1 : related(t) ? RELATED_CREDIT : 0));
    const lengthPenalty = c.text.length > 350 ? 0.1 : 0;
    // News puts the answer up front: the first sentences of an article get a small bonus.
    const lede = c.item.passage.position === 0 && c.index < 3 ? 0.1 : 0;
    // A sentence that holds an answer of the asked kind (a number, a country, a name) is preferred.
    const answerBonus = holdsAnswer(c.text, profile, PRECISE) ? ANSWER_BONUS : 0;
    c.score = covered + RANK_WEIGHT / (1 + c.rank) + lede + answerBonus - lengthPenalty;
  }
  const ranked = candidates.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.rank - b.rank || a.index - b.index);
  if (ranked.length === 0) return nothing;

  const chosen: Candidate[] = [];
  let used = 0;
  // The best sentence often names what the question asks for only as "the company" or "she", or
  // the next sentence goes on with "It is now ...": when the best sentence holds no answer of the
  // asked kind and such a neighbour does, quote both.
  const best = ranked[0]!;
  if (profile.type && maxSentences >= 2 && best.text.length < maxChars && !holdsAnswer(best.text, profile, PRECISE)) {
    for (const index of [best.index - 1, best.index + 1]) {
      const neighbour = candidates.find((c) => c.item === best.item && c.index === index);
      if (!neighbour || !REFERRING.test(index < best.index ? best.text : neighbour.text)) continue;
      if (neighbour.text.length + best.text.length + 1 > maxChars || !holdsAnswer(neighbour.text, profile, PRECISE)) continue;
      chosen.push(...(index < best.index ? [neighbour, best] : [best, neighbour]));
      used = neighbour.text.length + best.text.length + 1;
      break;
    }
  }
  // A sentence that opens with "The comedian" or "He" is quoted after the sentence it refers
  // back to, when that one is quotable and both fit: a reader learns who is meant.
  const antecedent = (c: Candidate, room: number): Candidate | undefined => {
    if (!REFERS_BACK.test(c.text) || chosen.length + 2 > maxSentences) return undefined;
    const previous = candidates.find((d) => d.item === c.item && d.index === c.index - 1);
    if (!previous || chosen.includes(previous) || previous.text.length + 1 + c.text.length > room) return undefined;
    return chosen.some((d) => overlap(d.terms, previous.terms) > 0.6) ? undefined : previous;
  };
  for (const c of ranked) {
    if (chosen.includes(c)) continue;
    if (chosen.length >= maxSentences) break;
    if (c.score < best.score * 0.5) break;
    // Another article's sentence supports the answer only when that article is about the question.
    if (c.item.article.id !== best.item.article.id && !c.onTopic) continue;
    if (chosen.some((d) => overlap(d.terms, c.terms) > 0.6)) continue;
    const room = maxChars - used - (chosen.length ? 1 : 0);
    const previous = antecedent(c, room);
    if (previous) {
      chosen.push(previous, c);
      used += (used ? 1 : 0) + previous.text.length + 1 + c.text.length;
    } else if (chosen.length === 0) {
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

/**
 * Ids of the articles (among the passages) that are about the question: their title or lede (a
 * first passage among those given) holds one of its key terms, or their passages hold all of them
 * (`keyTerms` of the question's terms found in some passage, ranked by `idf`, else by how few of
 * the articles hold them); in a conversation, the same for the earlier questions' key terms too.
 * A roundup that mentions a key word once, or a story sharing only a common word ("Trump"), is not.
 */
function aboutQuestion(qTerms: readonly string[], contextTerms: readonly string[], passages: RetrievedPassage[], idf: ReadonlyMap<string, number> | undefined): Set<string> {
  const texts = new Map<string, string>();
  const ledes = new Map<string, string>();
  for (const p of passages) {
    texts.set(p.article.id, `${texts.get(p.article.id) ?? p.article.title}\n${p.passage.text}`);
    ledes.set(p.article.id, `${ledes.get(p.article.id) ?? p.article.title}\n${p.passage.position === 0 ? p.passage.text : ''}`);
  }
  const termsOf = [...texts].map(([id, text]) => ({ id, terms: new Set(contentTerms(text)), lede: new Set(contentTerms(ledes.get(id)!)) }));
  const holders = (t: string) => termsOf.filter((a) => a.terms.has(t)).length;
  const rarity = idf ?? new Map([...qTerms, ...contextTerms].map((t) => [t, Math.log((termsOf.length + 1) / (holders(t) + 0.5))]));
  const keysOf = (terms: readonly string[]) => keyTerms(terms.filter((t) => holders(t) > 0), rarity);
  const keySets = [keysOf(qTerms), keysOf(contextTerms)].filter((keys) => keys.length > 0);
  // Its title or lede names the subject, or its passages cover all of the question's rarest words.
  const about = (a: (typeof termsOf)[number], keys: string[]) => keys.some((k) => a.lede.has(k)) || keys.every((k) => a.terms.has(k));
  return new Set(termsOf.filter((a) => keySets.every((keys) => about(a, keys))).map((a) => a.id));
}

function overlap(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / Math.max(1, Math.min(a.size, b.size));
}


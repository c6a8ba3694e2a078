import { contentTerms, splitSentences, stem, STOPWORDS, tokenize } from '../core/text.js';
import type { Passage } from '../core/types.js';
import type { PassageRow } from '../store/ports.js';
import { answerTypeOf, hasAnswerCandidate, type AnswerCandidateOptions, type AnswerType } from './answer-type.js';

/*
 * Answer evidence, for the retriever (which passage answers) and the extractive answer (which
 * sentence to quote). Both ask the same two things of a sentence: how much of the question's
 * (weighted) content words it covers, and whether it holds a candidate answer of the asked type
 * that the question does not already contain. What differs stays with each of them:
 * - the retriever (PassageEvidence below) weighs terms by the store's idf, counts the article's
 *   title towards a sentence that holds an answer, and scores whole passages;
 * - the extractive answer weighs terms by idf among the sentences it may quote, counts related
 *   question verbs ("ask" ~ "urged") half and an earlier question's words by their weight, and
 *   ranks sentences by rank, lede and length too (answer/extractive.ts).
 */

/** What evidence scoring needs to know about a question, worked out once. */
export interface QuestionProfile {
  /** Its distinct content terms (stems), in question order. */
  readonly terms: readonly string[];
  readonly termSet: ReadonlySet<string>;
  /** Its lowercased tokens: a candidate the question already names is no answer. */
  readonly tokens: ReadonlySet<string>;
  /** The kind of answer it asks for, or null when its wording does not tell. */
  readonly type: AnswerType | null;
}

/** The question's terms, tokens and answer type. */
export function profileQuestion(question: string): QuestionProfile {
  const terms = [...new Set(contentTerms(question))];
  return { terms, termSet: new Set(terms), tokens: new Set(tokenize(question)), type: answerTypeOf(question) };
}

/**
 * True when `sentence` holds a candidate answer of the asked type (never when the type is unknown).
 * `precise`: see hasAnswerCandidate.
 */
export function holdsAnswer(sentence: string, question: QuestionProfile, options: AnswerCandidateOptions = {}): boolean {
  return question.type !== null && hasAnswerCandidate(sentence, question.type, question.tokens, options);
}

/**
 * The weighted share of `terms` a text covers: Σ weight · credit / Σ weight (0 when the weights
 * sum to 0). `creditOf` is 1 for a term the text holds, 0 for one it lacks, and may be a
 * fraction (a related word).
 */
export function termCoverage(terms: readonly string[], weightOf: (term: string) => number, creditOf: (term: string) => number): number {
  let total = 0;
  let covered = 0;
  for (const t of terms) {
    const w = weightOf(t);
    total += w;
    covered += w * creditOf(t);
  }
  return covered / (total || 1);
}

/**
 * The question's terms that occur in `text`. Only tokens sharing their first two letters with a
 * question term are stemmed (Porter stemming keeps the first two), which makes this cheap.
 */
export function questionTermsIn(text: string, question: QuestionProfile, prefixes: ReadonlySet<string> = termPrefixes(question)): Set<string> {
  const out = new Set<string>();
  for (const token of tokenize(text)) {
    if (!prefixes.has(token.slice(0, 2)) || STOPWORDS.has(token)) continue;
    const t = stem(token);
    if (question.termSet.has(t)) out.add(t);
  }
  return out;
}

/** First two letters of each of the question's terms (see questionTermsIn). */
export function termPrefixes(question: QuestionProfile): Set<string> {
  return new Set(question.terms.map((t) => t.slice(0, 2)));
}

/** How a passage answers: see PassageEvidence. */
export interface PassageFit {
  /** Largest idf-weighted share of the question's terms in one sentence holding a candidate answer (title terms count too); 0 without one. */
  answer: number;
  /** Idf-weighted share of the question's terms anywhere in the passage. */
  coverage: number;
}

/**
 * The retriever's evidence for one question: for a passage, `answer` is the largest share of the
 * question's (idf-weighted) content words found in one sentence that also holds a candidate
 * answer of the asked type (the article's title counts towards that sentence), and `coverage`
 * the share found anywhere in the passage. Memoized per passage id; no I/O (`idf` is looked up
 * beforehand, sentences come from `sentencesOf`).
 */
export class PassageEvidence {
  private readonly question: QuestionProfile;
  private readonly prefixes: Set<string>;
  private readonly idf: ReadonlyMap<string, number>;
  private readonly sentencesOf: (passage: Passage) => readonly string[];
  private readonly cache = new Map<number, PassageFit>();

  constructor(question: string, idf: ReadonlyMap<string, number>, sentencesOf: (passage: Passage) => readonly string[]) {
    this.question = profileQuestion(question);
    this.prefixes = termPrefixes(this.question);
    this.idf = idf;
    this.sentencesOf = sentencesOf;
  }

  /** The evidence of a passage (with its article). */
  of(row: PassageRow): PassageFit {
    let out = this.cache.get(row.passage.id);
    if (!out) {
      out = this.score(row);
      this.cache.set(row.passage.id, out);
    }
    return out;
  }

  private score(row: PassageRow): PassageFit {
    const q = this.question;
    if (q.terms.length === 0) return { answer: 0, coverage: 0 };
    const share = (present: ReadonlySet<string>) => termCoverage(q.terms, (t) => this.idf.get(t) ?? 0, (t) => (present.has(t) ? 1 : 0));
    if (!q.type) return { answer: 0, coverage: share(questionTermsIn(row.passage.text, q, this.prefixes)) };
    const passageTerms = new Set<string>();
    const titleTerms = questionTermsIn(row.article.title, q, this.prefixes);
    let answer = 0;
    for (const sentence of this.sentencesOf(row.passage)) {
      const sentenceTerms = questionTermsIn(sentence, q, this.prefixes);
      for (const t of sentenceTerms) passageTerms.add(t);
      if (sentenceTerms.size > 0 && holdsAnswer(sentence, q)) {
        for (const t of titleTerms) sentenceTerms.add(t);
        answer = Math.max(answer, share(sentenceTerms));
      }
    }
    return { answer, coverage: share(passageTerms) };
  }
}

/** Passages whose sentence split is kept between searches. */
const SENTENCE_CACHE_SIZE = 20_000;

/**
 * The sentences of recently scored passages, kept across searches (passage ids are never reused
 * within a store); the oldest entry goes first once full.
 */
export class SentenceCache {
  private readonly entries = new Map<number, string[]>();
  private readonly capacity: number;

  constructor(capacity = SENTENCE_CACHE_SIZE) {
    this.capacity = capacity;
  }

  /** The sentences of a passage's text. */
  of(passage: Passage): string[] {
    let out = this.entries.get(passage.id);
    if (!out) {
      out = splitSentences(passage.text).map((sentence) => sentence.text);
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(passage.id, out);
    }
    return out;
  }

  /** How many passages' sentences are kept. */
  get size(): number {
    return this.entries.size;
  }
}

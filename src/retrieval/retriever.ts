import { contentTerms, splitSentences, stem, STOPWORDS, tokenize } from '../core/text.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { ArticleMeta, Passage, RetrievalMode, RetrievedPassage } from '../core/types.js';
import { answerTypeOf, hasAnswerCandidate, type AnswerType } from './answer-type.js';
import { RETRIEVAL_DEFAULTS } from './defaults.js';
import type { Embedder } from './embedder.js';
import { fuseScores, topArticles, vectorRegion, type ScoredId } from './fusion.js';
import type { RetrievalStore } from '../store/ports.js';
import { parseTimeWindow, queryTerms, type TimeWindow } from './query.js';

/** Per-search options; unset ones take the retriever's defaults. */
export interface SearchOptions {
  k?: number;
  mode?: RetrievalMode;
  /** "Now" for relative dates in the question. Default: the current time. */
  asOf?: Date;
  maxPerArticle?: number;
  /** A prior: article id -> weight multiplier (e.g. the articles a conversation has cited). */
  preferArticles?: ReadonlyMap<string, number>;
}

/** Passages found for a query, with what the search did. */
export interface SearchResult {
  passages: RetrievedPassage[];
  /** The mode actually used (vector search falls back to lexical when no embedder is loaded). */
  mode: RetrievalMode;
  /** Content words of the query used for lexical search. */
  terms: string[];
  window: TimeWindow | null;
}

/** Retriever defaults. */
export interface RetrieverOptions {
  k: number;
  mode: RetrievalMode;
  maxPerArticle: number;
  /** Weight of the vector list in hybrid fusion, 0-1 (see fusion.ts). Default: RETRIEVAL_DEFAULTS.hybridVectorWeight. */
  vectorWeight?: number;
  logger?: Logger;
}

/** Recency prior: articles published just before "now" weigh up to 1 + RECENCY_BOOST times more, halving about every RECENCY_DAYS·ln2 days. */
const RECENCY_BOOST = 1;
const RECENCY_DAYS = 7;
/** Articles dated more than a day after "now" cannot be what the asker read: weighed down, never dropped. */
const FUTURE_FACTOR = 0.7;
/** Extra weight for articles dated inside a window the question names ("this week", "in March"). */
const WINDOW_BOOST = 0.5;
/** Weight of answer evidence: a sentence that matches the question and holds a candidate answer of the asked type. */
const ANSWER_TYPE_WEIGHT = 0.5;
/** Candidates examined per list (at least; k·10 for a larger k). */
const MIN_DEPTH = RETRIEVAL_DEFAULTS.candidateDepth;
/** Candidates per list (by raw score) that are checked for answer evidence. */
const EVIDENCE_DEPTH = 50;
/** Top articles whose every passage is scored: the passage that answers is often not the one that matched best. */
const RESCORE_ARTICLES = 10;
/** Most passages read per re-scored article (long live blogs run to a hundred). */
const RESCORE_PASSAGES = 20;
/**
 * Weights of what makes one passage of a top article better than another: answer evidence,
 * share of the question's (idf-weighted) words, being the lede, and its own search score
 * relative to the article's best.
 */
const PASSAGE_EVIDENCE_WEIGHT = 1;
const PASSAGE_COVERAGE_WEIGHT = 1;
const LEDE_WEIGHT = 0.6;
const PASSAGE_MATCH_WEIGHT = 1;
/** Passages whose sentence split is kept between searches. */
const SENTENCE_CACHE_SIZE = 20_000;
/** Most query words matched on (see matchTerms). */
const MAX_MATCH_TERMS = 8;
/**
 * Two passages of different articles are the same story told twice (a wire story run by several
 * outlets under their own headlines) when more than this share of the shorter one's word triples
 * also occur in the other: the later one is left out of the results.
 */
const NEAR_DUPLICATE_SHARE = 0.5;
/** Besides the best fused articles, the first articles of each list are always re-scored. */
const LIST_ARTICLES_RESCORED = 3;

const DAY_MS = 86_400_000;

/** How much the article's date fits the question: the recency prior and the named window. */
export function timeFactor(date: string | null, asOf: Date, window: TimeWindow | null): number {
  if (!date) return 1;
  const published = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(published)) return 1;
  const ageDays = (asOf.getTime() - published) / DAY_MS;
  let factor = ageDays < -1 ? FUTURE_FACTOR : 1 + RECENCY_BOOST * Math.exp(-Math.max(0, ageDays) / RECENCY_DAYS);
  if (window && date >= window.from && date <= window.to) factor *= 1 + WINDOW_BOOST;
  return factor;
}

/**
 * The query words to match on: at most MAX_MATCH_TERMS, the rarest (highest idf) first. Each extra
 * common word makes the search score a large share of the store for little BM25 evidence; long
 * questions keep their most telling words.
 */
function matchTerms(terms: string[], idfOf: () => Map<string, number>): string[] {
  if (terms.length <= MAX_MATCH_TERMS) return terms;
  const idf = idfOf();
  const keep = new Set(
    terms
      .map((t) => ({ t, idf: idf.get(stem(t)) ?? 0 }))
      .sort((a, b) => b.idf - a.idf)
      .slice(0, MAX_MATCH_TERMS)
      .map((x) => x.t),
  );
  return terms.filter((t) => keep.has(t));
}

/** A title key for spotting the same story syndicated by several outlets. */
function storyKey(article: ArticleMeta): string {
  return article.title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '').slice(0, 60);
}

/** The word triples of a text, for near-duplicate checks. */
function shingles(text: string): Set<string> {
  const words = tokenize(text);
  const out = new Set<string>();
  for (let i = 0; i + 2 < words.length; i++) out.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  return out;
}

/** Share of the smaller set's members that are also in the other (0 when either is empty). */
function containment(a: Set<string>, b: Set<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if (small.size === 0) return 0;
  let shared = 0;
  for (const x of small) if (large.has(x)) shared++;
  return shared / small.size;
}

type PassageRow = { passage: Passage; article: ArticleMeta };

/**
 * Per-search, memoized: for a passage, `answer` is the largest share of the question's
 * (idf-weighted) content words found in one sentence that also holds a candidate answer of the
 * asked type (0 without one), and `coverage` the share found anywhere in the passage.
 */
class EvidenceScorer {
  private readonly type: AnswerType | null;
  private readonly qTerms: string[];
  private readonly qTermSet: Set<string>;
  /** First two letters of each query stem: Porter stemming keeps them, so other tokens need no stemming. */
  private readonly qPrefixes: Set<string>;
  private readonly qTokens: Set<string>;
  private readonly idfOf: () => Map<string, number>;
  private readonly sentencesOf: (passage: Passage) => string[];
  private readonly cache = new Map<number, { answer: number; coverage: number }>();

  constructor(query: string, idfOf: () => Map<string, number>, sentencesOf: (passage: Passage) => string[]) {
    this.type = answerTypeOf(query);
    this.qTerms = [...new Set(contentTerms(query))];
    this.qTermSet = new Set(this.qTerms);
    this.qPrefixes = new Set(this.qTerms.map((t) => t.slice(0, 2)));
    this.qTokens = new Set(tokenize(query));
    this.idfOf = idfOf;
    this.sentencesOf = sentencesOf;
  }

  of(id: number, row: PassageRow): { answer: number; coverage: number } {
    let out = this.cache.get(id);
    if (!out) {
      out = this.score(row);
      this.cache.set(id, out);
    }
    return out;
  }

  /** The query's content terms that occur in `text`. */
  private termsIn(text: string): Set<string> {
    const out = new Set<string>();
    for (const token of tokenize(text)) {
      if (!this.qPrefixes.has(token.slice(0, 2)) || STOPWORDS.has(token)) continue;
      const t = stem(token);
      if (this.qTermSet.has(t)) out.add(t);
    }
    return out;
  }

  private score(row: PassageRow): { answer: number; coverage: number } {
    if (this.qTerms.length === 0) return { answer: 0, coverage: 0 };
    const idf = this.idfOf();
    const total = this.qTerms.reduce((sum, t) => sum + (idf.get(t) ?? 0), 0) || 1;
    const share = (terms: Set<string>) => this.qTerms.reduce((sum, t) => sum + (terms.has(t) ? (idf.get(t) ?? 0) : 0), 0) / total;
    if (!this.type) return { answer: 0, coverage: share(this.termsIn(row.passage.text)) };
    const type = this.type;
    const passageTerms = new Set<string>();
    const titleTerms = this.termsIn(row.article.title);
    let answer = 0;
    for (const sentence of this.sentencesOf(row.passage)) {
      const sentenceTerms = this.termsIn(sentence);
      for (const t of sentenceTerms) passageTerms.add(t);
      if (sentenceTerms.size > 0 && hasAnswerCandidate(sentence, type, this.qTokens)) {
        for (const t of titleTerms) sentenceTerms.add(t);
        answer = Math.max(answer, share(sentenceTerms));
      }
    }
    return { answer, coverage: share(passageTerms) };
  }
}

/**
 * Hybrid retrieval: BM25 over passages (title as its own field) and HNSW nearest neighbours,
 * fused by a convex combination of per-query normalized scores (fusion.ts), weighed by the
 * article's date (a soft recency prior relative to `asOf`, plus the window the question names) and
 * by answer evidence (a sentence that covers the question and holds an answer of the asked type);
 * then every passage of the best articles re-scored; at most a few passages per article and one
 * copy of a syndicated story (the same headline, or mostly the same text under another one).
 */
export class Retriever {
  private readonly store: RetrievalStore;
  private readonly embedder: Embedder | null;
  private readonly defaults: RetrieverOptions;
  private readonly logger: Logger;
  private readonly vectorWeight: number;
  /** Sentences of recently scored passages (passage ids are never reused within a store). */
  private readonly sentenceCache = new Map<number, string[]>();

  constructor(store: RetrievalStore, embedder: Embedder | null, defaults: RetrieverOptions) {
    this.store = store;
    this.embedder = embedder;
    this.defaults = defaults;
    this.logger = defaults.logger ?? silentLogger;
    this.vectorWeight = defaults.vectorWeight ?? RETRIEVAL_DEFAULTS.hybridVectorWeight;
  }

  /** True when vector search is possible (an embedder and stored vectors). */
  get hasVectors(): boolean {
    return this.embedder !== null && this.store.manifest.dimension !== null;
  }

  /** Finds the passages that best match a query. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const k = options.k ?? this.defaults.k;
    const maxPerArticle = options.maxPerArticle ?? this.defaults.maxPerArticle;
    let mode = options.mode ?? this.defaults.mode;
    if (mode !== 'lexical' && !this.hasVectors) mode = 'lexical';
    const asOf = options.asOf ?? new Date();
    const window = parseTimeWindow(query, asOf);
    const terms = queryTerms(query);
    const depth = Math.max(MIN_DEPTH, k * 10);
    // Start embedding the query first: the model runs while the store is asked.
    const queryEmbedding = mode !== 'lexical' && this.embedder ? this.embedder.embed([query]) : null;
    queryEmbedding?.catch(() => {}); // awaited below
    // Inverse document frequencies of the query's words, looked up once.
    const idfs = await this.store.termIdf(contentTerms(query));
    const idf = () => idfs;
    const match = mode !== 'vector' && terms.length ? matchTerms(terms, idf) : [];
    const lexical: ScoredId[] = match.length ? await this.store.lexicalSearch(match, depth) : [];
    const queryVector = queryEmbedding ? (await queryEmbedding)[0] : undefined;
    const vector: ScoredId[] = queryVector ? (await this.store.vectorSearch(queryVector, depth)).map((h) => ({ id: h.id, score: h.similarity })) : [];
    const candidateIds = [...new Set([...lexical.map((h) => h.id), ...vector.map((h) => h.id)])];
    if (candidateIds.length === 0) return { passages: [], mode, terms, window };

    const rows = new Map((await this.store.getPassages(candidateIds)).map((r) => [r.passage.id, r]));
    const evidence = new EvidenceScorer(query, idf, (passage) => this.sentencesOf(passage));
    // Answer evidence is worth computing only for candidates near the top of a list.
    const contenders = new Set([...lexical.slice(0, EVIDENCE_DEPTH), ...vector.slice(0, EVIDENCE_DEPTH)].map((h) => h.id));
    const prior = (id: number) => {
      const row = rows.get(id);
      if (!row) return 0;
      const answerEvidence = contenders.has(id) ? evidence.of(id, row).answer : 0;
      return timeFactor(row.article.date, asOf, window) * (options.preferArticles?.get(row.article.id) ?? 1) * (1 + ANSWER_TYPE_WEIGHT * answerEvidence);
    };
    const bm25 = new Map(lexical.map((h) => [h.id, h.score]));
    const similarity = new Map(vector.map((h) => [h.id, h.score]));
    let fused: Map<number, number>;
    const alsoRescored: string[] = [];
    if (lexical.length > 0 && vector.length > 0) {
      // Hybrid: a candidate gets credit from each list it is in (see fusion.ts).
      const region = vectorRegion(vector.length, this.store.indexedVectors ?? vector.length);
      const lists = { bm25, similarity, bestBm25: lexical[0]!.score, bestSimilarity: vector[0]!.score, lastSimilarity: vector[region - 1]!.score };
      fused = fuseScores(candidateIds, lists, this.vectorWeight, prior);
      // The best articles of each list are re-scored whatever the fusion made of them.
      const articleOf = (id: number) => rows.get(id)?.article.id;
      alsoRescored.push(...topArticles(lexical, articleOf, LIST_ARTICLES_RESCORED), ...topArticles(vector, articleOf, LIST_ARTICLES_RESCORED));
    } else {
      // One list (lexical mode, vector mode, no query words or no vectors): its score times the prior.
      fused = new Map([...lexical, ...vector].map((h) => [h.id, h.score * prior(h.id)]));
    }
    const rankOf = (list: ScoredId[]) => new Map([...list].map((h) => ({ id: h.id, score: h.score * prior(h.id) })).sort((a, b) => b.score - a.score || a.id - b.id).map((h, i) => [h.id, i + 1]));
    const lexicalRank = rankOf(lexical);
    const vectorRank = rankOf(vector);
    await this.rescoreTopArticles(fused, rows, evidence, alsoRescored);

    const ordered = [...fused.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const perArticle = new Map<string, number>();
    const stories = new Map<string, string>();
    const chosen: { articleId: string; shingles: Set<string> }[] = [];
    const passages: RetrievedPassage[] = [];
    for (const [id, score] of ordered) {
      const row = rows.get(id);
      if (!row) continue;
      const n = perArticle.get(row.article.id) ?? 0;
      if (n >= maxPerArticle) continue;
      const story = storyKey(row.article);
      const owner = stories.get(story);
      if (owner !== undefined && owner !== row.article.id) continue;
      const own = shingles(row.passage.text);
      if (chosen.some((c) => c.articleId !== row.article.id && containment(own, c.shingles) > NEAR_DUPLICATE_SHARE)) continue;
      chosen.push({ articleId: row.article.id, shingles: own });
      stories.set(story, row.article.id);
      perArticle.set(row.article.id, n + 1);
      const out: RetrievedPassage = { passage: row.passage, article: row.article, score };
      const [lexicalAt, vectorAt, bm25Of, similarityOf] = [lexicalRank.get(id), vectorRank.get(id), bm25.get(id), similarity.get(id)];
      if (lexicalAt !== undefined) out.lexicalRank = lexicalAt;
      if (vectorAt !== undefined) out.vectorRank = vectorAt;
      if (bm25Of !== undefined) out.lexicalScore = bm25Of;
      if (similarityOf !== undefined) out.vectorScore = similarityOf;
      passages.push(out);
      if (passages.length >= k) break;
    }
    this.logger.debug('retrieval', { query, mode, terms: terms.join(' '), window: window?.phrase, found: passages.length });
    return { passages, mode, terms, window };
  }

  /**
   * Scores every passage of the top articles (the best RESCORE_ARTICLES by fused score, plus
   * `alsoArticles`): article score (its best passage) times how well the passage itself answers
   * (evidence, coverage, lede, own match). Passages of those articles that were not candidates
   * are added to `rows` and `fused`.
   */
  private async rescoreTopArticles(fused: Map<number, number>, rows: Map<number, PassageRow>, evidence: EvidenceScorer, alsoArticles: string[]): Promise<void> {
    const articleScore = new Map<string, number>();
    const pending = new Set(alsoArticles);
    for (const [id, score] of [...fused].sort((a, b) => b[1] - a[1] || a[0] - b[0])) {
      const row = rows.get(id);
      // An article without a positive score has nothing to scale its passages' fit by.
      if (!row || score <= 0 || articleScore.has(row.article.id)) continue;
      if (articleScore.size >= RESCORE_ARTICLES && !pending.has(row.article.id)) continue;
      articleScore.set(row.article.id, score);
      pending.delete(row.article.id);
      if (articleScore.size >= RESCORE_ARTICLES && pending.size === 0) break;
    }
    if (articleScore.size === 0) return;
    const added = (await this.store.passageIdsOf([...articleScore.keys()], RESCORE_PASSAGES)).filter((id) => !rows.has(id));
    for (const row of await this.store.getPassages(added)) rows.set(row.passage.id, row);
    for (const [id, row] of rows) {
      const best = articleScore.get(row.article.id);
      if (best === undefined) continue;
      const { answer, coverage } = evidence.of(id, row);
      const fit =
        1 +
        PASSAGE_EVIDENCE_WEIGHT * answer +
        PASSAGE_COVERAGE_WEIGHT * coverage +
        LEDE_WEIGHT * (row.passage.position === 0 ? 1 : 0) +
        PASSAGE_MATCH_WEIGHT * ((fused.get(id) ?? 0) / best);
      fused.set(id, best * fit);
    }
  }

  private sentencesOf(passage: Passage): string[] {
    let out = this.sentenceCache.get(passage.id);
    if (!out) {
      out = splitSentences(passage.text).map((sentence) => sentence.text);
      if (this.sentenceCache.size >= SENTENCE_CACHE_SIZE) this.sentenceCache.delete(this.sentenceCache.keys().next().value!);
      this.sentenceCache.set(passage.id, out);
    }
    return out;
  }

  /** Most recent articles, or the most recent of those matching a topic. */
  async latest(topic: string | undefined, limit: number): Promise<ArticleMeta[]> {
    if (!topic?.trim()) return this.store.latestArticles(limit);
    const { passages } = await this.search(topic, { k: 50, maxPerArticle: 1, mode: 'lexical' });
    return passages
      .map((p) => p.article)
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''))
      .slice(0, limit);
  }
}

import { silentLogger, type Logger } from '../core/logger.js';
import type { ArticleMeta, RetrievalMode, RetrievedPassage } from '../core/types.js';
import type { RetrievalStore, ScopeFilter } from '../store/ports.js';
import { addArticlePassages, findCandidates } from './candidates.js';
import { pickResults } from './dedupe.js';
import type { RetrievalSettings } from '../config/defaults.js';
import type { Embedder } from '../core/embedder.js';
import { PassageEvidence, SentenceCache } from './evidence.js';
import { fuseLists, ranksAfterPrior } from './fusion.js';
import { articlesToRescore, listLeaders, rescorePassages, RESCORE_PASSAGES } from './passage-choice.js';
import { candidatePrior, evidenceContenders } from './prior.js';
import { queryTerms } from './query.js';
import { parseTimeWindow, recencyAnchor, type TimeWindow } from './time.js';

/** Candidates taken from each list (BM25 and HNSW) per question (at least; k·10 for a larger k). */
const CANDIDATE_DEPTH = 100;

/** The retrieval settings the Retriever reads (efSearch belongs to the store's vector index). */
export type RankingSettings = Omit<RetrievalSettings, 'efSearch'>;

/** Per-search options; unset ones take the retriever's settings. */
export interface SearchOptions {
  k?: number;
  mode?: RetrievalMode;
  /** "Now" for relative dates in the question. Default: the current time. */
  asOf?: Date;
  /**
   * The news as it stood then: articles dated after it are weighed down as not yet published
   * (default `asOf`). The eval's --asked-later asks a question later with the news of its day.
   */
  newsUntil?: Date;
  maxPerArticle?: number;
  /** A prior: article id -> weight multiplier (e.g. the articles a conversation has cited). */
  preferArticles?: ReadonlyMap<string, number>;
  /**
   * The scopes whose articles may be found (visibleScopes: global and the asking server's own, or
   * global only in DMs), filtered inside both searches; undefined: every scope (operator tools).
   */
  scopes?: ScopeFilter;
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

/**
 * Hybrid retrieval, in stages (each its own module, pure but the first):
 * 1. candidates (candidates.ts): BM25 over the question's rarest words and HNSW nearest
 *    neighbours, from the store;
 * 2. prior (prior.ts, time.ts, evidence.ts): each candidate weighed by its article's date (a soft
 *    recency prior relative to `asOf`, plus the window the question names), the conversation's
 *    cited articles, and answer evidence (a sentence that covers the question and holds an answer
 *    of the asked type);
 * 3. fusion (fusion.ts): a convex combination of per-query normalized scores, times the prior;
 * 4. passage choice (passage-choice.ts): every passage of the best articles re-scored;
 * 5. de-duplication (dedupe.ts): at most a few passages per article and one copy of a syndicated
 *    story (the same headline, or mostly the same text under another one).
 */
export class Retriever {
  private readonly store: RetrievalStore;
  private readonly embedder: Embedder | null;
  private readonly settings: RankingSettings;
  private readonly logger: Logger;
  /** Sentences of recently scored passages, kept across searches. */
  private readonly sentences = new SentenceCache();

  /**
   * Built by app/answering.ts (buildAnswering), which fills `settings` from DEFAULTS.retrieval.
   * efSearch is not among them: it is the store's vector index setting, given where the store is opened.
   */
  constructor(store: RetrievalStore, embedder: Embedder | null, settings: RankingSettings, logger: Logger = silentLogger) {
    this.store = store;
    this.embedder = embedder;
    this.settings = settings;
    this.logger = logger;
  }

  /** True when vector search is possible (an embedder and stored vectors). */
  get hasVectors(): boolean {
    return this.embedder !== null && this.store.manifest.dimension !== null;
  }

  /** Finds the passages that best match a query. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const k = options.k ?? this.settings.topK;
    const maxPerArticle = options.maxPerArticle ?? this.settings.maxPassagesPerArticle;
    let mode = options.mode ?? this.settings.mode;
    if (mode !== 'lexical' && !this.hasVectors) mode = 'lexical';
    const asOf = options.asOf ?? new Date();
    const window = parseTimeWindow(query, asOf);
    const terms = queryTerms(query);
    const depth = Math.max(CANDIDATE_DEPTH, k * 10);

    const { lexical, vector, idf, rows, storedVectors } = await findCandidates(this.store, this.embedder, query, { mode, terms, depth, scopes: options.scopes });
    if (lexical.length === 0 && vector.length === 0) return { passages: [], mode, terms, window };

    const evidence = new PassageEvidence(query, idf, (passage) => this.sentences.of(passage));
    const evidenceOf = evidence.of.bind(evidence);
    const newsUntil = options.newsUntil ?? asOf;
    const anchor = recencyAnchor(lexical, vector, (id) => rows.get(id)?.article.date, asOf, window, newsUntil);
    const prior = candidatePrior({ rows, asOf, anchor, newsUntil, window, preferArticles: options.preferArticles, contenders: evidenceContenders(lexical, vector), evidence: evidenceOf });
    const fused = fuseLists(lexical, vector, this.settings.vectorWeight, storedVectors, prior);
    const lexicalRank = ranksAfterPrior(lexical, prior);
    const vectorRank = ranksAfterPrior(vector, prior);

    const articleOf = (id: number) => rows.get(id)?.article.id;
    const articleScore = articlesToRescore(fused, articleOf, listLeaders(lexical, vector, articleOf));
    await addArticlePassages(this.store, rows, [...articleScore.keys()], RESCORE_PASSAGES);
    const scores = rescorePassages(fused, rows, articleScore, evidenceOf);

    const bm25 = new Map(lexical.map((h) => [h.id, h.score]));
    const similarity = new Map(vector.map((h) => [h.id, h.score]));
    const passages = pickResults(scores, rows, { k, maxPerArticle }).map(({ id, score, row }) => {
      const out: RetrievedPassage = { passage: row.passage, article: row.article, score };
      const [lexicalAt, vectorAt, bm25Of, similarityOf] = [lexicalRank.get(id), vectorRank.get(id), bm25.get(id), similarity.get(id)];
      if (lexicalAt !== undefined) out.lexicalRank = lexicalAt;
      if (vectorAt !== undefined) out.vectorRank = vectorAt;
      if (bm25Of !== undefined) out.lexicalScore = bm25Of;
      if (similarityOf !== undefined) out.vectorScore = similarityOf;
      return out;
    });
    this.logger.debug('retrieval', { query, mode, terms: terms.join(' '), window: window?.phrase, found: passages.length });
    return { passages, mode, terms, window };
  }

  /** Most recent articles, or the most recent of those matching a topic (of `scopes`: see SearchOptions.scopes). */
  async latest(topic: string | undefined, limit: number, scopes?: ScopeFilter): Promise<ArticleMeta[]> {
    if (!topic?.trim()) return this.store.latestArticles(limit, scopes);
    const { passages } = await this.search(topic, { k: 50, maxPerArticle: 1, mode: 'lexical', scopes });
    return passages
      .map((p) => p.article)
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''))
      .slice(0, limit);
  }
}

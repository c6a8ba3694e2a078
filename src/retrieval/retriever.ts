import { silentLogger, type Logger } from '../core/logger.js';
import type { ArticleMeta, RetrievalMode, RetrievedPassage } from '../core/types.js';
import type { Embedder } from './embedder.js';
import { ftsQuery, parseTimeWindow, queryTerms, type TimeWindow } from './query.js';
import type { NewsStore } from './store.js';

/** Per-search options; unset ones take the retriever's defaults. */
export interface SearchOptions {
  k?: number;
  mode?: RetrievalMode;
  /** "Now" for relative dates in the question. Default: the current time. */
  asOf?: Date;
  maxPerArticle?: number;
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
  logger?: Logger;
}

/** Reciprocal-rank-fusion constant: higher flattens the difference between ranks. */
const RRF_K = 60;
/** Boost for passages of articles dated inside the window the question names. */
const WINDOW_BOOST = 0.25;

/**
 * Hybrid retrieval: BM25 over passages (title weighted) and HNSW nearest neighbours over
 * passage vectors, fused by reciprocal rank, softly boosted by the question's time window,
 * with at most a few passages per article.
 */
export class Retriever {
  private readonly store: NewsStore;
  private readonly embedder: Embedder | null;
  private readonly defaults: RetrieverOptions;
  private readonly logger: Logger;

  constructor(store: NewsStore, embedder: Embedder | null, defaults: RetrieverOptions) {
    this.store = store;
    this.embedder = embedder;
    this.defaults = defaults;
    this.logger = defaults.logger ?? silentLogger;
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
    const window = parseTimeWindow(query, options.asOf ?? new Date());
    const terms = queryTerms(query);
    const depth = Math.max(50, k * 10);

    const fused = new Map<number, { score: number; lexicalRank?: number; vectorRank?: number; lexicalScore?: number; vectorScore?: number }>();
    const entry = (id: number) => {
      let e = fused.get(id);
      if (!e) fused.set(id, (e = { score: 0 }));
      return e;
    };
    if (mode !== 'vector' && terms.length) {
      const hits = this.store.lexicalSearch(ftsQuery(terms), depth);
      hits.forEach((hit, i) => {
        const e = entry(hit.id);
        e.score += 1 / (RRF_K + i + 1);
        e.lexicalRank = i + 1;
        e.lexicalScore = hit.score;
      });
    }
    if (mode !== 'lexical' && this.embedder) {
      const [vector] = await this.embedder.embed([query]);
      if (vector) {
        const hits = this.store.vectorSearch(vector, depth);
        hits.forEach((hit, i) => {
          const e = entry(hit.id);
          e.score += 1 / (RRF_K + i + 1);
          e.vectorRank = i + 1;
          e.vectorScore = hit.similarity;
        });
      }
    }
    if (fused.size === 0) return { passages: [], mode, terms, window };

    const rows = this.store.getPassages([...fused.keys()]);
    const scored: RetrievedPassage[] = rows.map(({ passage, article }) => {
      const e = fused.get(passage.id)!;
      let score = e.score;
      if (window && article.date && article.date >= window.from && article.date <= window.to) score *= 1 + WINDOW_BOOST;
      const out: RetrievedPassage = { passage, article, score };
      if (e.lexicalRank !== undefined) out.lexicalRank = e.lexicalRank;
      if (e.vectorRank !== undefined) out.vectorRank = e.vectorRank;
      if (e.lexicalScore !== undefined) out.lexicalScore = e.lexicalScore;
      if (e.vectorScore !== undefined) out.vectorScore = e.vectorScore;
      return out;
    });
    scored.sort((a, b) => b.score - a.score || a.passage.id - b.passage.id);

    const perArticle = new Map<string, number>();
    const passages: RetrievedPassage[] = [];
    for (const item of scored) {
      const n = perArticle.get(item.article.id) ?? 0;
      if (n >= maxPerArticle) continue;
      perArticle.set(item.article.id, n + 1);
      passages.push(item);
      if (passages.length >= k) break;
    }
    this.logger.debug('retrieval', { query, mode, terms: terms.join(' '), window: window?.phrase, found: passages.length });
    return { passages, mode, terms, window };
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

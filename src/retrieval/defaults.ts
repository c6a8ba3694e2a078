import type { RetrievalMode } from '../core/types.js';

/**
 * The retrieval defaults, in one place: the config's defaults (RETRIEVAL_MODE, TOP_K,
 * MAX_PASSAGES_PER_ARTICLE, HNSW_EF_SEARCH, HYBRID_VECTOR_WEIGHT) come from here, and every
 * composition (the bot, the console, the CLIs, the eval, the bench and the tests, all through
 * app/answering.ts) fills what it does not set from here too. Changing one here changes it for
 * all of them, so the figures the eval and bench print are the bot's.
 */
export const RETRIEVAL_DEFAULTS = {
  mode: 'hybrid',
  /** Passages returned per question. */
  topK: 5,
  /** Most passages of one article among them. */
  maxPassagesPerArticle: 2,
  /** HNSW query breadth. */
  efSearch: 256,
  /**
   * Weight of the vector list in hybrid fusion (0: lexical order, 1: vector order); see fusion.ts.
   * Fitted on the first half of rtqa-2024 with GloVe, checked on the second (README).
   */
  vectorWeight: 0.3,
  /** Candidates taken from each list (BM25 and HNSW) per question (at least; k·10 for a larger k). */
  candidateDepth: 100,
} as const;

/** The retrieval settings an operator can change (config.retrieval has exactly these). */
export interface RetrievalSettings {
  mode: RetrievalMode;
  topK: number;
  maxPassagesPerArticle: number;
  efSearch: number;
  /** Weight of the vector list in hybrid fusion, 0-1. */
  vectorWeight: number;
}

/** Settings with every one not given (or given as undefined) taken from RETRIEVAL_DEFAULTS. */
export function retrievalSettings(given: { [K in keyof RetrievalSettings]?: RetrievalSettings[K] | undefined } = {}): RetrievalSettings {
  return {
    mode: given.mode ?? RETRIEVAL_DEFAULTS.mode,
    topK: given.topK ?? RETRIEVAL_DEFAULTS.topK,
    maxPassagesPerArticle: given.maxPassagesPerArticle ?? RETRIEVAL_DEFAULTS.maxPassagesPerArticle,
    efSearch: given.efSearch ?? RETRIEVAL_DEFAULTS.efSearch,
    vectorWeight: given.vectorWeight ?? RETRIEVAL_DEFAULTS.vectorWeight,
  };
}

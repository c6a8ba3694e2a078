/**
 * The retrieval defaults, in one place: the config's defaults (TOP_K, MAX_PASSAGES_PER_ARTICLE,
 * HNSW_EF_SEARCH, RETRIEVAL_MODE, HYBRID_VECTOR_WEIGHT), the store's HNSW breadth and the
 * retriever's fusion weight when none is given. The eval, the bench and the bot all take their
 * settings from the config, so changing one here changes it for all of them and the figures the
 * eval and bench print are the bot's.
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
  hybridVectorWeight: 0.3,
  /** Candidates taken from each list (BM25 and HNSW) per question. */
  candidateDepth: 100,
} as const;

/**
 * The retrieval defaults, in one place: the config's defaults (TOP_K, MAX_PASSAGES_PER_ARTICLE,
 * HNSW_EF_SEARCH, RETRIEVAL_MODE), the store's HNSW breadth when none is given, and what the
 * eval, the bench and the bot search with. Changing one here changes it for all of them, so the
 * figures the eval and bench print are the bot's.
 */
export const RETRIEVAL_DEFAULTS = {
  mode: 'hybrid',
  /** Passages returned per question. */
  topK: 5,
  /** Most passages of one article among them. */
  maxPassagesPerArticle: 2,
  /** HNSW query breadth. */
  efSearch: 256,
  /** Weight of the vector list in hybrid fusion (0: lexical order, 1: vector order); see fusion.ts. */
  hybridVectorWeight: 0.4,
  /** Candidates taken from each list (BM25 and HNSW) per question. */
  candidateDepth: 100,
} as const;

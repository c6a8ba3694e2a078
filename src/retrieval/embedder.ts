/** The Embedder port, defined in src/core/embedder.ts (ingest and retrieval both use it); re-exported here for this folder's callers. */
export type { Embedder } from '../core/embedder.js';

import { contentTerms } from '../core/text.js';
import type { RetrievalMode } from '../core/types.js';
import type { PassageRow, RetrievalStore, ScopeFilter } from '../store/ports.js';
import type { Embedder } from '../core/embedder.js';
import type { ScoredId } from './fusion.js';
import { matchTerms } from './query.js';

/*
 * The candidates stage: the only one that talks to the store (through the RetrievalStore port).
 * It fetches the two lists (BM25 over the question's rarest words, nearest passages by vector),
 * the term statistics the evidence stage weighs words by, and the passages with their articles.
 */

/** What the store gave for one question. */
export interface Candidates {
  /** BM25 list, best first. */
  lexical: ScoredId[];
  /** Vector list (cosine similarity), best first. */
  vector: ScoredId[];
  /** Idf of the question's content terms (stems). */
  idf: Map<string, number>;
  /** The candidates' passages with their articles, by passage id (lexical list first). */
  rows: Map<number, PassageRow>;
  /** Vectors in the store's index (the vector list's length when unknown): sizes the model's top region. */
  storedVectors: number;
}

/**
 * Fetches the candidates of a question: its idf, the BM25 list over `matchTerms` of its query
 * words (not in vector mode), and the vector list of its embedding (not in lexical mode), `depth`
 * each, then their passages. The question is embedded while the store is asked.
 */
export async function findCandidates(
  store: RetrievalStore,
  embedder: Embedder | null,
  query: string,
  plan: { mode: RetrievalMode; terms: readonly string[]; depth: number; scopes?: ScopeFilter },
): Promise<Candidates> {
  const queryEmbedding = plan.mode !== 'lexical' && embedder ? embedder.embed([query]) : null;
  queryEmbedding?.catch(() => {}); // awaited below
  const idf = await store.termIdf(contentTerms(query));
  const match = plan.mode !== 'vector' && plan.terms.length ? matchTerms(plan.terms, idf) : [];
  const lexical: ScoredId[] = match.length ? await store.lexicalSearch(match, plan.depth, undefined, plan.scopes) : [];
  const queryVector = queryEmbedding ? (await queryEmbedding)[0] : undefined;
  const vector: ScoredId[] = queryVector ? (await store.vectorSearch(queryVector, plan.depth, plan.scopes)).map((h) => ({ id: h.id, score: h.similarity })) : [];
  const ids = [...new Set([...lexical.map((h) => h.id), ...vector.map((h) => h.id)])];
  const rows = new Map(ids.length ? (await store.getPassages(ids)).map((r) => [r.passage.id, r] as const) : []);
  return { lexical, vector, idf, rows, storedVectors: store.indexedVectors ?? vector.length };
}

/**
 * Adds to `rows` the passages of the given articles that it lacks (at most `perArticle` of each,
 * in position order), for re-scoring every passage of the best articles.
 */
export async function addArticlePassages(store: RetrievalStore, rows: Map<number, PassageRow>, articleIds: readonly string[], perArticle: number): Promise<void> {
  if (articleIds.length === 0) return;
  const missing = (await store.passageIdsOf(articleIds, perArticle)).filter((id) => !rows.has(id));
  for (const row of await store.getPassages(missing)) rows.set(row.passage.id, row);
}

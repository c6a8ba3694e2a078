import type { ArticleMeta } from '../../src/core/types.js';
import type { LexicalHit, PassageRow, RetrievalStore, VectorHit } from '../../src/store/ports.js';

/** A RetrievalStore over fixed lists that records what it was asked. */
export function fakeRetrievalStore(options: { lexical?: LexicalHit[]; vector?: VectorHit[]; rows?: PassageRow[]; idf?: Map<string, number>; indexed?: number | null }) {
  const calls: { method: string; args: unknown[] }[] = [];
  const rows = new Map((options.rows ?? []).map((r) => [r.passage.id, r]));
  const record = (method: string, ...args: unknown[]) => calls.push({ method, args });
  const store: RetrievalStore = {
    manifest: { schemaVersion: 1, embeddingModel: 'test', dimension: 2, chunkerVersion: 2 },
    indexedVectors: options.indexed === undefined ? null : options.indexed,
    lexicalSearch: (terms, limit) => (record('lexicalSearch', [...terms], limit), Promise.resolve((options.lexical ?? []).slice(0, limit))),
    vectorSearch: (vector, limit) => (record('vectorSearch', [...vector], limit), Promise.resolve((options.vector ?? []).slice(0, limit))),
    termIdf: (stems) => (record('termIdf', [...stems]), Promise.resolve(new Map([...stems].map((s) => [s, options.idf?.get(s) ?? 1])))),
    getPassages: (ids) => (record('getPassages', [...ids]), Promise.resolve(ids.flatMap((id) => (rows.has(id) ? [rows.get(id)!] : [])))),
    passageIdsOf: (articleIds, perArticle) => {
      record('passageIdsOf', [...articleIds], perArticle);
      return Promise.resolve(articleIds.flatMap((a) => [...rows.values()].filter((r) => r.article.id === a).map((r) => r.passage.id).slice(0, perArticle)));
    },
    latestArticles: () => Promise.resolve([] as ArticleMeta[]),
    articleText: () => Promise.resolve(undefined),
  };
  return { store, calls, methods: () => calls.map((c) => c.method) };
}

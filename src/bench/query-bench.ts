import { buildAnswering, type AnsweringOptions } from '../app/answering.js';
import type { RetrievalMode } from '../core/types.js';
import type { Embedder } from '../core/embedder.js';
import { retrievalSettings } from '../config/defaults.js';
import { openNewsStore, type DatabaseChoice } from '../app/root.js';
import { chunkText, embeddingText } from '../ingest/chunker.js';
import { scopedArticleId } from '../ingest/pipeline.js';
import { visibleScopes, type NewsStore, type ScopeFilter } from '../store/ports.js';

/** Latency percentiles in ms. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Query-side figures of a store. */
export interface QueryBenchResult {
  /** Opening the database plus loading (and reconciling) the vector index. */
  openStoreMs: number;
  indexLoadMs: number;
  latency: Partial<Record<RetrievalMode, Percentiles>>;
  hnswRecallAt10: number | null;
  /** The same with stored passage vectors as queries (in-distribution queries). */
  hnswRecallAt10PassageQueries: number | null;
  efSearch: number;
  rssMb: number;
  /** Servers with articles of their own beside the global ones (0: none), and how many each. */
  servers: number;
  serverArticles: number;
}

/** The id of the i-th bench server (a Discord-like snowflake). */
export function benchServerId(i: number): string {
  return String(900_000_000_000_000_000n + BigInt(i));
}

/**
 * Gives `servers` bench servers `perServer` articles of their own each, as copies of the store's
 * global articles (spread over the store, a different slice per server) under the server's
 * scope, with passages (and vectors when an embedder is given). Servers that already have their
 * articles are left as they are, so a kept store is filled once.
 */
export async function addServerArticles(store: NewsStore, embedder: Embedder | null, servers: number, perServer: number): Promise<void> {
  if (servers <= 0 || perServer <= 0) return;
  const global = (await store.listArticles(['global'], 1_000_000, 0)).items;
  const step = Math.max(1, Math.floor(global.length / (servers * perServer)));
  for (let s = 0; s < servers; s++) {
    const scope = benchServerId(s);
    if ((await store.listArticles([scope], 1, 0)).total >= perServer) continue;
    for (let i = 0; i < perServer; i += 25) {
      const batch = [];
      for (let j = i; j < Math.min(perServer, i + 25); j++) {
        const source = global[((s * perServer + j) * step) % global.length]!;
        const meta = (await store.getArticle(source.id))!;
        const text = (await store.articleText(source.id))!;
        const chunks = chunkText(text);
        const vectors = embedder ? await embedder.embed(chunks.map((c) => embeddingText(meta.title, c.text))) : [];
        batch.push({
          article: { ...meta, text, id: scopedArticleId(scope, meta.id), url: meta.url ? `${meta.url}#server-${s}` : null, contentHash: `${meta.contentHash}-server-${s}` },
          passages: chunks.map((c, k) => ({ position: c.position, start: c.start, end: c.end, text: c.text, ...(vectors[k] ? { vector: vectors[k] } : {}) })),
          scope,
          addedBy: '900000000000000000',
        });
      }
      await store.putArticles(batch);
    }
  }
  await store.afterIngest({ largeChange: true });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, i)]! * 10) / 10;
}

/**
 * Opens a store, times it, then answers each question (retrieval plus extractive answer, warm,
 * in each mode) and measures HNSW recall@10 against exact search over the stored vectors.
 */
export async function benchQueries(
  where: { database: DatabaseChoice; dataDir: string },
  embedder: Embedder | null,
  questions: { question: string; date: string }[],
  options: {
    modes: RetrievalMode[];
    retrieval: AnsweringOptions['retrieval'];
    recallQueries?: number;
    /** Give this many servers `serverArticles` articles of their own first, and ask as the first of them (global + its own). */
    servers?: number;
    serverArticles?: number;
  },
): Promise<QueryBenchResult> {
  const settings = retrievalSettings(options.retrieval);
  const servers = options.servers ?? 0;
  const serverArticles = options.serverArticles ?? 0;
  if (servers > 0) {
    const filling = await openNewsStore({ ...where, embedding: embedder, efSearch: settings.efSearch });
    await addServerArticles(filling, embedder, servers, serverArticles);
    await filling.close();
  }
  // Asked from a server (global + its own articles), or without a filter when there are no servers.
  const scopes: ScopeFilter = servers > 0 ? visibleScopes(benchServerId(0)) : undefined;
  const t0 = performance.now();
  const store = await openNewsStore({ ...where, embedding: embedder, efSearch: settings.efSearch });
  const t1 = performance.now();
  await store.openVectorIndex();
  const t2 = performance.now();
  const latency: QueryBenchResult['latency'] = {};
  for (const mode of options.modes) {
    if (mode !== 'lexical' && !embedder) continue;
    const { answers } = buildAnswering({ store, embedder, retrieval: { ...settings, mode } });
    for (const q of questions.slice(0, 20)) await answers.ask(q.question, { asOf: new Date(`${q.date}T23:59:59Z`), scopes });
    const times: number[] = [];
    for (const q of questions) {
      const start = performance.now();
      await answers.ask(q.question, { asOf: new Date(`${q.date}T23:59:59Z`), scopes });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    latency[mode] = { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
  }
  let hnswRecallAt10: number | null = null;
  let hnswRecallAt10PassageQueries: number | null = null;
  if (embedder && (store.indexedVectors ?? 0) > 0) {
    const all: { id: number; vector: Float32Array }[] = [];
    for await (const v of store.allVectors()) all.push(v);
    const recall = async (queries: Float32Array[], skipSelf: boolean) => {
      let found = 0;
      let total = 0;
      for (const q of queries) {
        const exact = all
          .map(({ id, vector }) => {
            let dot = 0;
            for (let i = 0; i < vector.length; i++) dot += vector[i]! * q[i]!;
            return { id, dot };
          })
          .sort((a, b) => b.dot - a.dot)
          .slice(skipSelf ? 1 : 0, skipSelf ? 11 : 10)
          .map((x) => x.id);
        const approx = new Set((await store.vectorSearch(q, skipSelf ? 11 : 10)).map((h) => h.id));
        found += exact.filter((id) => approx.has(id)).length;
        total += exact.length;
      }
      return total ? Math.round((found / total) * 1000) / 1000 : null;
    };
    const n = options.recallQueries ?? 100;
    hnswRecallAt10 = await recall(await embedder.embed(questions.slice(0, n).map((q) => q.question)), false);
    const step = Math.max(1, Math.floor(all.length / n));
    hnswRecallAt10PassageQueries = await recall(all.filter((_, i) => i % step === 0).slice(0, n).map((x) => x.vector), true);
  }
  const rssMb = Math.round(process.memoryUsage().rss / 1048576);
  await store.close();
  return { openStoreMs: Math.round(t2 - t0), indexLoadMs: Math.round(t2 - t1), latency, hnswRecallAt10, hnswRecallAt10PassageQueries, efSearch: settings.efSearch, rssMb, servers, serverArticles };
}

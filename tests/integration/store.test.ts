import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, NewsBotError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { Article } from '../../src/core/types.js';
import type { ArticleInput, PassageInput } from '../../src/store/ports.js';
import type { SqliteStore, SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir, unitVector } from '../helpers/env.js';
import { openTestStore } from '../helpers/test-store.js';

// What every backend does (search, replace, lookups, model checks, leases) is held by
// store-contract.test.ts; these are the SQLite store's own parts: the vectors.hnsw file, read-only
// opening, the transaction and the vector change log that other connections follow.

const DIM = 16;
const EMB = { modelId: 'test/model', dimension: DIM };
const INDEX_FILE = 'vectors.hnsw';

function article(id: string, title: string, text: string): Article {
  return { id, title, text, date: '2024-05-01', source: 'test', url: null, author: null, origin: `t/${id}.txt`, contentHash: `h-${id}-${text.length}` };
}

function passages(text: string, seed: number, withVectors = true): PassageInput[] {
  return text.split('|').map((t, i) => ({
    position: i, start: 0, end: t.length, text: t, ...(withVectors ? { vector: unitVector(DIM, seed * 100 + i) } : {}),
  }));
}

/** Articles m<from>..m<from+n-1>, one passage each, the vector of m<i> seeded (i + 1) * 100. */
function many(n: number, from = 0): ArticleInput[] {
  return Array.from({ length: n }, (_, i) => ({ article: article(`m${from + i}`, `Story ${from + i}`, `harbour news ${from + i}`), passages: passages(`harbour news ${from + i}`, from + i + 1) }));
}

/** Entries in the store's vector change log, read on a connection of its own. */
function changeLogEntries(dir: string): number {
  const raw = new Database(path.join(dir, 'news.db'), { readonly: true });
  try {
    return raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM vector_log').get()!.n;
  } finally {
    raw.close();
  }
}

describe('SqliteStore: the vector index file', () => {
  let dir: string;
  let cleanup: () => void;
  let indexFile: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    indexFile = path.join(dir, INDEX_FILE);
  });
  afterEach(() => cleanup());

  const open = (options: Partial<SqliteStoreOptions> = {}) => openTestStore(dir, { embedding: EMB, chunkerVersion: 1, ...options });

  it('persists the vector index and reconciles a stale, garbage, truncated or missing index file on open', async () => {
    let store = open();
    await store.openVectorIndex();
    await store.putArticles([{ article: article('a', 'A', 'alpha|beta'), passages: passages('alpha|beta', 1) }]);
    await store.close();
    expect(fs.existsSync(indexFile)).toBe(true);
    const stale = fs.readFileSync(indexFile);

    store = open();
    await store.openVectorIndex();
    expect(store.indexedVectors).toBe(2);
    await store.putArticles([{ article: article('b', 'B', 'gamma'), passages: passages('gamma', 2) }]);
    await store.removeArticles(['a']);
    await store.close();
    expect(fs.readFileSync(indexFile).equals(stale)).toBe(false);
    // Simulate a crash after the database commit but before the index file was written.
    fs.writeFileSync(indexFile, stale);
    store = open();
    await store.openVectorIndex();
    expect(store.indexedVectors).toBe(1);
    const [hit] = await store.vectorSearch(unitVector(DIM, 200), 3);
    expect((await store.getPassages([hit!.id]))[0]!.article.id).toBe('b');
    expect(await store.checkConsistency()).toMatchObject({ ok: true, vectors: 1, indexed: 1 });
    // The reconciled index replaces the stale file when the store closes.
    await store.close();
    expect(fs.readFileSync(indexFile).equals(stale)).toBe(false);

    // A corrupt or truncated index file is rebuilt from the stored vectors, with a warning.
    const good = fs.readFileSync(indexFile);
    for (const bad of [Buffer.from('garbage'), good.subarray(0, good.length >> 1)]) {
      fs.writeFileSync(indexFile, bad);
      const logs: string[] = [];
      store = open({ logger: createLogger('warn', (line) => logs.push(line)) });
      await store.openVectorIndex();
      expect(store.indexedVectors).toBe(1);
      expect(logs).toEqual([expect.stringMatching(/^warn +vector index file unreadable; rebuilding it from stored vectors/)]);
      expect(await store.vectorSearch(unitVector(DIM, 200), 1)).toEqual([{ id: hit!.id, similarity: expect.closeTo(1, 5) }]);
      await store.close();
    }
    // A missing one too: the first vector search opens the index.
    fs.rmSync(indexFile);
    store = open();
    expect(store.indexedVectors).toBeNull();
    expect(await store.vectorSearch(unitVector(DIM, 200), 1)).toEqual([{ id: hit!.id, similarity: expect.closeTo(1, 5) }]);
    expect(store.indexedVectors).toBe(1);
    await store.close();
    expect(fs.existsSync(indexFile)).toBe(true);
  });

  it("never trusts an index file left from another store: a copied or stale foreign file is rebuilt", async () => {
    const other = tempDir();
    try {
      // Another store's index: same dimension, ids that collide with this store's passage ids.
      const foreign = openTestStore(other.dir, { embedding: EMB, chunkerVersion: 1 });
      await foreign.openVectorIndex();
      await foreign.putArticles([{ article: article('x', 'X', 'xray|yankee'), passages: passages('xray|yankee', 9) }]);
      await foreign.close();
      let store = open();
      await store.putArticles([{ article: article('a', 'A', 'alpha|beta'), passages: passages('alpha|beta', 1) }]);
      await store.close();
      fs.copyFileSync(path.join(other.dir, INDEX_FILE), indexFile);
      fs.copyFileSync(path.join(other.dir, `${INDEX_FILE}.json`), `${indexFile}.json`);
      const lines: string[] = [];
      store = open({ logger: createLogger('warn', (line) => lines.push(line)) });
      // Passage 1 is "alpha" here; in the foreign file label 1 held "xray"'s vector.
      const [hit] = await store.vectorSearch(unitVector(DIM, 100), 1);
      expect(hit).toMatchObject({ similarity: expect.closeTo(1, 5) });
      expect((await store.getPassages([hit!.id]))[0]!.passage.text).toBe('alpha');
      expect(lines.filter((l) => /belongs to another store/.test(l))).toHaveLength(1);
      await store.close();
    } finally {
      other.cleanup();
    }
  });

  it('writes a missing index file after an ingest run, and leaves a few changes to an existing one for close', async () => {
    let store = open();
    await store.putArticles(many(20));
    // A store that never opened its index has nothing of its own to save.
    await store.close();
    expect(fs.existsSync(indexFile)).toBe(false);

    store = open();
    await store.putArticles(many(5, 20));
    await store.afterIngest({ largeChange: false });
    expect(store.indexedVectors).toBe(25);
    expect(fs.existsSync(indexFile)).toBe(true);
    const written = fs.readFileSync(indexFile);
    // One changed article does not rewrite the file after the run (the file is a cache that
    // opening reconciles); closing the store does.
    await store.putArticles(many(1, 25));
    await store.afterIngest({ largeChange: false });
    expect(fs.readFileSync(indexFile).equals(written)).toBe(true);
    await store.close();
    expect(fs.readFileSync(indexFile).equals(written)).toBe(false);

    store = open();
    await store.openVectorIndex();
    expect(await store.checkConsistency()).toMatchObject({ ok: true, vectors: 26, indexed: 26 });
    await store.close();
  });

  it('keeps no vector index and writes no index file while the store has no model; keeps the model once adopted', async () => {
    let store = open({ embedding: null });
    await store.putArticles([{ article: article('a', 'A', 'alpha'), passages: passages('alpha', 1, false) }]);
    expect(store.vectorIndex).toBeNull();
    await store.openVectorIndex();
    expect(store.indexedVectors).toBeNull();
    expect(await store.checkConsistency()).toMatchObject({ ok: true, vectors: 0, indexed: null });
    await store.close();
    expect(fs.existsSync(indexFile)).toBe(false);
    // Opened with a model, the store adopts it and has an index from then on.
    store = open();
    expect(store.vectorIndex).not.toBeNull();
    await store.openVectorIndex();
    expect(store.indexedVectors).toBe(0);
    await store.close();
    // Opened again without an embedder (lexical only), it keeps the model it was built with.
    store = open({ embedding: null });
    expect(store.manifest).toMatchObject({ embeddingModel: 'test/model', dimension: DIM });
    await store.close();
  });

  it('rolls back a batch that fails half way: no rows, no BM25 entries, no vectors, nothing in the change log', async () => {
    const store = open();
    await store.openVectorIndex();
    const bad: ArticleInput = { article: article('b', 'B', 'beta'), passages: [{ position: 0, start: 0, end: 4, text: null as unknown as string }] };
    // The first article is written inside the transaction before the second one fails.
    await expect(store.putArticles([{ article: article('a', 'A', 'alpha'), passages: passages('alpha', 1) }, bad])).rejects.toThrow(/NOT NULL/);
    expect(await store.stats()).toMatchObject({ articles: 0, passages: 0, vectors: 0 });
    expect(await store.lexicalSearch(['alpha'], 5)).toHaveLength(0);
    expect(await store.vectorSearch(unitVector(DIM, 100), 5)).toHaveLength(0);
    expect(await store.checkConsistency()).toMatchObject({ ok: true, lexical: 0, indexed: 0 });
    expect(changeLogEntries(dir)).toBe(0);
    await store.close();
  });
});

describe('SqliteStore beside a writer on another connection (the bot beside its ingest worker)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const open = (options: { readonly?: boolean } = {}) => openTestStore(dir, { embedding: EMB, chunkerVersion: 1, ...options });

  /** Awaits the reader's refresh; returns the event-loop turns it took. */
  const refreshCountingTurns = async (store: SqliteStore): Promise<number> => {
    let turns = 0;
    let done = false;
    const ticking = (async () => {
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        turns++;
      }
    })();
    try {
      await store.refresh();
    } finally {
      done = true;
      await ticking;
    }
    return turns;
  };

  it("folds another connection's writes into the index a slice at a time, never inside the query", async () => {
    const reader = open();
    const writer = open();
    await writer.putArticles(many(10));
    await reader.openVectorIndex();
    expect(reader.indexedVectors).toBe(10);
    await writer.putArticles(many(3_000, 10));
    // The query that notices the change finds the new passages lexically at once...
    expect(await reader.lexicalSearch(['harbour'], 5_000)).toHaveLength(3_010);
    // ...and does not wait for the index: the vectors come in later turns of the event loop.
    expect(reader.indexedVectors).toBeLessThan(3_010);
    const started = performance.now();
    const turns = await refreshCountingTurns(reader);
    const catchUpMs = performance.now() - started;
    expect(turns).toBeGreaterThan(1);
    expect(reader.indexedVectors).toBe(3_010);
    // No slice held the event loop for most of the catch-up (a relative bound: a loaded machine
    // slows every slice alike).
    const longest = reader.vectorIndex!.longestSliceMs;
    expect(longest, `longest slice ${longest.toFixed(1)} ms of a ${catchUpMs.toFixed(1)} ms catch-up over ${turns} turns`).toBeLessThan(catchUpMs / 2);
    const [hit] = await reader.vectorSearch(unitVector(DIM, 2_001 * 100), 1);
    expect((await reader.getPassages([hit!.id]))[0]!.article.id).toBe('m2000');
    expect(hit!.similarity).toBeCloseTo(1, 5);

    // Removals arrive the same way.
    await writer.removeArticles(Array.from({ length: 1_000 }, (_, i) => `m${i}`));
    await reader.refresh();
    expect(reader.indexedVectors).toBe(2_010);
    expect(await reader.checkConsistency()).toMatchObject({ ok: true, vectors: 2_010, indexed: 2_010 });
    await writer.close();
    await reader.close();
  });

  it('compares the whole vectors table once when the change log was trimmed past the reader', async () => {
    const reader = open();
    const writer = open();
    await writer.putArticles(many(5));
    await reader.openVectorIndex();
    expect(reader.indexedVectors).toBe(5);
    await writer.putArticles(many(50, 5));
    await writer.removeArticles(['m0']);
    // What the trim after an ingest run does to a reader that fell far behind.
    const raw = new Database(path.join(dir, 'news.db'));
    raw.prepare('DELETE FROM vector_log WHERE seq <= (SELECT MAX(seq) FROM vector_log) - 10').run();
    raw.close();
    await reader.refresh();
    expect(reader.indexedVectors).toBe(54);
    expect(await reader.checkConsistency()).toMatchObject({ ok: true, vectors: 54, indexed: 54 });
    // m0 is gone from the reader's index, m54 is in it.
    const near = await reader.vectorSearch(unitVector(DIM, 100), 1);
    expect(near[0]!.similarity).toBeLessThan(0.999);
    const [last] = await reader.vectorSearch(unitVector(DIM, 55 * 100), 1);
    expect((await reader.getPassages([last!.id]))[0]!.article.id).toBe('m54');
    await writer.close();
    await reader.close();
  });

  it('trims the change log after an ingest run, keeping the newest entries', async () => {
    const store = open();
    await store.putArticles(many(20));
    expect(changeLogEntries(dir)).toBe(20);
    // Pretend 100,000 later entries exist: the first 20 fall out of the kept window.
    const raw = new Database(path.join(dir, 'news.db'));
    raw.prepare("UPDATE sqlite_sequence SET seq = seq + 100000 WHERE name = 'vector_log'").run();
    raw.close();
    await store.putArticles(many(1, 20));
    expect(changeLogEntries(dir)).toBe(21);
    // A large run also merges the BM25 index's segments; searches find the same passages after it.
    await store.afterIngest({ largeChange: true });
    expect(changeLogEntries(dir)).toBe(1);
    expect(await store.lexicalSearch(['harbour'], 100)).toHaveLength(21);
    expect(await store.checkConsistency()).toMatchObject({ ok: true, passages: 21, lexical: 21, indexed: 21 });
    await store.close();
  });

  it('opens a store made before the change log existed, read-only or not, and still catches up', async () => {
    const old = open();
    await old.putArticles(many(5));
    await old.close();
    const raw = new Database(path.join(dir, 'news.db'));
    raw.exec('DROP TRIGGER vector_log_insert; DROP TRIGGER vector_log_update; DROP TRIGGER vector_log_delete; DROP TABLE vector_log;');
    raw.close();
    const reader = open({ readonly: true });
    await reader.openVectorIndex();
    expect(reader.indexedVectors).toBe(5);
    // A writer of this version adds the log (IF NOT EXISTS) to the old store without a rebuild.
    const writer = open();
    await writer.putArticles(many(30, 5));
    await writer.removeArticles(['m0']);
    await reader.refresh();
    expect(reader.indexedVectors).toBe(34);
    expect(await reader.checkConsistency()).toMatchObject({ ok: true, vectors: 34, indexed: 34 });
    await writer.close();
    await reader.close();
  });

  it('a read-only store reads and follows writes but writes nothing: no rows, no index file', async () => {
    const writer = open();
    await writer.putArticles(many(10));
    const reader = open({ readonly: true });
    expect(await reader.lexicalSearch(['harbour'], 50)).toHaveLength(10);
    expect(await reader.vectorSearch(unitVector(DIM, 100), 1)).toHaveLength(1);
    const refused = await reader.putArticles(many(1, 10)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NewsBotError);
    expect((refused as NewsBotError).code).toBe(ErrorCodes.StoreIo);
    expect((refused as Error).message).toMatch(/read-only; nothing was written/);
    await expect(reader.acquireLease('feeds', 'reader', 60_000)).rejects.toThrow(/read-only/);
    await writer.putArticles(many(5, 10));
    await reader.refresh();
    expect(reader.indexedVectors).toBe(15);
    await reader.close();
    // The reader's index was open and current, yet it did not write the index file.
    expect(fs.existsSync(path.join(dir, INDEX_FILE))).toBe(false);
    expect(await writer.stats()).toMatchObject({ articles: 15, vectors: 15 });
    await writer.close();
    // A read-only open never creates a store.
    const empty = path.join(dir, 'empty');
    expect(() => openTestStore(empty, { embedding: EMB, chunkerVersion: 1, readonly: true })).toThrow(/cannot open the store/);
    expect(fs.existsSync(path.join(empty, 'news.db'))).toBe(false);
  });
});

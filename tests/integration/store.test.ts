import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreModelMismatchError } from '../../src/core/errors.js';
import type { Article } from '../../src/core/types.js';
import { NewsStore, type PassageInput } from '../../src/retrieval/store.js';
import { tempDir, unitVector } from '../helpers/env.js';

const DIM = 16;
const EMB = { modelId: 'test/model', dimension: DIM };

function article(id: string, title: string, text: string, date: string | null = '2024-05-01'): Article {
  return { id, title, text, date, source: 'test', url: null, author: null, origin: `t/${id}.txt`, contentHash: `h-${id}-${text.length}` };
}

function passages(text: string, seed: number, withVectors = true): PassageInput[] {
  return text.split('|').map((t, i) => ({
    position: i, start: 0, end: t.length, text: t, ...(withVectors ? { vector: unitVector(DIM, seed * 100 + i) } : {}),
  }));
}

describe('NewsStore', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const open = (embedding: typeof EMB | null = EMB) => NewsStore.open(dir, { embedding, chunkerVersion: 1 });

  it('stores articles, finds passages lexically and by vector, and reports counts', () => {
    const store = open();
    store.putArticles([
      { article: article('a', 'Starmer visits Washington', 'Starmer asked for a backstop.|He met the president.'), passages: passages('Starmer asked for a backstop.|He met the president.', 1) },
      { article: article('b', 'Football final', 'The final ended in a draw.'), passages: passages('The final ended in a draw.', 2) },
    ]);
    const lexical = store.lexicalSearch('"backstop"', 10);
    expect(lexical).toHaveLength(1);
    const [hit] = store.getPassages([lexical[0]!.id]);
    expect(hit!.passage.text).toBe('Starmer asked for a backstop.');
    expect(hit!.article.title).toBe('Starmer visits Washington');
    // The title is searchable for every passage of its article.
    expect(store.lexicalSearch('"washington"', 10)).toHaveLength(2);
    // Porter stemming: "asks" finds "asked".
    expect(store.lexicalSearch('"asks"', 10)).toHaveLength(1);
    const target = unitVector(DIM, 101);
    const [nearest] = store.vectorSearch(target, 1);
    expect(store.getPassages([nearest!.id])[0]!.passage.text).toBe('He met the president.');
    expect(nearest!.similarity).toBeCloseTo(1, 5);
    expect(store.stats()).toMatchObject({ articles: 2, passages: 3, vectors: 3 });
    store.close();
  });

  it('replaces an article and removes it from every index', () => {
    const store = open();
    store.putArticles([{ article: article('a', 'Old title', 'old words here'), passages: passages('old words here', 1) }]);
    store.putArticles([{ article: article('a', 'New title', 'fresh words here'), passages: passages('fresh words here', 2) }]);
    expect(store.lexicalSearch('"old"', 10)).toHaveLength(0);
    expect(store.lexicalSearch('"fresh"', 10)).toHaveLength(1);
    expect(store.stats()).toMatchObject({ articles: 1, passages: 1, vectors: 1 });
    expect(store.vectorIndex()!.size).toBe(1);
    expect(store.removeArticles(['a', 'missing'])).toBe(1);
    expect(store.lexicalSearch('"fresh"', 10)).toHaveLength(0);
    expect(store.vectorSearch(unitVector(DIM, 200), 5)).toHaveLength(0);
    expect(store.stats()).toMatchObject({ articles: 0, passages: 0, vectors: 0 });
    store.close();
  });

  it('persists the vector index and reconciles a stale or missing index file on open', () => {
    let store = open();
    store.putArticles([{ article: article('a', 'A', 'alpha|beta'), passages: passages('alpha|beta', 1) }]);
    store.close();
    const indexFile = path.join(dir, 'vectors.hnsw');
    expect(fs.existsSync(indexFile)).toBe(true);
    const stale = fs.readFileSync(indexFile);

    store = open();
    store.putArticles([{ article: article('b', 'B', 'gamma'), passages: passages('gamma', 2) }]);
    store.removeArticles(['a']);
    store.close();
    // Simulate a crash after the database commit but before the index file was written.
    fs.writeFileSync(indexFile, stale);
    store = open();
    const index = store.vectorIndex()!;
    expect(index.size).toBe(1);
    const [hit] = store.vectorSearch(unitVector(DIM, 200), 3);
    expect(store.getPassages([hit!.id])[0]!.article.id).toBe('b');
    store.close();

    // A missing or corrupt index file is rebuilt from stored vectors.
    fs.writeFileSync(indexFile, 'garbage');
    store = open();
    expect(store.vectorIndex()!.size).toBe(1);
    store.close();
    fs.rmSync(indexFile);
    store = open();
    expect(store.vectorSearch(unitVector(DIM, 200), 1)).toHaveLength(1);
    store.close();
  });

  it('refuses to open with another model or dimension and says to re-ingest', () => {
    open().close();
    expect(() => open({ modelId: 'other/model', dimension: DIM })).toThrow(StoreModelMismatchError);
    expect(() => open({ modelId: 'test/model', dimension: 32 })).toThrow(/re-ingest/i);
    expect(() => NewsStore.open(dir, { embedding: EMB, chunkerVersion: 2 })).toThrow(/chunker version/);
    // Without an embedder the store still opens (lexical only).
    const lexicalOnly = open(null);
    expect(lexicalOnly.manifest.embeddingModel).toBe('test/model');
    lexicalOnly.close();
  });

  it('keeps passages stored without a model and adopts the model later', () => {
    let store = open(null);
    store.putArticles([{ article: article('a', 'A', 'alpha'), passages: passages('alpha', 1, false) }]);
    expect(store.manifest.embeddingModel).toBeNull();
    expect(store.vectorIndex()).toBeNull();
    store.close();
    store = open();
    expect(store.manifest).toMatchObject({ embeddingModel: 'test/model', dimension: DIM });
    const missing = store.passagesWithoutVectors(10);
    expect(missing).toEqual([{ id: expect.any(Number), title: 'A', text: 'alpha' }]);
    store.putVectors([{ id: missing[0]!.id, vector: unitVector(DIM, 5) }]);
    expect(store.passagesWithoutVectors(10)).toEqual([]);
    expect(store.vectorSearch(unitVector(DIM, 5), 1)).toHaveLength(1);
    store.close();
  });

  it('rolls back a batch that fails half way', () => {
    const store = open();
    const bad = { article: article('b', 'B', 'beta'), passages: [{ position: 0, start: 0, end: 4, text: 'beta', vector: new Float32Array(3) }] };
    expect(() => store.putArticles([{ article: article('a', 'A', 'alpha'), passages: passages('alpha', 1) }, bad])).toThrow(StoreModelMismatchError);
    expect(store.stats()).toMatchObject({ articles: 0, passages: 0, vectors: 0 });
    expect(store.lexicalSearch('"alpha"', 5)).toHaveLength(0);
    expect(store.vectorSearch(unitVector(DIM, 100), 5)).toHaveLength(0);
    store.close();
  });
});

describe('NewsStore beside a writer on another connection (the bot beside its ingest worker)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const open = (options: { readonly?: boolean } = {}) => NewsStore.open(dir, { embedding: EMB, chunkerVersion: 1, ...options });
  const many = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ article: article(`m${from + i}`, `Story ${from + i}`, `harbour news ${from + i}`), passages: passages(`harbour news ${from + i}`, from + i + 1) }));
  /** Lets the reader's background catch-up run until it is done; returns the event-loop turns it took. */
  const settle = async (store: NewsStore) => {
    let turns = 0;
    while (store.indexLag > 0 && turns < 100_000) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    return turns;
  };

  it('folds another connection\'s writes into the index a slice at a time, never inside the query', async () => {
    const reader = open();
    const writer = open();
    writer.putArticles(many(10));
    expect(reader.vectorIndex()!.size).toBe(10);
    writer.putArticles(many(3_000, 10));
    // The query that notices the change finds the new passages lexically at once...
    expect(reader.lexicalSearch('"harbour"', 5_000)).toHaveLength(3_010);
    // ...and does no index work itself: the vectors come in later turns of the event loop.
    expect(reader.vectorIndex()!.size).toBe(10);
    const turns = await settle(reader);
    expect(turns).toBeGreaterThan(1);
    expect(reader.vectorIndex()!.size).toBe(3_010);
    const [hit] = reader.vectorSearch(unitVector(DIM, 2_001 * 100), 1);
    expect(reader.getPassages([hit!.id])[0]!.article.id).toBe('m2000');
    expect(hit!.similarity).toBeCloseTo(1, 5);

    // Removals arrive the same way.
    writer.removeArticles(Array.from({ length: 1_000 }, (_, i) => `m${i}`));
    reader.refresh();
    await settle(reader);
    expect(reader.vectorIndex()!.size).toBe(2_010);
    expect(reader.checkConsistency()).toMatchObject({ ok: true, vectors: 2_010, indexed: 2_010 });
    writer.close();
    reader.close();
  });

  it('compares the whole vectors table once when the change log was trimmed past the reader', async () => {
    const reader = open();
    const writer = open();
    writer.putArticles(many(5));
    expect(reader.vectorIndex()!.size).toBe(5);
    writer.putArticles(many(50, 5));
    writer.removeArticles(['m0']);
    // What the trim after an ingest run does to a reader that fell far behind.
    const raw = new Database(path.join(dir, 'news.db'));
    raw.prepare('DELETE FROM vector_log WHERE seq <= (SELECT MAX(seq) FROM vector_log) - 10').run();
    raw.close();
    reader.refresh();
    await settle(reader);
    expect(reader.vectorIndex()!.size).toBe(54);
    expect(reader.checkConsistency().ok).toBe(true);
    writer.close();
    reader.close();
  });

  it('trims the change log after an ingest run, keeping the newest entries', () => {
    const store = open();
    store.putArticles(many(20));
    const raw = new Database(path.join(dir, 'news.db'));
    const count = () => raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM vector_log').get()!.n;
    expect(count()).toBe(20);
    // Pretend 100,000 later entries exist: the first 20 fall out of the kept window.
    raw.prepare("UPDATE sqlite_sequence SET seq = seq + 100000 WHERE name = 'vector_log'").run();
    raw.close();
    store.putArticles(many(1, 20));
    store.recordIngestRun({ added: 21, updated: 0, removed: 0, unchanged: 0, skipped: 0 });
    const after = new Database(path.join(dir, 'news.db'));
    expect(after.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM vector_log').get()!.n).toBe(1);
    after.close();
    store.close();
  });

  it('opens a store made before the change log existed, read-only or not, and still catches up', async () => {
    open().close();
    const raw = new Database(path.join(dir, 'news.db'));
    raw.exec('DROP TRIGGER vector_log_insert; DROP TRIGGER vector_log_update; DROP TRIGGER vector_log_delete; DROP TRIGGER vector_log_trim; DROP TABLE vector_log;');
    raw.close();
    const reader = open({ readonly: true });
    expect(reader.vectorIndex()!.size).toBe(0);
    // A writer of this version adds the log (IF NOT EXISTS) to the old store without a rebuild.
    const writer = open();
    writer.putArticles(many(30));
    reader.refresh();
    await settle(reader);
    expect(reader.vectorIndex()!.size).toBe(30);
    writer.close();
    reader.close();
  });
});

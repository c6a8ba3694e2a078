import fs from 'node:fs';
import path from 'node:path';
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

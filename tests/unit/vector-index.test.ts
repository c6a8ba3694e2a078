import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VectorIndex } from '../../src/store/vector-index.js';
import { tempDir, unitVector } from '../helpers/env.js';
import { DEFAULTS } from '../../src/config/defaults.js';

const OPTIONS = { efSearch: DEFAULTS.retrieval.efSearch };

const DIM = 8;

describe('VectorIndex', () => {
  it('replaces the vector of a live id in place, even when deleted slots are free', () => {
    const index = VectorIndex.create(DIM, 16, OPTIONS);
    index.add(1, unitVector(DIM, 1));
    index.add(2, unitVector(DIM, 2));
    expect(index.remove(1)).toBe(true);
    expect(index.remove(1)).toBe(false);
    // A free (deleted) slot exists now; updating id 2 must not leave its old copy searchable.
    index.add(2, unitVector(DIM, 3));
    expect(index.size).toBe(1);
    expect(index.has(2)).toBe(true);
    expect(index.has(1)).toBe(false);
    expect(index.search(unitVector(DIM, 3), 1)[0]).toMatchObject({ id: 2, similarity: expect.closeTo(1, 5) });
    // The old vector of id 2 is gone: nothing matches it exactly any more.
    expect(index.search(unitVector(DIM, 2), 1)[0]!.similarity).toBeLessThan(0.999);
    // A new id takes the deleted slot.
    index.add(7, unitVector(DIM, 7));
    expect(index.size).toBe(2);
    expect(index.search(unitVector(DIM, 7), 1)[0]).toMatchObject({ id: 7 });
  });

  it('retainOnly deletes what the store lost and lists what the index lacks, without adding it', () => {
    const index = VectorIndex.create(DIM, 16, OPTIONS);
    for (const id of [1, 2, 3]) index.add(id, unitVector(DIM, id));
    const { deleted, missing } = index.retainOnly([2, 3, 4, 5]);
    expect(deleted).toBe(1);
    expect(missing.sort()).toEqual([4, 5]);
    expect(index.size).toBe(2);
    expect(index.has(1)).toBe(false);
    expect(index.has(4)).toBe(false);
    expect(index.search(unitVector(DIM, 1), 5).map((h) => h.id)).not.toContain(1);
    // Adding what was missing settles it: a second pass finds nothing to do.
    index.add(4, unitVector(DIM, 4));
    expect(index.retainOnly([2, 3, 4])).toEqual({ deleted: 0, missing: [] });
    expect(index.size).toBe(3);
    expect(index.search(unitVector(DIM, 4), 1)[0]).toMatchObject({ id: 4, similarity: expect.closeTo(1, 5) });
  });

  it('lists labels deleted before a save as live after loading, until retainOnly settles them', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'vectors.hnsw');
      const index = VectorIndex.create(DIM, 16, OPTIONS);
      for (const id of [1, 2, 3]) index.add(id, unitVector(DIM, id));
      index.remove(2);
      index.save(file);
      const loaded = VectorIndex.load(file, DIM, OPTIONS);
      expect(loaded.retainOnly([1, 3])).toEqual({ deleted: 1, missing: [] });
      expect(loaded.size).toBe(2);
      expect(loaded.search(unitVector(DIM, 2), 3).map((h) => h.id).sort()).toEqual([1, 3]);
      expect(loaded.search(unitVector(DIM, 3), 1)[0]).toMatchObject({ id: 3, similarity: expect.closeTo(1, 5) });
    } finally {
      cleanup();
    }
  });

  it('refuses to load a file of another dimension (hnswlib itself would read it out of step)', () => {
    const { dir, cleanup } = tempDir('newsbot-vi-');
    try {
      const file = path.join(dir, 'v.hnsw');
      const index = VectorIndex.create(DIM, 16, OPTIONS);
      for (const id of [1, 2, 3]) index.add(id, unitVector(DIM, id));
      index.save(file);
      expect(() => VectorIndex.load(file, DIM * 2, OPTIONS)).toThrow(/another dimension \(8, expected 16\)/);
      expect(VectorIndex.load(file, DIM, OPTIONS).size).toBe(3);
    } finally {
      cleanup();
    }
  });
});

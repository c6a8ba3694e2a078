import { describe, expect, it } from 'vitest';
import { VectorIndex } from '../../src/retrieval/vector-index.js';
import { unitVector } from '../helpers/env.js';

const DIM = 8;

describe('VectorIndex', () => {
  it('replaces the vector of a live id in place, even when deleted slots are free', () => {
    const index = VectorIndex.create(DIM, 16);
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

  it('sync deletes what the store lost and lists what the index lacks, without adding it', () => {
    const index = VectorIndex.create(DIM, 16);
    for (const id of [1, 2, 3]) index.add(id, unitVector(DIM, id));
    const { deleted, missing } = index.sync([2, 3, 4, 5]);
    expect(deleted).toBe(1);
    expect(missing.sort()).toEqual([4, 5]);
    expect(index.size).toBe(2);
    expect(index.has(1)).toBe(false);
    expect(index.search(unitVector(DIM, 1), 5).map((h) => h.id)).not.toContain(1);
    expect(index.reconcile([2, 3, 4], (id) => unitVector(DIM, id))).toEqual({ deleted: 0, added: 1 });
    expect(index.size).toBe(3);
  });
});

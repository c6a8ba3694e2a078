import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** HNSW build and search parameters. */
export interface VectorIndexOptions {
  /** Candidate list size at query time (>= k); higher is more exact and slower. */
  efSearch?: number;
  m?: number;
  efConstruction?: number;
}

import type { VectorHit } from './ports.js';

/**
 * Approximate nearest-neighbour index over passage vectors (hnswlib, cosine). A derived
 * structure: the store's vectors table is the truth, and `reconcile` brings an index loaded from
 * an older file up to date with it. Deleted passages are marked deleted; their slots are reused.
 */
export class VectorIndex {
  readonly dimension: number;
  private readonly index: Hnsw;
  private readonly efSearch: number;
  /** Labels that are searchable (not marked deleted). */
  private readonly live: Set<number>;

  private constructor(dimension: number, index: Hnsw, efSearch: number, live: Iterable<number>) {
    this.dimension = dimension;
    this.index = index;
    this.efSearch = efSearch;
    this.live = new Set(live);
    this.index.setEf(efSearch);
  }

  /** An empty index with room for `capacity` vectors (it grows as needed). */
  static create(dimension: number, capacity: number, options: VectorIndexOptions = {}): VectorIndex {
    const index = new HierarchicalNSW('cosine', dimension);
    index.initIndex({
      maxElements: Math.max(16, capacity),
      m: options.m ?? 16,
      efConstruction: options.efConstruction ?? 200,
      randomSeed: 42,
      allowReplaceDeleted: true,
    });
    return new VectorIndex(dimension, index, options.efSearch ?? 128, []);
  }

  /** Reads an index file. Throws when the file is missing, unreadable or of another dimension. */
  static load(file: string, dimension: number, options: VectorIndexOptions = {}): VectorIndex {
    const index = new HierarchicalNSW('cosine', dimension);
    index.readIndexSync(file, true);
    if (index.getNumDimensions() !== dimension) throw new Error(`index dimension ${index.getNumDimensions()} != ${dimension}`);
    // Labels deleted before the save are listed too: `retainOnly` (run on every open) settles them.
    return new VectorIndex(dimension, index, options.efSearch ?? 128, index.getIdsList());
  }

  /** Number of live (searchable) vectors. */
  get size(): number {
    return this.live.size;
  }

  /** True when `id` is searchable. */
  has(id: number): boolean {
    return this.live.has(id);
  }

  /** Makes room for `capacity` vectors in one step (instead of growing by half as they come). */
  reserve(capacity: number): void {
    if (capacity > this.index.getMaxElements()) this.index.resizeIndex(capacity);
  }

  /**
   * Keeps only the labels in `ids`: others are marked deleted. Returns how many were deleted and
   * the ids of `ids` the index lacks (to be added).
   */
  retainOnly(ids: Iterable<number>): { deleted: number; missing: number[] } {
    const keep = new Set(ids);
    let deleted = 0;
    for (const id of [...this.live]) {
      if (!keep.has(id) && this.remove(id)) deleted++;
    }
    const missing: number[] = [];
    for (const id of keep) if (!this.live.has(id)) missing.push(id);
    return { deleted, missing };
  }

  /** Adds a vector under a passage id, reusing a deleted slot when there is one. */
  add(id: number, vector: Float32Array | number[]): void {
    if (this.index.getCurrentCount() >= this.index.getMaxElements()) {
      this.index.resizeIndex(Math.ceil(this.index.getMaxElements() * 1.5) + 16);
    }
    this.index.addPoint(Array.from(vector), id, true);
    this.live.add(id);
  }

  /** Marks a passage id deleted; returns false when it was absent or already deleted. */
  remove(id: number): boolean {
    if (!this.live.delete(id)) return false;
    try {
      this.index.markDelete(id);
    } catch {
      // Listed as live but already deleted in a loaded file: nothing to do.
    }
    return true;
  }

  /** The k nearest live vectors, most similar first. */
  search(vector: Float32Array | number[], k: number): VectorHit[] {
    if (this.live.size === 0 || k <= 0) return [];
    this.index.setEf(Math.max(this.efSearch, k));
    const result = this.index.searchKnn(Array.from(vector), Math.min(k, this.live.size));
    return result.neighbors.map((id, i) => ({ id, similarity: 1 - (result.distances[i] ?? 1) }));
  }

  /** Writes the index to `file` atomically (temp file in the same folder, fsync, rename). */
  save(file: string): void {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    try {
      this.index.writeIndexSync(tmp);
      const fd = fs.openSync(tmp, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }
}

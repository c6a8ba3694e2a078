import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { RETRIEVAL_DEFAULTS } from './defaults.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** HNSW build and search parameters. */
export interface VectorIndexOptions {
  /** Candidate list size at query time (>= k); higher is more exact and slower. */
  efSearch?: number;
  m?: number;
  efConstruction?: number;
}

/** A nearest-neighbour hit: passage id and cosine similarity. */
export interface VectorHit {
  id: number;
  similarity: number;
}

/**
 * Approximate nearest-neighbour index over passage vectors (hnswlib, cosine). A derived
 * structure: the store's vectors table is the truth, and `reconcile` brings an index loaded from
 * an older file up to date with it. Deleted passages are marked deleted; their slots are reused.
 */
export class VectorIndex {
  readonly dimension: number;
  private readonly index: Hnsw;
  private readonly efSearch: number;
  private live = 0;

  private constructor(dimension: number, index: Hnsw, efSearch: number, live: number) {
    this.dimension = dimension;
    this.index = index;
    this.efSearch = efSearch;
    this.live = live;
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
    return new VectorIndex(dimension, index, options.efSearch ?? RETRIEVAL_DEFAULTS.efSearch, 0);
  }

  /** Reads an index file. Throws when the file is missing, unreadable or of another dimension. */
  static load(file: string, dimension: number, options: VectorIndexOptions = {}): VectorIndex {
    const index = new HierarchicalNSW('cosine', dimension);
    index.readIndexSync(file, true);
    if (index.getNumDimensions() !== dimension) throw new Error(`index dimension ${index.getNumDimensions()} != ${dimension}`);
    // Live count is set by reconcile; until then assume every listed label is live.
    return new VectorIndex(dimension, index, options.efSearch ?? RETRIEVAL_DEFAULTS.efSearch, index.getIdsList().length);
  }

  /** Number of live (searchable) vectors. */
  get size(): number {
    return this.live;
  }

  /** Adds a vector under a passage id, reusing a deleted slot when there is one. */
  add(id: number, vector: Float32Array | number[]): void {
    if (this.index.getCurrentCount() >= this.index.getMaxElements()) {
      this.index.resizeIndex(Math.ceil(this.index.getMaxElements() * 1.5) + 16);
    }
    this.index.addPoint(Array.from(vector), id, true);
    this.live++;
  }

  /** Marks a passage id deleted; returns false when it was absent or already deleted. */
  remove(id: number): boolean {
    try {
      this.index.markDelete(id);
      this.live--;
      return true;
    } catch {
      return false;
    }
  }

  /** The k nearest live vectors, most similar first. */
  search(vector: Float32Array | number[], k: number): VectorHit[] {
    if (this.live === 0 || k <= 0) return [];
    this.index.setEf(Math.max(this.efSearch, k));
    const result = this.index.searchKnn(Array.from(vector), Math.min(k, this.live));
    return result.neighbors.map((id, i) => ({ id, similarity: 1 - (result.distances[i] ?? 1) }));
  }

  /**
   * Makes the index agree with the set of stored vector ids: labels the store no longer has are
   * deleted, stored vectors the index lacks are added (loaded through `vectorOf`).
   * Returns how many labels were deleted and added.
   */
  reconcile(storedIds: Iterable<number>, vectorOf: (id: number) => Float32Array | undefined): { deleted: number; added: number } {
    const stored = new Set(storedIds);
    const listed = new Set(this.index.getIdsList());
    let deleted = 0;
    let added = 0;
    let liveListed = 0;
    for (const id of listed) {
      if (stored.has(id)) {
        liveListed++;
      } else {
        try {
          this.index.markDelete(id);
          deleted++;
        } catch {
          // Already deleted: nothing to do.
        }
      }
    }
    this.live = liveListed;
    for (const id of stored) {
      if (listed.has(id)) continue;
      const vector = vectorOf(id);
      if (vector) {
        this.add(id, vector);
        added++;
      }
    }
    return { deleted, added };
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

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
  /** Labels of the live (not deleted) vectors. */
  private labels: Set<number>;

  private constructor(dimension: number, index: Hnsw, efSearch: number, labels: Set<number>) {
    this.dimension = dimension;
    this.index = index;
    this.efSearch = efSearch;
    this.labels = labels;
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
    return new VectorIndex(dimension, index, options.efSearch ?? 128, new Set());
  }

  /** Reads an index file. Throws when the file is missing, unreadable or of another dimension. */
  static load(file: string, dimension: number, options: VectorIndexOptions = {}): VectorIndex {
    const index = new HierarchicalNSW('cosine', dimension);
    index.readIndexSync(file, true);
    if (index.getNumDimensions() !== dimension) throw new Error(`index dimension ${index.getNumDimensions()} != ${dimension}`);
    // The live labels are settled by reconcile; until then assume every listed label is live.
    return new VectorIndex(dimension, index, options.efSearch ?? 128, new Set(index.getIdsList()));
  }

  /** Number of live (searchable) vectors. */
  get size(): number {
    return this.labels.size;
  }

  /** True when a live vector is stored under this passage id. */
  has(id: number): boolean {
    return this.labels.has(id);
  }

  /** Adds a vector under a passage id (replacing a live one of the same id), reusing a deleted slot when there is one. */
  add(id: number, vector: Float32Array | number[]): void {
    if (this.index.getCurrentCount() >= this.index.getMaxElements()) {
      this.index.resizeIndex(Math.ceil(this.index.getMaxElements() * 1.5) + 16);
    }
    // A live label is updated in place; a new one may take a deleted slot (hnswlib would
    // otherwise leave the old copy of a live label searchable in a reused slot).
    this.index.addPoint(Array.from(vector), id, !this.labels.has(id));
    this.labels.add(id);
  }

  /** Marks a passage id deleted; returns false when it was absent or already deleted. */
  remove(id: number): boolean {
    if (!this.labels.delete(id)) return false;
    try {
      this.index.markDelete(id);
      return true;
    } catch {
      return false;
    }
  }

  /** The k nearest live vectors, most similar first. */
  search(vector: Float32Array | number[], k: number): VectorHit[] {
    if (this.labels.size === 0 || k <= 0) return [];
    this.index.setEf(Math.max(this.efSearch, k));
    const result = this.index.searchKnn(Array.from(vector), Math.min(k, this.labels.size));
    return result.neighbors.map((id, i) => ({ id, similarity: 1 - (result.distances[i] ?? 1) }));
  }

  /**
   * Makes the index agree with the set of stored vector ids: labels the store no longer has are
   * deleted, stored vectors the index lacks are added (loaded through `vectorOf`).
   * Returns how many labels were deleted and added.
   */
  reconcile(storedIds: Iterable<number>, vectorOf: (id: number) => Float32Array | undefined): { deleted: number; added: number } {
    const { deleted, missing } = this.sync(storedIds);
    let added = 0;
    for (const id of missing) {
      const vector = vectorOf(id);
      if (vector) {
        this.add(id, vector);
        added++;
      }
    }
    return { deleted, added };
  }

  /**
   * The cheap half of `reconcile`: deletes the labels the store no longer has and returns the
   * stored ids the index lacks, for the caller to add (all at once, or a slice at a time).
   */
  sync(storedIds: Iterable<number>): { deleted: number; missing: number[] } {
    const stored = new Set(storedIds);
    const listed = new Set(this.index.getIdsList());
    const live = new Set<number>();
    let deleted = 0;
    for (const id of listed) {
      if (stored.has(id)) {
        live.add(id);
      } else {
        try {
          this.index.markDelete(id);
          deleted++;
        } catch {
          // Already deleted: nothing to do.
        }
      }
    }
    this.labels = live;
    const missing: number[] = [];
    for (const id of stored) if (!listed.has(id)) missing.push(id);
    return { deleted, missing };
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

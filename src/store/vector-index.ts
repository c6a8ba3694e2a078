import fs from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { VectorIndexFileError } from '../core/errors.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** HNSW build and search parameters. */
export interface VectorIndexOptions {
  /** Candidate list size at query time (>= k); higher is more exact and slower. No default here: the store passes config.retrieval.efSearch. */
  efSearch: number;
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
  static create(dimension: number, capacity: number, options: VectorIndexOptions): VectorIndex {
    const index = new HierarchicalNSW('cosine', dimension);
    index.initIndex({
      maxElements: Math.max(16, capacity),
      m: options.m ?? 16,
      efConstruction: options.efConstruction ?? 200,
      randomSeed: 42,
      allowReplaceDeleted: true,
    });
    return new VectorIndex(dimension, index, options.efSearch, []);
  }

  /** Reads an index file. Throws when the file is missing, unreadable or of another dimension. */
  static load(file: string, dimension: number, options: VectorIndexOptions): VectorIndex {
    // hnswlib takes the dimension from its caller and never compares it with the file: read the
    // file's own structure first, or an index of another dimension would be read out of step.
    const fd = fs.openSync(file, 'r');
    try {
      const header = readIndexHeader(fd);
      const expected = header.maxM0 * 4 + 4 + dimension * 4 + 8;
      if (header.bytesPerElement !== expected || header.dataOffset !== header.maxM0 * 4 + 4) {
        throw new VectorIndexFileError(`index file holds vectors of another dimension (${(header.bytesPerElement - header.dataOffset - 8) / 4}, expected ${dimension})`);
      }
    } finally {
      fs.closeSync(fd);
    }
    const index = new HierarchicalNSW('cosine', dimension);
    index.readIndexSync(file, true);
    // Labels deleted before the save are listed too: `retainOnly` (run on every open) settles them.
    return new VectorIndex(dimension, index, options.efSearch, index.getIdsList());
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

  /** Adds a vector under a passage id (replacing a live one of the same id), reusing a deleted slot when there is one. */
  add(id: number, vector: Float32Array | number[]): void {
    if (this.index.getCurrentCount() >= this.index.getMaxElements()) {
      this.index.resizeIndex(Math.ceil(this.index.getMaxElements() * 1.5) + 16);
    }
    // A live label is updated in place; a new one may take a deleted slot (hnswlib would
    // otherwise leave the old copy of a live label searchable in a reused slot).
    this.index.addPoint(Array.from(vector), id, !this.live.has(id));
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

  /**
   * The k nearest live vectors, most similar first; with `allow`, the k nearest of those it
   * allows (hnswlib applies the filter inside the graph search, so the k are found whatever
   * share of the index it excludes).
   */
  search(vector: Float32Array | number[], k: number, allow?: (id: number) => boolean): VectorHit[] {
    if (this.live.size === 0 || k <= 0) return [];
    this.index.setEf(Math.max(this.efSearch, k));
    const result = this.index.searchKnn(Array.from(vector), Math.min(k, this.live.size), allow);
    return result.neighbors.map((id, i) => ({ id, similarity: 1 - (result.distances[i] ?? 1) }));
  }

  /**
   * Writes the index to `file` atomically: temp file in the same folder, fsync, a check of the
   * temp file (exact size from its own structure, and vectors read back), then rename. hnswlib's
   * writer does not report failed writes (a full disk leaves a short or empty file), so a file
   * that fails the check never replaces the previous index: this throws instead.
   */
  save(file: string): void {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    try {
      this.index.writeIndexSync(tmp);
      const fd = fs.openSync(tmp, 'r');
      try {
        fs.fsyncSync(fd);
        this.verifyFile(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** Checks a written index file against this index: header, exact size and a few vectors read back. */
  private verifyFile(fd: number): void {
    const header = readIndexHeader(fd);
    const count = this.index.getCurrentCount();
    if (header.count !== count) throw new VectorIndexFileError(`index file lists ${header.count} vectors, the index has ${count}`);
    const expectedPerElement = header.maxM0 * 4 + 4 + this.dimension * 4 + 8;
    if (header.bytesPerElement !== expectedPerElement) throw new VectorIndexFileError(`index file has ${header.bytesPerElement} bytes per vector, expected ${expectedPerElement}`);
    // Read back vectors spread over the file with their labels and compare them to memory
    // (deleted labels are not readable from memory: those are passed over).
    const element = Buffer.alloc(header.bytesPerElement);
    let compared = 0;
    for (let k = 0; k < Math.min(count, 64) && compared < 3; k++) {
      const i = Math.floor((k * count) / Math.min(count, 64));
      if (fs.readSync(fd, element, 0, element.length, INDEX_HEADER_BYTES + i * header.bytesPerElement) !== element.length) throw new VectorIndexFileError('index file is short');
      const label = Number(element.readBigUInt64LE(header.labelOffset));
      let memory: number[];
      try {
        memory = this.index.getPoint(label);
      } catch {
        continue;
      }
      const stored = new Float32Array(element.buffer.slice(element.byteOffset + header.dataOffset, element.byteOffset + header.dataOffset + this.dimension * 4));
      if (memory.some((v, d) => Math.fround(v) !== stored[d])) throw new VectorIndexFileError(`vector ${label} reads back different from the index in memory`);
      compared++;
    }
  }
}

const INDEX_HEADER_BYTES = 96;

/**
 * Reads an hnswlib index file's header and walks its link lists to check that the file is exactly
 * as long as its own structure says (what hnswlib's loader checks too). Throws when it is not.
 */
export function readIndexHeader(fd: number): { count: number; bytesPerElement: number; labelOffset: number; dataOffset: number; maxM0: number } {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(INDEX_HEADER_BYTES);
  if (size < INDEX_HEADER_BYTES || fs.readSync(fd, head, 0, INDEX_HEADER_BYTES, 0) !== INDEX_HEADER_BYTES) throw new VectorIndexFileError(`index file is ${size} bytes: too short`);
  const word = (offset: number) => Number(head.readBigUInt64LE(offset));
  // size_t offsetLevel0, maxElements, count, bytesPerElement, labelOffset, dataOffset; int maxLevel;
  // uint entryPoint; size_t maxM, maxM0, M; double mult; size_t efConstruction.
  const count = word(16);
  const bytesPerElement = word(24);
  const labelOffset = word(32);
  const dataOffset = word(40);
  const maxM = word(56);
  const maxM0 = word(64);
  const linksPerLevel = maxM * 4 + 4;
  let pos = INDEX_HEADER_BYTES + count * bytesPerElement;
  if (!(bytesPerElement > 0) || pos > size) throw new VectorIndexFileError(`index file is ${size} bytes, its header needs at least ${pos}`);
  // Link lists: a 4-byte size then that many bytes, per element. Read sequentially in blocks.
  const block = Buffer.alloc(1 << 20);
  let blockStart = -1;
  let blockEnd = -1;
  const readUint32 = (at: number): number => {
    if (at < blockStart || at + 4 > blockEnd) {
      blockStart = at;
      blockEnd = at + fs.readSync(fd, block, 0, block.length, at);
      if (at + 4 > blockEnd) throw new VectorIndexFileError('index file is short');
    }
    return block.readUInt32LE(at - blockStart);
  };
  for (let i = 0; i < count; i++) {
    if (pos + 4 > size) throw new VectorIndexFileError(`index file is short: ${size} bytes, link list ${i} of ${count} starts at ${pos}`);
    const links = readUint32(pos);
    if (links % linksPerLevel !== 0) throw new VectorIndexFileError(`index file is corrupt: link list ${i} has ${links} bytes`);
    pos += 4 + links;
  }
  if (pos !== size) throw new VectorIndexFileError(`index file is ${size} bytes, its structure says ${pos}`);
  return { count, bytesPerElement, labelOffset, dataOffset, maxM0 };
}

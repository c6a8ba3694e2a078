import fs from 'node:fs';
import { ErrorCodes, NewsBotError, describeError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { VectorIndex } from './vector-index.js';
import { GLOBAL_SCOPE, type Scope, type ScopeFilter, type VectorHit } from './ports.js';
import { coalescing } from '../core/coalesce.js';

/** One entry of a store's vector change log. */
export interface VectorChange {
  seq: number;
  id: number;
  op: 'add' | 'del';
}

/**
 * Where the derived index reads the truth from: the stored vectors and the log of changes to
 * them, written in the same transactions as the vectors (both backends keep one).
 */
export interface VectorSource {
  /** Highest sequence number in the change log (0 when nothing was ever logged). */
  lastSeq(): Promise<number>;
  /**
   * Lowest sequence number still in the log (null when the log is empty; Infinity when the store
   * keeps no log, which makes every update compare ids).
   */
  firstSeq(): Promise<number | null>;
  /** Changes with seq > `seq`, oldest first, at most `limit`. */
  changesAfter(seq: number, limit: number): Promise<VectorChange[]>;
  /** Ids of every stored vector. */
  vectorIds(): Promise<number[]>;
  /** The stored vectors of these ids (absent ids are left out). */
  vectorsOf(ids: readonly number[]): Promise<Map<number, Float32Array>>;
  /**
   * The scope of every passage not in the global scope, of these ids (or of the whole store when
   * `ids` is undefined). A passage's scope never changes and passage ids are never reused.
   */
  scopedPassages(ids?: readonly number[]): Promise<Map<number, Scope>>;
}

/** Settings of a derived index. */
export interface DerivedIndexOptions {
  efSearch: number;
  logger?: Logger;
  /** Longest a slice of index work holds the event loop, in ms (at least one vector a slice). */
  sliceMs?: number;
  /**
   * Identifies the store the index file belongs to (written beside it): a file left from another
   * store (a database deleted by hand, a folder copied) is rebuilt, never trusted.
   */
  fingerprint?: string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Log entries read per round trip while catching up. */
const LOG_PAGE = 2_000;

/**
 * The in-memory HNSW index of one process, derived from a store's vectors: loaded from a local
 * file (or rebuilt from the stored vectors), then kept current by replaying the store's change
 * log. Every change reaches the index through the log, whichever process wrote it. Work is done
 * in slices with the event loop free between them, so a large ingest elsewhere never stalls a
 * query here: searches meanwhile use the index as it stands.
 */
export class DerivedVectorIndex {
  private readonly file: string | null;
  private readonly dimension: number;
  private readonly source: VectorSource;
  private readonly efSearch: number;
  private readonly logger: Logger;
  private readonly sliceMs: number;
  private readonly fingerprint: string | undefined;
  private index: VectorIndex | null = null;
  private appliedSeq = 0;
  /** Labels of the index whose passage is not global, with their scope (every other label is global). */
  private scoped = new Map<number, Scope>();
  /** Additions and removals since the file was last written. */
  private unsaved = 0;
  /** Longest synchronous stretch of index work, in ms (for benchmarks and tests). */
  longestSliceMs = 0;

  constructor(file: string | null, dimension: number, source: VectorSource, options: DerivedIndexOptions) {
    this.file = file;
    this.dimension = dimension;
    this.source = source;
    this.efSearch = options.efSearch;
    this.logger = options.logger ?? silentLogger;
    this.sliceMs = options.sliceMs ?? 8;
    this.fingerprint = options.fingerprint;
  }

  /** Vectors in the index (0 before it is opened). */
  get size(): number {
    return this.index?.size ?? 0;
  }

  /** The log position the index reflects. */
  get seq(): number {
    return this.appliedSeq;
  }

  /** True once the index is loaded and searchable. */
  get ready(): boolean {
    return this.index !== null;
  }

  /**
   * Nearest stored vectors to `vector` as the index stands now; with `scopes`, only vectors of
   * those scopes, filtered inside the HNSW search (so filtering never starves the k results).
   */
  search(vector: Float32Array, k: number, scopes?: ScopeFilter): VectorHit[] {
    if (!this.index) return [];
    const allowed = new Set(scopes);
    const globalAllowed = allowed.has(GLOBAL_SCOPE);
    if (scopes === undefined || (this.scoped.size === 0 && globalAllowed)) return this.index.search(vector, k);
    const scoped = this.scoped;
    return this.index.search(vector, k, (id) => {
      const scope = scoped.get(id);
      return scope === undefined ? globalAllowed : allowed.has(scope);
    });
  }

  /**
   * Brings the index up to date with the store: on first use loads the file (or rebuilds from
   * the stored vectors), then replays the log. Concurrent calls share one run; a call during a
   * run schedules one more run after it.
   */
  readonly update: () => Promise<void> = coalescing(() => (this.index ? this.replay() : this.open()));

  /**
   * Loads the index file (or starts an empty index), then makes it agree with the stored vectors:
   * labels the store no longer has are deleted, stored vectors it lacks are added. Comparing ids
   * is cheap; only the additions cost, and they go in slices.
   */
  private async open(): Promise<void> {
    const startSeq = await this.source.lastSeq();
    let index: VectorIndex | null = null;
    const owner = this.file ? readOwner(this.file) : null;
    if (this.file && owner !== null && this.fingerprint !== undefined && owner !== this.fingerprint) {
      this.logger.warn('vector index file belongs to another store; rebuilding it from stored vectors');
    } else if (this.file && fs.existsSync(this.file)) {
      try {
        index = VectorIndex.load(this.file, this.dimension, { efSearch: this.efSearch });
      } catch (error) {
        this.logger.warn('vector index file unreadable; rebuilding it from stored vectors', { error: describeError(error) });
      }
    }
    index ??= VectorIndex.create(this.dimension, 1024, { efSearch: this.efSearch });
    await this.reconcile(index, startSeq);
  }

  private async reconcile(index: VectorIndex, startSeq: number): Promise<void> {
    // Read before the ids: every label loaded from the file existed then; later ones are added below, with their scopes.
    const scoped = await this.source.scopedPassages();
    const stored = await this.source.vectorIds();
    this.scoped = scoped;
    const { deleted, missing } = index.retainOnly(stored);
    index.reserve(index.size + missing.length);
    await this.addSlices(index, missing);
    this.index = index;
    this.appliedSeq = startSeq;
    this.unsaved += deleted + missing.length;
    if (deleted || missing.length) this.logger.debug('vector index reconciled with the store', { deleted, added: missing.length });
    await this.replayLog();
  }

  private async addSlices(index: VectorIndex, ids: number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += LOG_PAGE) {
      const page = ids.slice(i, i + LOG_PAGE);
      const vectors = await this.source.vectorsOf(page);
      // Scopes first: a vector is never searchable before its scope is known.
      for (const [id, scope] of await this.source.scopedPassages(page)) this.scoped.set(id, scope);
      let j = 0;
      while (j < page.length) {
        const started = performance.now();
        do {
          const id = page[j++]!;
          const vector = vectors.get(id);
          if (vector && !index.has(id)) index.add(id, vector);
        } while (j < page.length && performance.now() - started < this.sliceMs);
        this.longestSliceMs = Math.max(this.longestSliceMs, performance.now() - started);
        await yieldToEventLoop();
      }
    }
  }

  /** Applies the log after appliedSeq; reconciles in full when the log was trimmed past it. */
  private async replay(): Promise<void> {
    const index = this.index!;
    const first = await this.source.firstSeq();
    if (first !== null && first > this.appliedSeq + 1) {
      if (Number.isFinite(first)) this.logger.info('the vector change log was trimmed past this index; reconciling with the stored vectors');
      await this.reconcile(index, await this.source.lastSeq());
      return;
    }
    await this.replayLog();
  }

  private async replayLog(): Promise<void> {
    const index = this.index!;
    for (;;) {
      const changes = await this.source.changesAfter(this.appliedSeq, LOG_PAGE);
      if (changes.length === 0) return;
      // The net effect per id within the page: the last operation wins.
      const last = new Map<number, 'add' | 'del'>();
      for (const c of changes) last.set(c.id, c.op);
      const adds: number[] = [];
      for (const [id, op] of last) {
        if (op === 'del') {
          if (index.remove(id)) this.unsaved++;
          this.scoped.delete(id);
        } else if (!index.has(id)) {
          adds.push(id);
        }
      }
      this.unsaved += adds.length;
      await this.addSlices(index, adds);
      this.appliedSeq = changes[changes.length - 1]!.seq;
      if (changes.length < LOG_PAGE) return;
    }
  }

  /**
   * Writes the index file atomically when it changed since the last save; a failed write leaves
   * the previous file in place. Unless `force`, a few changes to a large existing file wait for
   * later: the file is a cache that opening reconciles with the stored vectors, so a stale or
   * missing file costs time, never correctness, and rewriting a large index for one changed
   * article would cost more than the change.
   */
  save(options: { force?: boolean } = {}): boolean {
    if (!this.file || !this.index || this.unsaved === 0) return false;
    if (!options.force && this.unsaved < Math.max(1_000, this.index.size * 0.02) && fs.existsSync(this.file)) return false;
    this.index.save(this.file);
    if (this.fingerprint !== undefined) writeOwner(this.file, this.fingerprint);
    this.unsaved = 0;
    return true;
  }
}

/**
 * Persists a store's derived index after an ingest (or at close): `index.save`, with a failed
 * write as one StoreIo error that says what it means. The index is derived data: the previous
 * file is kept (a failed write never replaces it) and reconciled with the stored vectors on the
 * next open, while everything the ingest wrote is committed in the store.
 */
export function saveDerivedIndex(index: DerivedVectorIndex | null, folder: string, options: { force?: boolean } = {}): void {
  try {
    index?.save(options);
  } catch (error) {
    throw new NewsBotError(
      ErrorCodes.StoreIo,
      `could not write the vector index in ${folder} (${describeError(error)}); the previous index file is kept and brought up to date from the stored vectors on the next start.`,
      { cause: error },
    );
  }
}

/** The fingerprint of the store an index file was written for (null when none was recorded). */
function readOwner(file: string): string | null {
  try {
    const data = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { store?: unknown };
    return typeof data.store === 'string' ? data.store : null;
  } catch {
    return null;
  }
}

function writeOwner(file: string, fingerprint: string): void {
  const tmp = `${file}.json.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ store: fingerprint }));
  fs.renameSync(tmp, `${file}.json`);
}

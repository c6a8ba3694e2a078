import { openSqliteStore, type SqliteOpening } from '../../src/app/root.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/**
 * Opens (or creates) a SQLite store in `dir` through the app's composition root (src/app/root.ts),
 * as the entry points do: lexical only, this version's chunker and the default HNSW ef unless the
 * test says otherwise.
 */
export function openTestStore(dir: string, opening: Partial<SqliteOpening> = {}): SqliteStore {
  return openSqliteStore(dir, { embedding: null, ...opening });
}

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { destroyNewsStore, openNewsStore, openSqliteStore } from '../../src/app/root.js';
import type { NewsStore } from '../../src/store/ports.js';
import type { ManifestExpectation } from '../../src/store/manifest.js';
import { tempDir } from './env.js';

/** The PostgreSQL server for tests (started by scripts/test-postgres.sh; .ci/run does it). */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? '';
/** Why PostgreSQL tests are skipped, printed once so a skipped run says so. */
export const NO_POSTGRES_REASON = 'skipped: TEST_DATABASE_URL is not set (run `export TEST_DATABASE_URL=$(scripts/test-postgres.sh)` to start a throwaway server)';
if (!TEST_DATABASE_URL) {
  // CI starts a server and sets NEWSBOT_REQUIRE_POSTGRES: there a missing one is a failure, not a skip.
  if (process.env['NEWSBOT_REQUIRE_POSTGRES']) throw new Error(`TEST_DATABASE_URL is not set but NEWSBOT_REQUIRE_POSTGRES is: ${NO_POSTGRES_REASON}`);
  console.warn(NO_POSTGRES_REASON);
}

/** A way to open fresh stores of one backend, and to reopen the same one. */
export interface StoreFactory {
  backend: 'sqlite' | 'postgres';
  /** True when this backend can run here. */
  available: boolean;
  /**
   * A new empty store location; `open` opens it (again), `cleanup` removes it. `indexFile`: where
   * this process keeps the store's vector index file.
   */
  create(): { open(expect: ManifestExpectation & { follow?: boolean }): Promise<NewsStore>; cleanup(): Promise<void>; indexFile: string };
}

/** SQLite stores, each in its own temporary folder. */
export const sqliteStores: StoreFactory = {
  backend: 'sqlite',
  available: true,
  create() {
    const { dir, cleanup } = tempDir('newsbot-sqlite-');
    return {
      open: async (expect) => openSqliteStore(dir, { efSearch: 64, ...expect }),
      cleanup: async () => cleanup(),
      indexFile: path.join(dir, 'vectors.hnsw'),
    };
  },
};

/** PostgreSQL stores, each in its own schema of the test database. */
export const postgresStores: StoreFactory = {
  backend: 'postgres',
  available: TEST_DATABASE_URL !== '',
  create() {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const { dir, cleanup } = tempDir('newsbot-pg-');
    return {
      open: (expect) => openNewsStore({ database: { kind: 'postgres', url: TEST_DATABASE_URL, schema }, dataDir: dir, efSearch: 64, ...expect }),
      indexFile: path.join(dir, `vectors-pg-${schema}.hnsw`),
      async cleanup() {
        await destroyNewsStore({ kind: 'postgres', url: TEST_DATABASE_URL, schema }, dir);
        cleanup();
      },
    };
  },
};

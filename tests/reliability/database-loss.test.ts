import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyNewsStore, openNewsStore } from '../../src/app/root.js';
import { createLogger } from '../../src/core/logger.js';
import type { Article } from '../../src/core/types.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import type { ReadResult } from '../../src/ingest/read-articles.js';
import type { NewsStore } from '../../src/store/ports.js';
import { tempDir } from '../helpers/env.js';
import { TEST_DATABASE_URL } from '../helpers/stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** `n` small distinct articles. */
function articles(n: number): ReadResult[] {
  return Array.from({ length: n }, (_, i) => {
    const text = `Harbour report ${i}. The council of town ${i} approved ${100 + i} new moorings on Tuesday.\n\nWork starts in spring ${2000 + (i % 30)}.`;
    const article: Article = { id: `loss-${i}`, title: `Town ${i} moorings`, text, date: '2025-03-01', source: 'test', url: null, author: null, origin: `loss/${i}.txt`, contentHash: createHash('sha256').update(text).digest('hex') };
    return { kind: 'article', article, file: `loss/${i}.txt` };
  });
}

/**
 * The database goes away in the middle of an ingest (the connection cut by a proxy between the
 * store and the test PostgreSQL): the ingest waits and retries with backoff, and either finishes
 * once the database is back, or, past DATABASE_RETRY_SECONDS, fails with a clear message keeping
 * every committed batch, so the next run adds only the rest.
 */
describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL connection loss during an ingest', () => {
  const target = new URL(TEST_DATABASE_URL);
  const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  let url: string;
  let dir: string;
  let cleanup: () => void;
  const schemas: string[] = [];
  beforeAll(async () => {
    const port = await proxy.start();
    const via = new URL(TEST_DATABASE_URL);
    via.hostname = '127.0.0.1';
    via.port = String(port);
    url = via.toString();
    ({ dir, cleanup } = tempDir('newsbot-dbloss-'));
  });
  afterAll(async () => {
    await proxy.stop();
    for (const schema of schemas) await destroyNewsStore({ kind: 'postgres', url: TEST_DATABASE_URL, schema }, dir).catch(() => {});
    cleanup();
  });

  const open = (retrySeconds: number, logs: string[]): Promise<NewsStore> => {
    const schema = `t_loss_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    return openNewsStore({ database: { kind: 'postgres', url, schema, retrySeconds }, dataDir: dir, embedding: null, logger: createLogger('info', (l) => logs.push(l)) });
  };

  it('a cut of a few seconds mid-ingest: the batches wait, retry and all land once, the store consistent', async () => {
    const logs: string[] = [];
    const store = await open(60, logs);
    try {
      let cut: Promise<void> | null = null;
      const summary = await ingestArticles(store, null, articles(300), {
        batchPassages: 40,
        onProgress: ({ done }) => {
          if (cut || done < 60) return;
          // Some batches are committed: the database goes away for 2 s.
          cut = proxy.cut().then(() => new Promise<void>((resolve) => setTimeout(resolve, 2_000))).then(() => proxy.start().then(() => {}));
        },
      });
      await cut;
      expect(cut).not.toBeNull();
      expect(summary.added).toBe(300);
      expect(logs.some((l) => /^warn {2}database unreachable \(.*\); a (read|write): retry 1 in /.test(l))).toBe(true);
      expect(logs.some((l) => /database reachable again: a (read|write) went through after \d+ retr/.test(l))).toBe(true);
      expect((await store.stats()).articles).toBe(300);
      const report = await store.checkConsistency();
      expect(report.problems).toEqual([]);
      expect(report.passages).toBe(report.lexical);
    } finally {
      await store.close();
    }
  });

  it('a database gone for longer than DATABASE_RETRY_SECONDS: a clear error within the bound, nothing committed lost, the next run adds the rest', async () => {
    const logs: string[] = [];
    const store = await open(2, logs);
    try {
      let committed = 0;
      let cutAt = 0;
      const failure = await ingestArticles(store, null, articles(300), {
        batchPassages: 40,
        onProgress: ({ done }) => {
          if (cutAt || done < 60) return;
          committed = done;
          cutAt = Date.now();
          void proxy.cut();
        },
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/the database postgres:\/\/.*127\.0\.0\.1:\d+/);
      expect((failure as Error).message).not.toContain(target.password || 'no-password-in-url');
      // Gave up after the retry time, not at once and not never.
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(1_500);
      expect(Date.now() - cutAt).toBeLessThan(30_000);
      expect(logs.filter((l) => l.startsWith('warn  database unreachable')).length).toBeGreaterThanOrEqual(2);
      await proxy.start();
      const stored = (await store.stats()).articles;
      expect(stored).toBeGreaterThanOrEqual(committed > 0 ? 1 : 0);
      const again = await ingestArticles(store, null, articles(300), { batchPassages: 40 });
      expect(again.added + again.unchanged).toBe(300);
      expect(again.unchanged).toBe(stored);
      expect((await store.stats()).articles).toBe(300);
      expect((await store.checkConsistency()).problems).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

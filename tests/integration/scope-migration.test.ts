import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { destroyNewsStore, openNewsStore, type DatabaseChoice } from '../../src/app/root.js';
import type { Article } from '../../src/core/types.js';
import type { NewsStore } from '../../src/store/ports.js';
import { tempDir } from '../helpers/env.js';
import { TEST_DATABASE_URL } from '../helpers/stores.js';

function article(id: string, title: string, text: string): Article {
  return { id, title, text, date: '2024-05-01', source: 'test', url: `https://example.com/${id}`, author: null, origin: `t/${id}.txt`, contentHash: `h-${id}` };
}

/** A store with two articles, then taken back to the schema before scopes (no scope columns, feeds or audit tables). */
async function storeBeforeScopes(database: DatabaseChoice, dir: string): Promise<void> {
  const store = await openNewsStore({ database, dataDir: dir, embedding: null });
  await store.putArticles(
    ['a', 'b'].map((id) => ({ article: article(id, `Harbour story ${id}`, 'The harbour reopened after the storm.'), passages: [{ position: 0, start: 0, end: 37, text: 'The harbour reopened after the storm.' }] })),
  );
  await store.close();
  if (database.kind === 'sqlite') {
    const db = new Database(path.join(dir, 'news.db'));
    db.exec(`DROP INDEX passages_scoped; DROP INDEX articles_scope; DROP TABLE feeds; DROP TABLE audit;
      ALTER TABLE articles DROP COLUMN scope; ALTER TABLE articles DROP COLUMN added_by; ALTER TABLE passages DROP COLUMN scope;`);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const s = `"${database.schema}"`;
  await client.query(`DROP TABLE ${s}.feeds; DROP TABLE ${s}.audit; ALTER TABLE ${s}.articles DROP COLUMN scope, DROP COLUMN added_by; ALTER TABLE ${s}.passages DROP COLUMN scope;`);
  await client.end();
}

const cases: { name: string; available: boolean; database: () => DatabaseChoice }[] = [
  { name: 'sqlite', available: true, database: () => ({ kind: 'sqlite' }) },
  { name: 'postgres', available: TEST_DATABASE_URL !== '', database: () => ({ kind: 'postgres', url: TEST_DATABASE_URL, schema: `m_${randomBytes(6).toString('hex')}` }) },
];

describe.each(cases)('a store made before scopes ($name)', ({ available, database: choose }) => {
  it.skipIf(!available)('opens with every article global, searchable from any server, and takes scoped articles, feeds and audit entries', async () => {
    const { dir, cleanup } = tempDir('newsbot-migrate-');
    const database = choose();
    let store: NewsStore | undefined;
    try {
      await storeBeforeScopes(database, dir);
      store = await openNewsStore({ database, dataDir: dir, embedding: null });
      expect((await store.listArticles(['global'], 10, 0)).total).toBe(2);
      expect(await store.articleScope('a')).toBe('global');
      expect(await store.lexicalSearch(['harbour'], 10, undefined, ['global', '900000000000000002'])).toHaveLength(2);
      expect(await store.latestArticles(10, ['global'])).toHaveLength(2);
      await store.putArticles([
        { article: article('900000000000000002:c', 'Harbour story c', 'The harbour is closed again.'), passages: [{ position: 0, start: 0, end: 28, text: 'The harbour is closed again.' }], scope: '900000000000000002', addedBy: '1' },
      ]);
      expect(await store.lexicalSearch(['harbour'], 10, undefined, ['global'])).toHaveLength(2);
      expect(await store.lexicalSearch(['harbour'], 10, undefined, ['global', '900000000000000002'])).toHaveLength(3);
      expect(await store.addFeed({ url: 'https://example.com/feed.xml', scope: '900000000000000002', addedBy: '1' })).toBe(true);
      await store.audit({ scope: '900000000000000002', actor: '1', action: 'feed.add', target: 'https://example.com/feed.xml' });
      expect(await store.auditTrail('900000000000000002', 5)).toHaveLength(1);
      expect((await store.checkConsistency()).problems).toEqual([]);
    } finally {
      await store?.close();
      await destroyNewsStore(database, dir);
      cleanup();
    }
  });
});

/** The columns and table feed deliveries added. */
const DELIVERY_COLUMNS = ['last_read_at', 'channel_id', 'channel_forum', 'filter', 'delivered_seq', 'delivery_error', 'delivery_log'];

/** A store with a stored feed, then taken back to the schema before feed deliveries. */
async function storeBeforeFeedDeliveries(database: DatabaseChoice, dir: string): Promise<void> {
  const store = await openNewsStore({ database, dataDir: dir, embedding: null });
  await store.addFeed({ url: 'https://example.com/feed.xml', scope: '900000000000000002', addedBy: '1' });
  await store.recordFeedPoll('900000000000000002', 'https://example.com/feed.xml', null);
  await store.close();
  if (database.kind === 'sqlite') {
    const db = new Database(path.join(dir, 'news.db'));
    db.exec(`DROP TABLE feed_items; ${DELIVERY_COLUMNS.map((c) => `ALTER TABLE feeds DROP COLUMN ${c};`).join(' ')}`);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const s = `"${database.schema}"`;
  await client.query(`DROP TABLE ${s}.feed_items; ALTER TABLE ${s}.feeds ${DELIVERY_COLUMNS.map((c) => `DROP COLUMN ${c}`).join(', ')};`);
  await client.end();
}

describe.each(cases)('a store made before feed deliveries ($name)', ({ available, database: choose }) => {
  it.skipIf(!available)('opens with its feeds delivering nowhere, and takes a delivery and the articles of a poll', async () => {
    const { dir, cleanup } = tempDir('newsbot-migrate-feeds-');
    const database = choose();
    let store: NewsStore | undefined;
    try {
      await storeBeforeFeedDeliveries(database, dir);
      store = await openNewsStore({ database, dataDir: dir, embedding: null });
      const [feed] = await store.listFeeds();
      expect(feed).toMatchObject({ url: 'https://example.com/feed.xml', lastError: null, delivery: null });
      expect(await store.setFeedDelivery(feed!.scope, feed!.url, { channelId: '5', forum: false, filter: null })).toBe(true);
      // Read before the migration (but not known to have been): this first read's articles are initial.
      await store.recordFeedPoll(feed!.scope, feed!.url, null, ['a']);
      await store.recordFeedPoll(feed!.scope, feed!.url, null, ['a', 'b']);
      expect((await store.deliveries.feedItems(feed!.scope, feed!.url, 0, 10)).map((i) => [i.articleId, i.initial])).toEqual([['a', true], ['b', false]]);
    } finally {
      await store?.close();
      await destroyNewsStore(database, dir);
      cleanup();
    }
  });
});

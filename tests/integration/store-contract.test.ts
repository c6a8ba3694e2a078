import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NewsBotError, StoreModelMismatchError } from '../../src/core/errors.js';
import type { Article } from '../../src/core/types.js';
import { VECTOR_LOG_KEEP, trimVectorLog } from '../../src/store/contract.js';
import { BM25 } from '../../src/store/lexical-terms.js';
import type { ArticleInput, NewsStore, PassageInput } from '../../src/store/ports.js';
import { unitVector } from '../helpers/env.js';
import { postgresStores, sqliteStores, type StoreFactory } from '../helpers/stores.js';

const DIM = 16;
const EMB = { embedding: { modelId: 'test/model', dimension: DIM }, chunkerVersion: 1 };
const LEXICAL_ONLY = { embedding: null, chunkerVersion: 1 };

function article(id: string, title: string, text: string, extra: Partial<Article> = {}): Article {
  return { id, title, text, date: '2024-05-01', source: 'test', url: null, author: null, origin: `t/${id}.txt`, contentHash: `h-${id}-${text.length}`, ...extra };
}

/** Passages from `|`-separated text, each with a vector seeded by `seed`. */
function passages(text: string, seed: number, withVectors = true): PassageInput[] {
  return text.split('|').map((t, i) => ({ position: i, start: 0, end: t.length, text: t, ...(withVectors ? { vector: unitVector(DIM, seed * 100 + i) } : {}) }));
}

function item(id: string, title: string, text: string, seed: number, extra: Partial<Article> = {}): ArticleInput {
  return { article: article(id, title, text, extra), passages: passages(text, seed) };
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** BM25 as FTS5 computes it, for a query of single words over (title, text) rows. */
function referenceBm25(rows: { title: string[]; text: string[] }[], query: string[], titleWeight: number): number[] {
  const n = rows.length;
  const avgdl = rows.reduce((sum, r) => sum + r.title.length + r.text.length, 0) / n;
  return rows.map((r) => {
    let score = 0;
    for (const q of query) {
      const df = rows.filter((x) => x.title.includes(q) || x.text.includes(q)).length;
      if (df === 0) continue;
      const idf = Math.max(1e-6, Math.log((n - df + 0.5) / (df + 0.5)));
      const w = titleWeight * r.title.filter((t) => t === q).length + r.text.filter((t) => t === q).length;
      const dl = r.title.length + r.text.length;
      score += (idf * w * (BM25.k1 + 1)) / (w + BM25.k1 * (1 - BM25.b + (BM25.b * dl) / avgdl));
    }
    return score;
  });
}

const backends: StoreFactory[] = [sqliteStores, postgresStores];

describe.each(backends)('store contract: $backend', (factory) => {
  let place: ReturnType<StoreFactory['create']>;
  const opened: NewsStore[] = [];
  const open = async (expect: Parameters<typeof place.open>[0] = EMB) => {
    const store = await place.open(expect);
    opened.push(store);
    return store;
  };
  beforeEach(() => {
    if (factory.available) place = factory.create();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    if (factory.available) await place.cleanup();
  });
  const test = factory.available ? it : it.skip;

  test('scopes: both searches and the latest see only the scopes asked for; the vector filter never starves the k results, across processes and reopening', async () => {
    const store = await open();
    const query = unitVector(DIM, 4242);
    const near = (i: number) => {
      const v = Float32Array.from(query, (x, d) => x + (d === i % DIM ? 0.001 * (i + 1) : 0));
      return v;
    };
    // Server B's 40 passages are the query's nearest neighbours; the global ones are farther away.
    const scoped = (id: string, scope: string, i: number): ArticleInput => ({
      article: article(id, `Shared ${scope} story ${i}`, 'shared words about the harbour'),
      passages: [{ position: 0, start: 0, end: 30, text: 'shared words about the harbour', vector: near(i) }],
      scope,
      addedBy: '600000000000000001',
    });
    await store.putArticles(Array.from({ length: 40 }, (_, i) => scoped(`b${i}`, '900000000000000002', i)));
    await store.putArticles(Array.from({ length: 12 }, (_, i) => item(`g${i}`, `Global ${i}`, 'shared words about the council', 50 + i, { date: '2020-01-01' })));
    const scopeOf = async (ids: number[]) => Promise.all((await store.getPassages(ids)).map((r) => store.articleScope(r.article.id)));

    const everything = await store.vectorSearch(query, 5);
    expect(await scopeOf(everything.map((h) => h.id))).toEqual(Array(5).fill('900000000000000002'));
    const globalOnly = await store.vectorSearch(query, 5, ['global']);
    expect(globalOnly).toHaveLength(5);
    expect(await scopeOf(globalOnly.map((h) => h.id))).toEqual(Array(5).fill('global'));
    const otherServer = await store.vectorSearch(query, 10, ['global', '900000000000000003']);
    expect(new Set(await scopeOf(otherServer.map((h) => h.id)))).toEqual(new Set(['global']));
    expect(otherServer).toHaveLength(10);
    expect(new Set(await scopeOf((await store.vectorSearch(query, 5, ['global', '900000000000000002'])).map((h) => h.id)))).toEqual(new Set(['900000000000000002']));

    const lexical = await store.lexicalSearch(['shared'], 100, undefined, ['global']);
    expect(lexical).toHaveLength(12);
    expect(new Set(await scopeOf(lexical.map((h) => h.id)))).toEqual(new Set(['global']));
    expect(await store.lexicalSearch(['harbour'], 100, undefined, ['global', '900000000000000003'])).toEqual([]);
    expect(await store.lexicalSearch(['harbour'], 100, undefined, ['global', '900000000000000002'])).toHaveLength(40);
    expect(await store.lexicalSearch(['harbour'], 100)).toHaveLength(40);
    expect((await store.latestArticles(100, ['global'])).map((a) => a.id).every((id) => id.startsWith('g'))).toBe(true);
    expect(await store.latestArticles(100, ['global', '900000000000000002'])).toHaveLength(52);

    // Another connection (another process) adds a server's passage nearer still: this index follows with its scope.
    const writer = await open();
    await writer.putArticles([{ ...scoped('c0', '900000000000000003', 0), passages: [{ position: 0, start: 0, end: 30, text: 'shared words about the harbour', vector: query }] }]);
    await until(async () => {
      await store.refresh();
      return store.indexedVectors === 53;
    });
    const [nearest] = await store.vectorSearch(query, 1);
    expect(await scopeOf([nearest!.id])).toEqual(['900000000000000003']);
    expect(await scopeOf((await store.vectorSearch(query, 3, ['global'])).map((h) => h.id))).toEqual(['global', 'global', 'global']);
    expect(await store.findByUrl('nope', ['global'])).toBeUndefined();

    // Reopened, its index (from the file) still knows every label's scope.
    await store.afterIngest({ largeChange: true });
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    const again = await open();
    await again.openVectorIndex();
    const reopened = await again.vectorSearch(query, 5, ['global']);
    expect(reopened).toHaveLength(5);
    expect(new Set(await Promise.all((await again.getPassages(reopened.map((h) => h.id))).map((r) => again.articleScope(r.article.id))))).toEqual(new Set(['global']));

    // Removing a server's article takes it out of both searches.
    expect(await again.removeArticles(['c0'])).toBe(1);
    expect(await again.lexicalSearch(['harbour'], 100, undefined, ['global', '900000000000000003'])).toEqual([]);
    const [first] = await again.vectorSearch(query, 1, ['global', '900000000000000003']);
    expect(await again.articleScope((await again.getPassages([first!.id]))[0]!.article.id)).toBe('global');
    expect((await again.checkConsistency()).problems).toEqual([]);
  });

  test('scoped BM25 is exact however many passages of other servers rank first', async () => {
    const store = await open(LEXICAL_ONLY);
    const own = (id: string, scope: string): ArticleInput => ({
      article: article(id, 'Harbour news', 'shared harbour words'),
      passages: [{ position: 0, start: 0, end: 20, text: 'shared harbour words' }],
      scope,
    });
    // 80 passages of another server outrank the three global ones.
    await store.putArticles(Array.from({ length: 80 }, (_, i) => own(`x${i}`, '900000000000000007')));
    await store.putArticles(['g1', 'g2', 'g3'].map((id) => ({ article: article(id, 'Council news', 'shared council words, and more words besides'), passages: passages('shared council words, and more words besides', 1, false) })));
    for (const limit of [2, 3, 5, 100]) {
      const hits = await store.lexicalSearch(['shared'], limit, undefined, ['global', '900000000000000008']);
      expect(hits, String(limit)).toHaveLength(Math.min(limit, 3));
      expect((await store.getPassages(hits.map((h) => h.id))).map((r) => r.article.id).every((id) => id.startsWith('g'))).toBe(true);
    }
    expect(await store.lexicalSearch(['shared'], 90, undefined, ['global', '900000000000000007'])).toHaveLength(83);
    expect(await store.lexicalSearch(['harbour'], 10, undefined, ['900000000000000007'])).toHaveLength(10);
  });

  test('stored feeds and the audit trail, per scope', async () => {
    const store = await open(LEXICAL_ONLY);
    expect(await store.addFeed({ url: 'https://example.com/a.xml', scope: '900000000000000002', addedBy: '1' })).toBe(true);
    expect(await store.addFeed({ url: 'https://example.com/a.xml', scope: '900000000000000002', addedBy: '2' })).toBe(false);
    expect(await store.addFeed({ url: 'https://example.com/a.xml', scope: 'global', addedBy: '3' })).toBe(true);
    expect((await store.listFeeds(['900000000000000002'])).map((f) => [f.url, f.addedBy, f.lastPolledAt])).toEqual([['https://example.com/a.xml', '1', null]]);
    expect(await store.listFeeds()).toHaveLength(2);
    await store.recordFeedPoll('900000000000000002', 'https://example.com/a.xml', 'HTTP 404');
    expect((await store.listFeeds(['900000000000000002']))[0]).toMatchObject({ lastError: 'HTTP 404', lastPolledAt: expect.stringMatching(/^\d{4}-/) });
    expect(await store.removeFeed('900000000000000003', 'https://example.com/a.xml')).toBe(false);
    expect(await store.removeFeed('900000000000000002', 'https://example.com/a.xml')).toBe(true);
    expect((await store.listFeeds()).map((f) => f.scope)).toEqual(['global']);
    await store.audit({ scope: '900000000000000002', actor: '1', action: 'feed.add', target: 'https://example.com/a.xml' });
    await store.audit({ scope: 'global', actor: '3', action: 'article.add', target: 'x' });
    await store.audit({ scope: '900000000000000002', actor: '1', action: 'feed.remove', target: 'https://example.com/a.xml' });
    expect((await store.auditTrail('900000000000000002', 10)).map((e) => e.action)).toEqual(['feed.remove', 'feed.add']);
    expect(await store.auditTrail(undefined, 10)).toHaveLength(3);
  });

  test("feed deliveries: a feed's channel and filter, the articles it met in order (the first read's initial), its cursor and log", async () => {
    const store = await open(LEXICAL_ONLY);
    const [scope, url] = ['900000000000000002', 'https://example.com/feed.xml'];
    await store.addFeed({ url, scope, addedBy: '1' });
    expect((await store.listFeeds())[0]!.delivery).toBeNull();
    expect(await store.setFeedDelivery(scope, 'https://example.com/other.xml', { channelId: '5', forum: false, filter: null })).toBe(false);
    expect(await store.setFeedDelivery(scope, url, { channelId: '5', forum: true, filter: 'tunnel' })).toBe(true);
    expect((await store.listFeeds())[0]!.delivery).toEqual({ channelId: '5', forum: true, filter: 'tunnel', cursor: 0, lastError: null, log: { delivered: 0, skipped: {}, recent: [] } });
    // The first read's articles are initial; a failed poll records none as read; later ones are new, each once, in order.
    await store.recordFeedPoll(scope, url, 'HTTP 500', []);
    await store.recordFeedPoll(scope, url, null, ['a', 'b']);
    await store.recordFeedPoll(scope, url, null, ['b', 'c', 'a', 'd']);
    const items = await store.deliveries.feedItems(scope, url, 0, 10);
    expect(items.map((i) => [i.articleId, i.initial])).toEqual([['a', true], ['b', true], ['c', false], ['d', false]]);
    expect(items.map((i) => i.seq)).toEqual([...items.map((i) => i.seq)].sort((x, y) => x - y));
    expect((await store.deliveries.feedItems(scope, url, items[1]!.seq, 1)).map((i) => i.articleId)).toEqual(['c']);
    const log = { delivered: 1, skipped: { filter: 1 }, recent: [{ at: '2026-12-08T00:00:00.000Z', title: 'T', reason: 'filter' as const }], posted: ['c'] };
    await store.deliveries.saveFeedDelivery(scope, url, { cursor: items[3]!.seq, lastError: 'gone', log });
    expect((await store.listFeeds())[0]!.delivery).toMatchObject({ cursor: items[3]!.seq, lastError: 'gone', log });
    // Set again: the cursor starts at the newest item (nothing met before is posted), the log anew.
    await store.recordFeedPoll(scope, url, null, ['e']);
    await store.setFeedDelivery(scope, url, { channelId: '6', forum: false, filter: null });
    const [e] = await store.deliveries.feedItems(scope, url, items[3]!.seq, 10);
    expect((await store.listFeeds())[0]!.delivery).toMatchObject({ channelId: '6', cursor: e!.seq, lastError: null, log: { delivered: 0 } });
    // Delivering no more; removed: its items go with it.
    await store.setFeedDelivery(scope, url, null);
    expect((await store.listFeeds())[0]!.delivery).toBeNull();
    await store.deliveries.saveFeedDelivery(scope, url, { cursor: 99, lastError: null, log });
    expect((await store.listFeeds())[0]!.delivery).toBeNull();
    await store.removeFeed(scope, url);
    expect(await store.deliveries.feedItems(scope, url, 0, 10)).toEqual([]);
  });

  test('stores articles, finds passages lexically (title field, stemming) and by vector, and counts them', async () => {
    const store = await open();
    await store.putArticles([item('a', 'Starmer visits Washington', 'Starmer asked for a backstop.|He met the president.', 1), item('b', 'Football final', 'The final ended in a draw.', 2)]);
    const lexical = await store.lexicalSearch(['backstop'], 10);
    expect(lexical).toHaveLength(1);
    const [hit] = await store.getPassages([lexical[0]!.id]);
    expect(hit!.passage).toMatchObject({ text: 'Starmer asked for a backstop.', articleId: 'a', position: 0 });
    expect(hit!.article).toMatchObject({ id: 'a', title: 'Starmer visits Washington', date: '2024-05-01', source: 'test', origin: 't/a.txt' });
    expect(await store.lexicalSearch(['washington'], 10)).toHaveLength(2);
    expect(await store.lexicalSearch(['asks'], 10)).toHaveLength(1);
    expect(await store.lexicalSearch(['nothing', 'matches'], 10)).toEqual([]);
    const [nearest] = await store.vectorSearch(unitVector(DIM, 101), 1);
    expect((await store.getPassages([nearest!.id]))[0]!.passage.text).toBe('He met the president.');
    expect(nearest!.similarity).toBeCloseTo(1, 5);
    expect(await store.stats()).toMatchObject({ articles: 2, passages: 3, vectors: 3, lastIngest: null });
    expect(await store.checkConsistency()).toMatchObject({ ok: true, articles: 2, passages: 3, vectors: 3, indexed: 3 });
  });

  test('trims the vector change log to its newest entries by the one shared rule (VECTOR_LOG_KEEP after an ingest run)', async () => {
    const store = await open();
    await store.putArticles([item('a', 'First', 'one|two|three', 1), item('b', 'Second', 'four|five', 2)]);
    await store.removeArticles(['b']);
    const last = await store.vectorLog.lastSeq();
    const first = await store.vectorLog.firstSeq();
    expect(last).toBeGreaterThanOrEqual(7);
    expect(first).not.toBeNull();
    // After an ingest run the newest VECTOR_LOG_KEEP entries stay: here, every one.
    expect(last - first! + 1).toBeLessThan(VECTOR_LOG_KEEP);
    await store.afterIngest({ largeChange: false });
    expect(await store.vectorLog.firstSeq()).toBe(first);
    // Trimmed to the newest two: the entries before last - 1 go, on every backend alike.
    await trimVectorLog(store.vectorLog, 2);
    expect(await store.vectorLog.firstSeq()).toBe(last - 1);
    expect(await store.vectorLog.lastSeq()).toBe(last);
    await trimVectorLog(store.vectorLog, 2);
    expect(await store.vectorLog.firstSeq()).toBe(last - 1);
    // The log is the followers' path, not the truth: the store stays consistent.
    expect(await store.checkConsistency()).toMatchObject({ ok: true, problems: [], articles: 1, passages: 3, vectors: 3, lexical: 3, indexed: 3 });
  });

  test('ranks by BM25 as FTS5 does: title weight, term frequency, length, idf', async () => {
    const store = await open(LEXICAL_ONLY);
    const docs = [
      ['ceasefire talks', 'the ceasefire talks resumed in geneva today'],
      ['markets', 'the ceasefire lifted markets'],
      ['weather', 'rain again in geneva and rain in paris and rain in rome'],
      ['ceasefire', 'ceasefire ceasefire ceasefire agreed'],
      ['sport', 'the final was played in rome'],
    ];
    await store.putArticles(docs.map(([title, text], i) => ({ article: article(`d${i}`, title!, text!), passages: [{ position: 0, start: 0, end: text!.length, text: text! }] })));
    const rows = docs.map(([title, text]) => ({ title: title!.split(' '), text: text!.split(' ') }));
    for (const [query, weight] of [[['ceasefire'], 2], [['ceasefire', 'geneva'], 2], [['rain', 'rome'], 1], [['geneva', 'rome', 'ceasefire'], 3]] as [string[], number][]) {
      const expected = referenceBm25(rows, query, weight);
      const hits = await store.lexicalSearch(query, 10, weight);
      const byArticle = new Map<string, number>();
      for (const h of hits) byArticle.set((await store.getPassages([h.id]))[0]!.article.id, h.score);
      expected.forEach((score, i) => {
        if (score > 0) expect(byArticle.get(`d${i}`), `${query.join(' ')} d${i}`).toBeCloseTo(score, 6);
        else expect(byArticle.has(`d${i}`)).toBe(false);
      });
      const scores = hits.map((h) => h.score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
    }
    // idf for retrieval's own weighting: ln(1 + (N - df + 0.5) / (df + 0.5)), per stemmed term.
    const idf = await store.termIdf(['ceasefir', 'rome', 'absent']);
    expect(idf.get('ceasefir')).toBeCloseTo(Math.log(1 + (5 - 3 + 0.5) / (3 + 0.5)), 9);
    expect(idf.get('rome')).toBeCloseTo(Math.log(1 + (5 - 2 + 0.5) / (2 + 0.5)), 9);
    expect(idf.get('absent')).toBeCloseTo(Math.log(1 + 5.5 / 0.5), 9);
  });

  test('replaces an article everywhere and removes articles with everything derived from them', async () => {
    const store = await open();
    await store.putArticles([item('a', 'Old title', 'old words here', 1), item('b', 'Other', 'other words', 3)]);
    await store.putArticles([item('a', 'New title', 'fresh words here', 2)]);
    expect(await store.lexicalSearch(['old'], 10)).toHaveLength(0);
    expect(await store.lexicalSearch(['fresh'], 10)).toHaveLength(1);
    expect(await store.lexicalSearch(['words'], 10)).toHaveLength(2);
    expect(await store.stats()).toMatchObject({ articles: 2, passages: 2, vectors: 2 });
    expect((await store.termIdf(['old'])).get('old')).toBeCloseTo(Math.log(1 + 2.5 / 0.5), 9);
    expect(await store.removeArticles(['a', 'missing'])).toBe(1);
    expect(await store.lexicalSearch(['fresh'], 10)).toHaveLength(0);
    const near = await store.vectorSearch(unitVector(DIM, 200), 5);
    expect(near).toHaveLength(1);
    expect((await store.getPassages([near[0]!.id]))[0]!.article.id).toBe('b');
    expect(await store.stats()).toMatchObject({ articles: 1, passages: 1, vectors: 1 });
    expect((await store.checkConsistency()).ok).toBe(true);
  });

  test('looks up articles by id, content hash, URL and origin; gives their text and latest ones', async () => {
    const store = await open(LEXICAL_ONLY);
    await store.putArticles([
      item('a', 'A', 'alpha text', 1, { url: 'https://ex.com/a', origin: 'corpus/100%_sure.txt', date: '2024-05-02' }),
      item('b', 'B', 'beta text', 2, { origin: 'corpus/feed.jsonl#1', date: null }),
      item('c', 'C', 'gamma text', 3, { origin: 'corpus/feed.jsonl#2', date: '2024-05-03' }),
      item('d', 'D', 'delta text', 4, { origin: 'corpusX/d.txt', date: '2024-04-01' }),
    ].map((x) => ({ ...x, passages: x.passages.map((p) => ({ ...p, vector: undefined })) })));
    expect(await store.getArticle('a')).toMatchObject({ id: 'a', url: 'https://ex.com/a', contentHash: 'h-a-10' });
    expect(await store.getArticle('zzz')).toBeUndefined();
    expect(await store.articleText('b')).toBe('beta text');
    expect(await store.findByContentHash('h-c-10')).toBe('c');
    expect(await store.findByContentHash('nope')).toBeUndefined();
    expect(await store.findByUrl('https://ex.com/a')).toBe('a');
    expect((await store.articlesFromFiles(['corpus/feed.jsonl', 'corpus/100%_sure.txt'])).map((x) => x.id).sort()).toEqual(['a', 'b', 'c']);
    expect((await store.articlesFromFiles(['corpus/1000_sure.txt'])).map((x) => x.id)).toEqual([]);
    expect((await store.articlesUnder('corpus/')).map((x) => x.id).sort()).toEqual(['a', 'b', 'c']);
    expect((await store.articlesUnder('corpus_')).map((x) => x.id)).toEqual([]);
    expect((await store.latestArticles(10)).map((x) => x.id)).toEqual(['c', 'a', 'd', 'b']);
    const ids = await store.passageIdsOf(['c', 'a'], 5);
    expect((await store.getPassages(ids)).map((r) => r.article.id)).toEqual(['a', 'c']);
    // getPassages keeps the order asked for and drops unknown ids.
    expect((await store.getPassages([ids[1]!, 999_999, ids[0]!])).map((r) => r.article.id)).toEqual(['c', 'a']);
  });

  test('keeps passages stored without a model, backfills their vectors, and records ingest runs', async () => {
    let store = await open(LEXICAL_ONLY);
    await store.putArticles([{ article: article('a', 'A', 'alpha|beta'), passages: passages('alpha|beta', 1, false) }]);
    expect(store.manifest.embeddingModel).toBeNull();
    expect(await store.vectorSearch(unitVector(DIM, 1), 3)).toEqual([]);
    await store.recordIngestRun({ added: 1, updated: 0, removed: 0, unchanged: 0, skipped: 2 });
    await store.close();
    opened.length = 0;
    store = await open();
    expect(store.manifest).toMatchObject({ embeddingModel: 'test/model', dimension: DIM });
    const missing = await store.passagesWithoutVectors(10);
    expect(missing.map((m) => m.text)).toEqual(['alpha', 'beta']);
    await store.putVectors(missing.map((m, i) => ({ id: m.id, vector: unitVector(DIM, 50 + i) })));
    expect(await store.passagesWithoutVectors(10)).toEqual([]);
    expect((await store.vectorSearch(unitVector(DIM, 51), 1))[0]!.id).toBe(missing[1]!.id);
    expect((await store.stats()).lastIngest).toMatchObject({ added: 1, skipped: 2, finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  test('refuses another model, dimension or chunker, and writes nothing of a batch that fails', async () => {
    const store = await open();
    await store.close();
    opened.length = 0;
    await expect(open({ embedding: { modelId: 'other/model', dimension: DIM }, chunkerVersion: 1 })).rejects.toThrow(StoreModelMismatchError);
    await expect(open({ embedding: { modelId: 'test/model', dimension: 32 }, chunkerVersion: 1 })).rejects.toThrow(/re-ingest/i);
    await expect(open({ ...EMB, chunkerVersion: 2 })).rejects.toThrow(/chunker version/);
    const again = await open();
    const bad: ArticleInput = { article: article('b', 'B', 'beta'), passages: [{ position: 0, start: 0, end: 4, text: 'beta', vector: new Float32Array(3) }] };
    await expect(again.putArticles([item('a', 'A', 'alpha', 1), bad])).rejects.toThrow(StoreModelMismatchError);
    expect(await again.stats()).toMatchObject({ articles: 0, passages: 0, vectors: 0 });
    expect(await again.lexicalSearch(['alpha'], 5)).toHaveLength(0);
  });

  test("sees another process's writes: lexical at once, vectors once its index catches up", async () => {
    const reader = await open({ ...EMB, follow: true });
    const writer = await open();
    await writer.putArticles([item('a', 'A', 'alpha', 1)]);
    expect(await reader.lexicalSearch(['alpha'], 5)).toHaveLength(1);
    await until(async () => (await reader.vectorSearch(unitVector(DIM, 100), 1)).length === 1);
    await writer.removeArticles(['a']);
    await until(async () => (await reader.vectorSearch(unitVector(DIM, 100), 1)).length === 0);
  });

  test('an index file that cannot be written after an ingest is a StoreIo error; what was stored stays', async () => {
    const store = await open();
    await store.openVectorIndex();
    // Something that cannot be replaced stands where the index file goes (a folder with a file in it).
    fs.mkdirSync(place.indexFile, { recursive: true });
    fs.writeFileSync(path.join(place.indexFile, 'keep'), 'x');
    // Enough changes that the index is written after the run.
    await store.putArticles(Array.from({ length: 1_000 }, (_, i) => item(`s${i}`, `Story ${i}`, `Text of story ${i}.`, i + 1)));
    const failure = await store.afterIngest({ largeChange: false }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NewsBotError);
    expect(failure).toMatchObject({ code: 'STORE_IO', message: expect.stringMatching(/could not write the vector index .*the previous index file is kept/) });
    expect(await store.stats()).toMatchObject({ articles: 1_000, passages: 1_000, vectors: 1_000 });
    fs.rmSync(place.indexFile, { recursive: true });
  });

  test('grants a lease to one holder at a time until it expires or is released', async () => {
    const one = await open(LEXICAL_ONLY);
    const two = await open(LEXICAL_ONLY);
    expect(await one.acquireLease('feeds', 'p1', 60_000)).toBe(true);
    expect(await two.acquireLease('feeds', 'p2', 60_000)).toBe(false);
    expect(await one.acquireLease('feeds', 'p1', 60_000)).toBe(true);
    expect(await two.acquireLease('other', 'p2', 60_000)).toBe(true);
    await one.releaseLease('feeds', 'p1');
    expect(await two.acquireLease('feeds', 'p2', 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await two.leaseHolder('feeds')).toBeNull();
    expect(await one.acquireLease('feeds', 'p1', 60_000)).toBe(true);
    expect(await two.leaseHolder('feeds')).toBe('p1');
    // Taken over only from the holder named as replaced (one known to be dead), not from another.
    expect(await two.acquireLease('feeds', 'p2', 60_000, { replacing: 'p9' })).toBe(false);
    expect(await two.acquireLease('feeds', 'p2', 60_000, { replacing: 'p1' })).toBe(true);
    expect(await one.leaseHolder('feeds')).toBe('p2');
  });

  test('deliveries: a delivery is claimed once across connections; schedules and watches round-trip; articles come by ingest time past a cursor', async () => {
    const one = await open(LEXICAL_ONLY);
    const two = await open(LEXICAL_ONLY);
    // Claims: the first of any connection wins, a released claim can be taken again.
    const claim = { key: 'brief:1:2026-12-08', channelId: '42', articleIds: ['a'] };
    const claims = await Promise.all([one.deliveries.claimDelivery(claim), two.deliveries.claimDelivery(claim)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await two.deliveries.finishDelivery(claim.key, { messageIds: ['m1', 'm2'], threadId: 'm1', error: null });
    expect(await one.deliveries.delivery(claim.key)).toEqual({ key: claim.key, channelId: '42', messageIds: ['m1', 'm2'], threadId: 'm1', articleIds: ['a'], error: null });
    expect(await one.deliveries.claimDelivery({ ...claim, key: 'watch:1:a:h' })).toBe(true);
    await one.deliveries.releaseDelivery('watch:1:a:h');
    expect(await two.deliveries.claimDelivery({ ...claim, key: 'watch:1:a:h' })).toBe(true);
    expect(await one.deliveries.delivery('nothing')).toBeNull();

    const schedule = { guildId: '1', channelId: '42', time: '08:00', timeZone: 'Europe/Paris', topics: ['harbour tunnel', 'ukraine'], lastBriefAt: null, lastBriefDay: null, lastError: null };
    await one.deliveries.putBriefSchedule(schedule);
    await one.deliveries.putBriefSchedule({ ...schedule, lastBriefDay: '2026-12-08', lastBriefAt: '2026-12-08T07:00:00.000Z' });
    expect(await two.deliveries.briefSchedules()).toEqual([{ ...schedule, lastBriefDay: '2026-12-08', lastBriefAt: '2026-12-08T07:00:00.000Z' }]);
    await two.deliveries.saveBriefState('1', { lastError: 'Missing Permissions' });
    expect(await one.deliveries.briefSchedule('1')).toMatchObject({ lastBriefDay: '2026-12-08', lastError: 'Missing Permissions', channelId: '42' });
    expect(await two.deliveries.removeBriefSchedule('1')).toBe(true);
    // The state of a brief posted meanwhile does not bring a removed schedule back.
    await one.deliveries.saveBriefState('1', { lastBriefDay: '2026-12-09', lastError: null });
    expect(await two.deliveries.briefSchedules()).toEqual([]);
    expect(await two.deliveries.removeBriefSchedule('1')).toBe(false);

    const w1 = await one.deliveries.addWatch({ guildId: '1', channelId: '42', userId: 'u1', topic: 'tunnel', cursor: null, known: { facts: ['#410'], articles: ['a'] } });
    const w2 = await one.deliveries.addWatch({ guildId: '1', channelId: null, userId: 'u2', topic: 'library', cursor: null, known: { facts: [], articles: [] } });
    const w3 = await one.deliveries.addWatch({ guildId: null, channelId: null, userId: 'u2', topic: 'ferry', cursor: null, known: { facts: [], articles: [] } });
    await two.deliveries.addWatch({ guildId: '9', channelId: '99', userId: 'u1', topic: 'elsewhere', cursor: null, known: { facts: [], articles: [] } });
    expect((await two.deliveries.watches({ guildId: '1', userId: 'u2' })).map((w) => w.id)).toEqual([w1.id, w2.id, w3.id]);
    expect((await two.deliveries.watches({ guildId: null, userId: 'u2' })).map((w) => w.id)).toEqual([w3.id]);
    await two.deliveries.saveWatchState(w1.id, { cursor: { at: '2026-12-08T07:00:00.000Z', id: 'a' }, known: { facts: ['#410', '#455'], articles: ['a', 'b'] }, lastError: 'gone' });
    expect((await one.deliveries.watches()).find((w) => w.id === w1.id)).toMatchObject({ cursor: { at: '2026-12-08T07:00:00.000Z', id: 'a' }, known: { facts: ['#410', '#455'], articles: ['a', 'b'] }, lastError: 'gone' });
    expect(await one.deliveries.removeWatch(w2.id)).toBe(true);
    expect(await one.deliveries.removeWatch(w2.id)).toBe(false);

    // Articles by ingest time: past a cursor taken from a row, none is seen twice or missed.
    await one.putArticles([item('a', 'A', 'first', 1, { contentHash: 'ha' }), item('b', 'B', 'second', 2, { contentHash: 'hb' })].map((i) => ({ ...i, passages: passages('x', 1, false) })));
    await one.putArticles([item('c', 'C', 'third', 3, { contentHash: 'hc' })].map((i) => ({ ...i, passages: passages('x', 1, false) })));
    const all = await two.deliveries.articlesIngested({ limit: 10 });
    expect(all.map((r) => r.article.id)).toEqual(['a', 'b', 'c']);
    expect((await two.deliveries.articlesIngested({ limit: 10, newestFirst: true })).map((r) => r.article.id)).toEqual(['c', 'b', 'a']);
    const after = await two.deliveries.articlesIngested({ after: { at: all[0]!.ingestedAt, id: all[0]!.article.id }, limit: 10 });
    expect(after.map((r) => r.article.id)).toEqual(['b', 'c']);
    expect(await two.deliveries.articlesIngested({ after: { at: all[2]!.ingestedAt, id: 'c' }, limit: 10 })).toEqual([]);
    // Not after a time: a and b were written together; c, later, may share b's millisecond.
    const until = all[1]!.ingestedAt;
    expect((await two.deliveries.articlesIngested({ until, limit: 10 })).map((r) => r.article.id)).toEqual(all.filter((r) => r.ingestedAt <= until).map((r) => r.article.id));
    expect((await two.deliveries.articlesIngested({ until, limit: 10 })).map((r) => r.article.id)).toContain('b');
  });
});

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnswering } from '../../src/app/answering.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { fetchArticle, parseFeed, readFeed } from '../../src/ingest/web.js';
import { tempDir } from '../helpers/env.js';
import { NewsServer, articlePage } from '../helpers/news-server.js';
import { openTestStore } from '../helpers/test-store.js';

// The test server is on loopback, which the fetch guard refuses unless private fetches are allowed.
const LOCAL = { allowPrivate: true } as const;
const LONG = 'The council voted on Tuesday to expand the tram network to the airport, a project expected to cost 1.2 billion euros and to open in 2031. '.repeat(6);

describe('feeds and article URLs from a local web server', () => {
  const server = new NewsServer();
  let base: string;
  beforeAll(async () => {
    base = await server.start();
    server.set('/tram.html', articlePage('Tram line to reach the airport', '2025-03-04', [LONG, 'Opponents said the money should go to buses instead.']));
    server.set('/bridge.html', articlePage('Old bridge to close for repairs', '2025-03-05', ['The old river bridge will close for six months of repairs starting in May, the city said on Wednesday.', 'Detours will be signposted.']));
    server.set('/error.html', 'boom', { status: 500 });
    server.set('/slow.html', articlePage('Slow', '2025-03-05', ['Too slow.']), { delayMs: 3_000 });
    server.set('/huge.html', `<html><body><p>${'x'.repeat(300_000)}</p></body></html>`);
    server.set('/scripts.html', '<html><head><script>var a=1</script></head><body><script>b()</script><nav>Menu</nav></body></html>');
    server.set(
      '/rss.xml',
      `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>City Desk</title>
        <item><title>Tram line to reach the airport</title><link>${base}/tram.html</link><pubDate>Tue, 04 Mar 2025 09:00:00 GMT</pubDate><description>Short summary.</description></item>
        <item><title>Budget passes &amp; taxes fall</title><link>${base}/budget</link><pubDate>Mon, 03 Mar 2025 12:00:00 GMT</pubDate><content:encoded><![CDATA[<p>${'The city budget passed with a cut in property taxes of two percent. '.repeat(12)}</p>]]></content:encoded><dc:creator>R. Writer</dc:creator></item>
        <item><title>Broken link</title><link>${base}/error.html</link><description>x</description></item>
        <item><title>Tram again (syndicated)</title><link>${base}/tram.html?utm_source=rss</link><description>dup</description></item>
      </channel></rss>`,
      { type: 'application/rss+xml' },
    );
    server.set(
      '/atom.xml',
      `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Bridges Weekly</title>
        <entry><title>Old bridge to close for repairs</title><link rel="alternate" href="${base}/bridge.html"/><id>urn:bridge</id><published>2025-03-05T08:00:00Z</published><summary>Bridge closes.</summary></entry>
      </feed>`,
      { type: 'application/atom+xml' },
    );
    server.set('/notafeed.xml', '<html><body>hello</body></html>', { type: 'text/xml' });
    server.set(
      '/badlink.xml',
      `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Odd Desk</title>
        <item><title>Broken link</title><link>http://exa mple.com/story</link><description>x</description></item>
        <item><title>Harbour reopens</title><link>${base}/harbour</link><content:encoded><![CDATA[<p>${'The harbour reopened on Monday after the storm, the port authority said. '.repeat(12)}</p>]]></content:encoded></item>
      </channel></rss>`,
      { type: 'application/rss+xml' },
    );
  });
  afterAll(() => server.stop());

  it('reads a feed\'s item pages within its time budget and skips the rest with the reason', async () => {
    // Six items whose pages each take 400 ms: with one fetch at a time and a 1 s budget, the
    // pages started within the budget are read, the others skipped (no page fetched for them):
    // the feed costs the budget plus one page, not 6 x 400 ms (or 200 x the fetch timeout).
    const items = Array.from({ length: 6 }, (_, i) => {
      server.set(`/trickle-${i}.html`, articlePage(`Trickle ${i}`, '2025-03-05', [`Story number ${i} about the slow harbour works, told at length for the test.`]), { delayMs: 400 });
      return `<item><title>Trickle ${i}</title><link>${base}/trickle-${i}.html</link><description>short</description></item>`;
    });
    server.set('/trickle.xml', `<?xml version="1.0"?><rss version="2.0"><channel><title>Slow Desk</title>${items.join('')}</channel></rss>`, { type: 'application/rss+xml' });
    const results = [];
    for await (const r of readFeed(`${base}/trickle.xml`, { ...LOCAL, concurrency: 1, timeBudgetMs: 1_000 })) results.push(r);
    const read = results.filter((r) => r.kind === 'article');
    const skipped = results.filter((r) => r.kind === 'skipped');
    expect(read.length).toBeGreaterThanOrEqual(1);
    // Pages start at 0, >= 400 and >= 800 ms at the latest: a fourth would start past the budget.
    expect(read.length).toBeLessThanOrEqual(3);
    expect(read.length + skipped.length).toBe(6);
    for (const r of skipped) expect(r).toMatchObject({ reason: "not read: the feed's time budget (1 s for its item pages) was spent" });
  });

  it('parses RSS 2.0 and Atom', () => {
    const rss = parseFeed(`<rss version="2.0"><channel><title>T</title><item><title>A</title><link>https://a/1</link><pubDate>Tue, 04 Mar 2025 09:00:00 GMT</pubDate></item></channel></rss>`);
    expect(rss).toEqual({ title: 'T', items: [{ title: 'A', link: 'https://a/1', date: 'Tue, 04 Mar 2025 09:00:00 GMT', author: undefined, content: undefined, guid: undefined }] });
    const atom = parseFeed(`<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry><title>E</title><link href="https://e/1"/><updated>2025-03-05T00:00:00Z</updated><author><name>N</name></author></entry></feed>`);
    expect(atom.items[0]).toMatchObject({ title: 'E', link: 'https://e/1', date: '2025-03-05T00:00:00Z', author: 'N' });
    expect(() => parseFeed('<html><body/></html>')).toThrow(/not an RSS or Atom feed/);
  });

  it('fetches an article page with a clear user agent and extracts the main text', async () => {
    const result = await fetchArticle(`${base}/tram.html`, LOCAL);
    expect(result.kind).toBe('article');
    if (result.kind !== 'article') return;
    expect(result.article).toMatchObject({ title: 'Tram line to reach the airport', date: '2025-03-04', source: 'Local News', url: `${base}/tram.html` });
    expect(result.article.text).toContain('expand the tram network');
    expect(result.article.text).not.toMatch(/Sections Menu|track\(\)|© Local News/);
    expect(server.hits.some((h) => h.startsWith('/tram.html newsbot/'))).toBe(true);
  });

  it('skips broken, slow, huge and empty pages with a reason', async () => {
    const reasons = await Promise.all(
      ['/error.html', '/slow.html', '/huge.html', '/scripts.html', '/missing.html'].map(async (p) => {
        const r = await fetchArticle(`${base}${p}`, { ...LOCAL, timeoutMs: 500, maxBytes: 100_000 });
        return r.kind === 'skipped' ? r.reason : 'ingested';
      }),
    );
    expect(reasons[0]).toMatch(/HTTP 500/);
    expect(reasons[1]).toMatch(/timed out/);
    expect(reasons[2]).toMatch(/too large/);
    expect(reasons[3]).toMatch(/no text|no body/);
    expect(reasons[4]).toMatch(/HTTP 404/);
  });

  it('ingests a feed: full-content items as given, summary items from their page, duplicates once', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = openTestStore(path.join(dir, 'data'));
      const first = await ingestArticles(store, null, readFeed(`${base}/rss.xml`, { ...LOCAL, timeoutMs: 2_000 }));
      expect(first.added).toBe(2);
      expect(first.skipped).toEqual([{ origin: `${base}/error.html`, reason: expect.stringMatching(/HTTP 500/) }]);
      const titles = (await store.latestArticles(10)).map((a) => [a.title, a.date, a.source, a.author]);
      expect(titles).toEqual([
        ['Tram line to reach the airport', '2025-03-04', 'Local News', null],
        ['Budget passes & taxes fall', '2025-03-03', 'City Desk', 'R. Writer'],
      ]);
      // Atom feed, then the same feeds again: nothing new.
      const atom = await ingestArticles(store, null, readFeed(`${base}/atom.xml`, LOCAL));
      expect(atom.added).toBe(1);
      const again = await ingestArticles(store, null, readFeed(`${base}/rss.xml`, LOCAL));
      expect(again).toMatchObject({ added: 0, unchanged: 2 });
      const { answers } = buildAnswering({ store, embedder: null, retrieval: { mode: 'lexical' } });
      const { answer } = await answers.ask('When will the old bridge close?');
      expect(answer.citations[0]?.title).toBe('Old bridge to close for repairs');
      const bad = await ingestArticles(store, null, readFeed(`${base}/notafeed.xml`, LOCAL));
      expect(bad.skipped[0]!.reason).toMatch(/not an RSS or Atom feed/);
      // An item whose link is not a URL is skipped with its reason; the rest of the feed is read.
      const odd = await ingestArticles(store, null, readFeed(`${base}/badlink.xml`, LOCAL));
      expect(odd.added).toBe(1);
      expect(odd.skipped).toEqual([{ origin: `${base}/badlink.xml#1`, reason: 'item link is not a URL: http://exa mple.com/story' }]);
      await store.close();
    } finally {
      cleanup();
    }
  });
});

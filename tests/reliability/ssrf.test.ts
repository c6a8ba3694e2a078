import dns from 'node:dns';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/context.js';
import { IngestService } from '../../src/app/ingest-service.js';
import { loadConfig } from '../../src/config/index.js';
import { NewsBotError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { Resolver } from '../../src/ingest/fetch-guard.js';
import type { ReadResult } from '../../src/ingest/read-articles.js';
import { fetchArticle, fetchText, readFeed } from '../../src/ingest/web.js';
import { REPO, tempDir } from '../helpers/env.js';
import { NewsServer, articlePage } from '../helpers/news-server.js';
import { runCli } from '../helpers/run-cli.js';

const SECRET = 'INTERNAL-SECRET-TOKEN-XYZ123';
const STORY = 'The city council approved the new tram line to the airport on Tuesday after a long debate. '.repeat(8);

/** Answers some names from a table (counting calls), the rest from the system resolver. */
function resolverWith(table: Record<string, string[] | (() => string[])>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const entry = table[host];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (addresses) return addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
    return (await dns.promises.lookup(host, { all: true })).map((a) => ({ address: a.address, family: (a.family === 6 ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolve, { calls });
}

function reasonOf(result: ReadResult): string {
  return result.kind === 'skipped' ? result.reason : `ingested ${result.article.title}`;
}

describe('SSRF: every fetch and every hop goes through the fetch guard', () => {
  const server = new NewsServer();
  let base: string;
  let port: number;
  const hitsOf = (p: string) => server.hits.filter((h) => h.startsWith(`${p} `)).length;

  beforeAll(async () => {
    base = await server.start();
    port = server.port;
    server.set('/secret', articlePage('Intranet admin page', '2025-03-01', [`${SECRET} is the admin credential for the intranet. `.repeat(6)]));
    server.set('/secret2', articlePage('Another intranet page', '2025-03-01', [`${SECRET} again. `.repeat(20)]));
    server.set('/story.html', articlePage('Tram line approved', '2025-03-04', [STORY]));
    server.set('/to-named-secret', '', { status: 302, headers: { location: `http://intranet.example:${port}/secret` } });
    server.set('/to-literal-secret', '', { status: 301, headers: { location: `http://127.0.0.2:${port}/secret` } });
    server.set('/to-localhost-secret', '', { status: 307, headers: { location: `http://localhost:${port}/secret` } });
    server.set('/to-file', '', { status: 302, headers: { location: 'file:///etc/passwd' } });
    server.set('/to-story', '', { status: 303, headers: { location: '/story.html' } });
    for (let i = 0; i < 10; i++) server.set(`/loop${i}`, '', { status: 302, headers: { location: `/loop${i + 1}` } });
    server.set('/bomb', zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)), { headers: { 'content-encoding': 'gzip' } });
    server.set(
      '/rss.xml',
      `<?xml version="1.0"?><rss version="2.0"><channel><title>City Desk</title>
        <item><title>Tram line approved</title><link>${base}/story.html</link><description>Short.</description></item>
        <item><title>Intranet</title><link>http://intranet.example:${port}/secret</link><description>Short.</description></item>
        <item><title>Localhost</title><link>http://localhost:${port}/secret2</link><description>Short.</description></item>
        <item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/</link><description>Short.</description></item>
      </channel></rss>`,
      { type: 'application/rss+xml' },
    );
  });
  afterAll(() => server.stop());

  it('refuses a host name that resolves to loopback (before connecting), and fetches it only when private fetches are allowed', async () => {
    const resolve = resolverWith({ 'intranet.example': ['127.0.0.1'] });
    const refused = await fetchArticle(`http://intranet.example:${port}/secret`, { resolve });
    expect(reasonOf(refused)).toBe(
      `refused to fetch http://intranet.example:${port}: intranet.example (127.0.0.1) is not a public address (loopback); set ALLOW_PRIVATE_FETCH=true to allow private addresses`,
    );
    expect(hitsOf('/secret')).toBe(0);
    // Allowed: the connection goes to the resolver's answer (the name exists nowhere else).
    const allowed = await fetchArticle(`http://intranet.example:${port}/secret`, { resolve, allowPrivate: true });
    expect(allowed.kind === 'article' && allowed.article.text).toContain(SECRET);
    expect(hitsOf('/secret')).toBe(1);
  });

  it('connects to the address it checked: a DNS answer that changes afterwards (rebinding) is never asked for', async () => {
    let answers = 0;
    const resolve = resolverWith({ 'rebind.example': () => (answers++ === 0 ? ['192.88.98.1'] : ['127.0.0.1']) });
    const before = hitsOf('/secret');
    const result = await fetchArticle(`http://rebind.example:${port}/secret`, { resolve, timeoutMs: 1_500 });
    // The public address is unreachable here (no internet): the fetch fails there, not at 127.0.0.1.
    expect(result.kind).toBe('skipped');
    expect(resolve.calls).toEqual(['rebind.example']);
    expect(hitsOf('/secret')).toBe(before);
  });

  it('checks every redirect hop: to a private name, a private literal, localhost or another scheme', async () => {
    const resolve = resolverWith({ 'intranet.example': ['10.0.0.7'] });
    const trusted = { resolve, trustedOrigins: [base] };
    const before = hitsOf('/secret');
    expect(reasonOf(await fetchArticle(`${base}/to-named-secret`, trusted))).toMatch(/intranet\.example \(10\.0\.0\.7\) is not a public address \(private network\)/);
    expect(reasonOf(await fetchArticle(`${base}/to-literal-secret`, trusted))).toMatch(/127\.0\.0\.2 is not a public address \(loopback\)/);
    expect(reasonOf(await fetchArticle(`${base}/to-localhost-secret`, trusted))).toMatch(/localhost \(127\.0\.0\.1\) is not a public address \(loopback\)/);
    expect(reasonOf(await fetchArticle(`${base}/to-file`, trusted))).toMatch(/only http and https/);
    expect(hitsOf('/secret')).toBe(before);
    // A redirect within the trusted site is followed.
    expect(reasonOf(await fetchArticle(`${base}/to-story`, trusted))).toBe('ingested Tram line approved');
  });

  it('follows at most 5 redirects', async () => {
    const result = await fetchArticle(`${base}/loop0`, { allowPrivate: true });
    expect(reasonOf(result)).toBe(`too many redirects (over 5) fetching ${base}/loop0`);
    expect(hitsOf('/loop5')).toBe(1);
    expect(hitsOf('/loop6')).toBe(0);
  });

  it('checks feed item links one by one: the trusted feed site is read, private item links are refused', async () => {
    const resolve = resolverWith({ 'intranet.example': ['192.168.1.20'] });
    const results: ReadResult[] = [];
    for await (const r of readFeed(`${base}/rss.xml`, { resolve, trustedOrigins: [base], timeoutMs: 2_000 })) results.push(r);
    expect(results.map(reasonOf)).toEqual([
      'ingested Tram line approved',
      expect.stringMatching(/intranet\.example \(192\.168\.1\.20\) is not a public address \(private network\)/),
      expect.stringMatching(/localhost \(127\.0\.0\.1\) is not a public address \(loopback\)/),
      expect.stringMatching(/169\.254\.169\.254 is not a public address \(link-local\)/),
    ]);
    expect(hitsOf('/secret') + hitsOf('/secret2')).toBe(1); // only the allowed fetch of the first test
  });

  it('stops a compressed response at the size limit as it inflates', async () => {
    await expect(fetchText(`${base}/bomb`, { allowPrivate: true })).rejects.toThrow(`response too large (over ${5 * 1024 * 1024} bytes) from ${base}/bomb`);
  });

  it("the bot's /ingest and the FEEDS poll refuse private addresses unless ALLOW_PRIVATE_FETCH", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const env = { DATA_DIR: path.join(dir, 'data'), CORPUS_DIR: path.join(dir, 'corpus'), FEEDS: `http://localhost:${port}/rss.xml` };
      const logger = createLogger('silent');
      const app = await createApp(loadConfig(env), logger, { embedder: null });
      const service = new IngestService(app);
      const before = hitsOf('/secret');
      const byName = await service.run({ kind: 'url', url: `http://localhost:${port}/secret` });
      expect(byName.added).toBe(0);
      expect(byName.skipped[0]!.reason).toMatch(/localhost \(127\.0\.0\.1\) is not a public address \(loopback\); set ALLOW_PRIVATE_FETCH=true/);
      const literal = await Promise.resolve()
        .then(() => service.run({ kind: 'url', url: `http://127.0.0.1:${port}/secret` }))
        .catch((e: unknown) => e);
      expect(literal).toBeInstanceOf(NewsBotError);
      expect((literal as Error).message).toBe('That address is on a private network; set ALLOW_PRIVATE_FETCH=true to ingest from it.');
      const poll = await service.run({ kind: 'feeds' });
      expect(poll.added).toBe(0);
      expect(poll.skipped[0]!.reason).toMatch(/is not a public address \(loopback\)/);
      expect(hitsOf('/secret')).toBe(before);
      expect((await app.store.stats()).articles).toBe(0);
      await app.close();

      const open = await createApp(loadConfig({ ...env, DATA_DIR: path.join(dir, 'open'), ALLOW_PRIVATE_FETCH: 'true' }), logger, { embedder: null });
      const allowed = await new IngestService(open).run({ kind: 'url', url: `http://localhost:${port}/story.html` });
      expect(allowed.added).toBe(1);
      await open.close();
    } finally {
      cleanup();
    }
  });

  it("npm run ingest --feed: the operator's own feed site may be private, item links elsewhere are still checked", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const result = await runCli('ingest', ['--feed', `${base}/rss.xml`, '--json'], {
        DATA_DIR: path.join(dir, 'data'),
        CORPUS_DIR: path.join(REPO, 'corpus'),
        EMBEDDING_MODEL: 'Xenova/not-downloadable',
        EMBEDDING_MODEL_DIR: path.join(dir, 'no-models'),
        EMBEDDING_ALLOW_REMOTE: 'false',
      });
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { added: number; skipped: { origin: string; reason: string }[] };
      expect(summary.added).toBe(1);
      expect(summary.skipped.map((s) => s.reason)).toEqual([
        expect.stringMatching(/cannot resolve intranet\.example/),
        expect.stringMatching(/localhost \(127\.0\.0\.1\) is not a public address/),
        expect.stringMatching(/169\.254\.169\.254 is not a public address/),
      ]);
    } finally {
      cleanup();
    }
  });
});

describe('feed links are checked before any fetch, whatever the feed says', () => {
  it('an item link with another scheme is skipped with a reason', async () => {
    const results: ReadResult[] = [];
    const server = new NewsServer();
    const base = await server.start();
    try {
      server.set('/f.xml', `<rss version="2.0"><channel><title>F</title><item><title>X</title><link>file:///etc/passwd</link><description>s</description></item></channel></rss>`, { type: 'application/rss+xml' });
      for await (const r of readFeed(`${base}/f.xml`, { trustedOrigins: [base] })) results.push(r);
      expect(results.map(reasonOf)).toEqual([expect.stringMatching(/only http and https URLs can be fetched \(got file:\)/)]);
    } finally {
      await server.stop();
    }
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalUrl, normalizeDate } from '../../src/ingest/article-fields.js';
import { readArticles, type ReadResult } from '../../src/ingest/read-articles.js';
import { SEED_FILE, tempDir } from '../helpers/env.js';

async function collect(paths: string[]): Promise<ReadResult[]> {
  const out: ReadResult[] = [];
  for await (const r of readArticles(paths)) out.push(r);
  return out;
}

function articles(results: ReadResult[]) {
  return results.flatMap((r) => (r.kind === 'article' ? [r.article] : []));
}

function skips(results: ReadResult[]) {
  return results.flatMap((r) => (r.kind === 'skipped' ? [r] : []));
}

const HTML = `<!doctype html><html><head>
<title>Site | Ceasefire talks resume</title>
<meta property="og:title" content="Ceasefire talks resume in Geneva">
<meta property="article:published_time" content="2025-03-02T08:15:00+01:00">
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="https://www.example.com/world/ceasefire?utm_source=x#top">
<script>window.secret = "do not index this script";</script>
<style>.x{color:red}</style>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World news menu</a></nav>
<header>Subscribe now for unlimited access</header>
<article>
<h1>Ceasefire talks resume in Geneva</h1>
<p>Negotiators returned to Geneva on Sunday for a third round of ceasefire talks, officials said. The delegations met for six hours behind closed doors at the lakeside venue.</p>
<p>Diplomats described the mood as cautious but constructive, and both sides agreed to meet again within a week. A joint statement is expected on Monday.</p>
<p>Observers said the talks were the most serious attempt at a settlement in more than a year.</p>
</article>
<aside>Most read: celebrity gossip</aside>
<footer>Copyright Example News</footer>
<script>trackPageView();</script>
</body></html>`;

describe('readArticles', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterAll(() => cleanup());

  it('reads the seed format with date and title', async () => {
    const [article] = articles(await collect([SEED_FILE]));
    expect(article).toBeDefined();
    expect(article!.title).toBe('Starmer pushes Trump for Ukraine guarantees against Putin');
    expect(article!.date).toBe('2025-02-27');
    expect(article!.text.startsWith('British Prime Minister Keir Starmer')).toBe(true);
    expect(article!.text).toContain('US backstop');
    expect(article!.id).toBe('doc:starmer-trump-ukraine-2025-02-27.txt');
    expect(article!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(article!.url).toBeNull();
  });

  it('gives the same id and hash on every read, and a new hash when the text changes', async () => {
    const file = path.join(dir, 'stable.txt');
    fs.writeFileSync(file, 'date 2024-01-02 Title\n\nBody text one.');
    const [a] = articles(await collect([file]));
    const [b] = articles(await collect([file]));
    expect(a!.id).toBe(b!.id);
    expect(a!.contentHash).toBe(b!.contentHash);
    fs.writeFileSync(file, 'date 2024-01-02 Title\n\nBody text two.');
    const [c] = articles(await collect([file]));
    expect(c!.id).toBe(a!.id);
    expect(c!.contentHash).not.toBe(a!.contentHash);
  });

  it('reads Markdown with YAML front matter', async () => {
    const file = path.join(dir, 'note.md');
    fs.writeFileSync(
      file,
      '---\ntitle: "Rates held at 5%"\ndate: 2024-05-01\nurl: https://news.example.org/rates\nsource: Example Wire\nauthor: A. Writer\n---\n\n# Ignored heading\n\nThe **central bank** kept rates [unchanged](https://x.y) on Wednesday.\n\n- Inflation eased\n',
    );
    const [article] = articles(await collect([file]));
    expect(article).toMatchObject({
      title: 'Rates held at 5%',
      date: '2024-05-01',
      url: 'https://news.example.org/rates',
      source: 'Example Wire',
      author: 'A. Writer',
      id: expect.stringMatching(/^url:/),
    });
    expect(article!.text).toContain('The central bank kept rates unchanged on Wednesday.');
    expect(article!.text).toContain('Inflation eased');
    expect(article!.text).not.toContain('**');
    expect(article!.text).not.toContain('](');
  });

  it('takes the title from the first heading when front matter has none', async () => {
    const file = path.join(dir, 'plain.md');
    fs.writeFileSync(file, '# Storm hits coast\n\nWinds of 120 km/h were recorded overnight.');
    const [article] = articles(await collect([file]));
    expect(article!.title).toBe('Storm hits coast');
    expect(article!.date).toBeNull();
    expect(article!.text).toBe('Winds of 120 km/h were recorded overnight.');
  });

  it('skips front matter with a bad date, naming the reason', async () => {
    const file = path.join(dir, 'bad-date.md');
    fs.writeFileSync(file, '---\ntitle: X\ndate: 2024-13-45\n---\nBody of the article.');
    const [skip] = skips(await collect([file]));
    expect(skip!.reason).toMatch(/invalid date/);
  });

  it('extracts the main text of an HTML page without scripts or navigation', async () => {
    const file = path.join(dir, 'page.html');
    fs.writeFileSync(file, HTML);
    const [article] = articles(await collect([file]));
    expect(article!.title).toBe('Ceasefire talks resume in Geneva');
    expect(article!.date).toBe('2025-03-02');
    expect(article!.url).toBe('https://example.com/world/ceasefire');
    expect(article!.source).toBe('Example News');
    expect(article!.text).toContain('Negotiators returned to Geneva on Sunday');
    expect(article!.text).toContain('Observers said the talks');
    for (const noise of ['do not index', 'trackPageView', 'World news menu', 'Subscribe now', 'celebrity gossip', 'Copyright', 'color:red']) {
      expect(article!.text).not.toContain(noise);
    }
    // Paragraphs stay paragraphs.
    expect(article!.text).toMatch(/closed doors at the lakeside venue\.\n\nDiplomats/);
  });

  it('skips an HTML page with scripts and no text', async () => {
    const file = path.join(dir, 'empty.html');
    fs.writeFileSync(file, '<html><head><script>var a = 1;</script></head><body><script>go()</script></body></html>');
    const [skip] = skips(await collect([file]));
    expect(skip!.reason).toMatch(/no text|no body/);
  });

  it('reads JSON objects, arrays and gzip-compressed JSONL with field aliases', async () => {
    const one = path.join(dir, 'one.json');
    fs.writeFileSync(one, JSON.stringify({ title: 'One', body: 'Body one here.', published: '2024-02-03T10:00:00Z', url: 'https://a.example/1', source: 'A' }));
    const many = path.join(dir, 'many.json');
    fs.writeFileSync(many, JSON.stringify([{ title: 'Two', text: 'Text two.', date: 'Tue, 05 Mar 2024 10:00:00 GMT' }, { title: 'Three', content: 'Text three.' }]));
    const lines = path.join(dir, 'set.jsonl.gz');
    fs.writeFileSync(
      lines,
      gzipSync(
        [
          JSON.stringify({ id: 'r1', title: 'Four', text: 'Text four.', published: null }),
          '',
          'not json at all',
          JSON.stringify([1, 2]),
          JSON.stringify({ id: 'r2', title: 'Five', text: 'Text five.', published: '2024-06-07' }),
        ].join('\n'),
      ),
    );
    const results = await collect([one, many, lines]);
    const byTitle = Object.fromEntries(articles(results).map((a) => [a.title, a]));
    expect(byTitle.One).toMatchObject({ date: '2024-02-03', url: 'https://a.example/1', source: 'A', text: 'Body one here.' });
    expect(byTitle.Two).toMatchObject({ date: '2024-03-05', text: 'Text two.' });
    expect(byTitle.Three).toMatchObject({ date: null, text: 'Text three.' });
    expect(byTitle.Four).toMatchObject({ id: 'r1', date: null });
    expect(byTitle.Five).toMatchObject({ id: 'r2', date: '2024-06-07' });
    // Records of one file get distinct ids.
    expect(byTitle.Two!.id).not.toBe(byTitle.Three!.id);
    const reasons = skips(results).map((s) => `${path.basename(s.origin)}: ${s.reason}`);
    expect(reasons).toEqual([expect.stringMatching(/^set\.jsonl\.gz#3: invalid JSON/), expect.stringMatching(/^set\.jsonl\.gz#4: record is an array/)]);
  });

  it('skips empty, binary, invalid UTF-8, unsupported and missing files with reasons', async () => {
    const sub = path.join(dir, 'bad');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'empty.txt'), '');
    fs.writeFileSync(path.join(sub, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
    fs.writeFileSync(path.join(sub, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe]));
    fs.writeFileSync(path.join(sub, 'photo.jpg'), 'xx');
    fs.writeFileSync(path.join(sub, 'scalar.json'), '42');
    const results = await collect([sub, path.join(dir, 'missing.txt')]);
    expect(articles(results)).toHaveLength(0);
    const reasons = Object.fromEntries(skips(results).map((s) => [path.basename(s.origin), s.reason]));
    expect(reasons).toEqual({
      'binary.txt': 'binary file (contains NUL bytes)',
      'empty.txt': 'empty file',
      'latin1.txt': 'not valid UTF-8 text',
      'photo.jpg': 'unsupported file type ".jpg"',
      'scalar.json': 'record is number, not an object',
      'missing.txt': 'no such file or directory',
    });
  });
});

describe('field normalization', () => {
  it('normalizes dates', () => {
    expect(normalizeDate('2025-02-27')).toBe('2025-02-27');
    expect(normalizeDate('2025-02-27T23:30:00-05:00')).toBe('2025-02-27');
    expect(normalizeDate('Thu, 27 Feb 2025 10:00:00 GMT')).toBe('2025-02-27');
    expect(normalizeDate('February 27, 2025')).toBe('2025-02-27');
    expect(normalizeDate('')).toBeNull();
    expect(normalizeDate(null)).toBeNull();
    expect(() => normalizeDate('2025-02-30')).toThrow(/invalid date/);
    expect(() => normalizeDate('soon')).toThrow(/invalid date/);
  });

  it('canonicalizes URLs', () => {
    expect(canonicalUrl('HTTPS://WWW.Example.com/a/b/?utm_medium=x&id=3#frag')).toBe('https://example.com/a/b?id=3');
    expect(canonicalUrl('javascript:alert(1)')).toBeNull();
    expect(canonicalUrl('not a url')).toBeNull();
  });
});

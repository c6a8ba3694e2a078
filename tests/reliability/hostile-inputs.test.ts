import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkText } from '../../src/ingest/chunker.js';
import { extractHtml } from '../../src/ingest/formats/html.js';
import { notableSkips } from '../../src/core/ingest.js';
import { ingestArticles, MAX_KEPT_SKIPS, type IngestProgress } from '../../src/ingest/pipeline.js';
import { boundedLines, listSourceFiles, readArticles, type ReadResult } from '../../src/ingest/read-articles.js';
import { buildArticle } from '../../src/ingest/article-fields.js';
import { tempDir } from '../helpers/env.js';
import { articlePage } from '../helpers/news-server.js';
import { openTestStore } from '../helpers/test-store.js';

const GOOD = (id: string, topic: string) => JSON.stringify({ id, title: `Story about the ${topic}`, text: `The ${topic} reopened on Monday after repairs that took a year.` });

async function collect(paths: string[], options: Parameters<typeof readArticles>[1] = {}): Promise<ReadResult[]> {
  const out: ReadResult[] = [];
  for await (const r of readArticles(paths, options)) out.push(r);
  return out;
}

function summarize(results: ReadResult[]): string[] {
  return results.map((r) => (r.kind === 'article' ? `article ${r.article.id}` : `skipped ${path.basename(r.origin)}: ${r.reason}`));
}

describe('hostile files: bounded work, a reason for each skip, the rest ingests', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('a .jsonl.gz line longer than the limit is skipped without being held; lines after it and files beside it ingest', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    const huge = `{"id":"huge","text":"${'a'.repeat(40 * 1024 * 1024)}"}`;
    fs.writeFileSync(path.join(corpus, 'a.jsonl.gz'), zlib.gzipSync([GOOD('one', 'museum'), huge, GOOD('three', 'bridge')].join('\n')));
    fs.writeFileSync(path.join(corpus, 'b.jsonl'), GOOD('beside', 'harbour'));
    const results = await collect([corpus], { maxLineBytes: 1024 * 1024, maxInflateRatio: 1e9 });
    expect(summarize(results)).toEqual(['article one', 'skipped a.jsonl.gz#2: record too large (40.0 MB > 1.0 MB)', 'article three', 'article beside']);
  });

  it('a decompression bomb is stopped as it inflates (default limits); what came before it and the files beside it ingest', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    // 64 MB of one line from about 64 KB on disk (the hostile original: 2 GiB from 2 MB).
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from(GOOD('first', 'museum') + '\n{"text":"'), Buffer.alloc(64 * 1024 * 1024, 'a')]), { level: 9 });
    expect(bomb.length).toBeLessThan(200 * 1024);
    fs.writeFileSync(path.join(corpus, 'a-bomb.jsonl.gz'), bomb);
    fs.writeFileSync(path.join(corpus, 'b-good.jsonl'), GOOD('beside', 'harbour'));
    const store = openTestStore(path.join(dir, 'data'));
    const summary = await ingestArticles(store, null, readArticles([corpus]), { pruneUnder: [corpus] });
    expect(summary.added).toBe(2);
    expect(summary.skipped).toEqual([{ origin: expect.stringMatching(/a-bomb\.jsonl\.gz$/), reason: expect.stringMatching(/^after line 1: stopped reading: \d+ MB inflated from 0\.\d MB, over 100 times \(a decompression bomb\?\)$/) }]);
    expect(await store.getArticle('first')).toBeDefined();
    await store.close();
  });

  it('boundedLines reads a 256 MB line through with bounded memory and reports its length', async () => {
    const chunk = 1024 * 1024;
    let peak = 0;
    const base = process.memoryUsage().arrayBuffers;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      for (let i = 0; i < 256; i++) {
        yield Buffer.alloc(chunk, 'x');
        if (i % 16 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      }
      yield Buffer.from('\n{"b":2}');
    }
    const lines: { text: string | null; length: number }[] = [];
    for await (const line of boundedLines(source(), 4 * chunk)) lines.push({ text: line.bytes?.toString() ?? null, length: line.length });
    expect(lines).toEqual([
      { text: '{"a":1}', length: 7 },
      { text: null, length: 256 * chunk },
      { text: '{"b":2}', length: 7 },
    ]);
    // Holding the line would take 256 MB; the limit plus garbage not yet collected stays far below.
    expect(peak).toBeLessThan(128 * chunk);
  });

  it('a file of endless duplicates or bad lines keeps counts, not a billion reasons', async () => {
    const store = openTestStore(path.join(dir, 'data'));
    function* source(): Generator<ReadResult> {
      for (let i = 0; i < 5_000; i++) yield { kind: 'skipped', origin: `bad.jsonl#${i + 1}`, reason: 'invalid JSON', file: 'bad.jsonl' };
      yield { kind: 'skipped', origin: 'bad.jsonl', reason: 'after line 5000: stopped reading', file: 'bad.jsonl' };
    }
    const summary = await ingestArticles(store, null, source());
    expect(summary.skippedCount).toBe(5_001);
    expect(summary.skipped).toHaveLength(MAX_KEPT_SKIPS + 1);
    expect(summary.skipped[0]).toEqual({ origin: 'bad.jsonl#1', reason: 'invalid JSON' });
    // The file's own reason is kept and shown first, not crowded out by its records.
    expect(notableSkips(summary, 2)).toEqual([
      { origin: 'bad.jsonl', reason: 'after line 5000: stopped reading' },
      { origin: 'bad.jsonl#1', reason: 'invalid JSON' },
    ]);
    expect((await store.stats()).lastIngest?.skipped).toBe(5_001);
    await store.close();
  });

  it('records are written in batches as they are read: the store has articles before the source ends', async () => {
    const store = openTestStore(path.join(dir, 'data'));
    let storedWhileReading = -1;
    async function* source(): AsyncGenerator<ReadResult> {
      for (let i = 0; i < 400; i++) {
        if (i === 300) storedWhileReading = (await store.stats()).articles;
        const article = buildArticle({ title: `Story ${i}`, text: `Article number ${i} is about topic ${i * 7} in the city.` }, { label: `s#${i}`, key: `s#${i}`, defaultSource: 'test' });
        yield { kind: 'article', article, file: 's' };
      }
    }
    const progress: IngestProgress[] = [];
    const summary = await ingestArticles(store, null, source(), { batchPassages: 50, onProgress: (p) => progress.push(p) });
    expect(summary.added).toBe(400);
    expect(storedWhileReading).toBeGreaterThanOrEqual(250);
    // The total is unknown while the stream is read, and known (what was read) once it has ended.
    expect(progress.slice(0, -1).every((p) => p.total === null)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: 400, total: 400 });
    const fromArray = await ingestArticles(store, null, [{ kind: 'skipped', origin: 'x', reason: 'r', file: 'x' }], { onProgress: (p) => progress.push(p) });
    expect(fromArray.skippedCount).toBe(1);
    await store.close();
  });

  it('a 2 MB paragraph (one JSON record) is chunked whole: every character in a passage, passages within the limit', async () => {
    const sentence = 'The committee reviewed the budget line by line and approved it on Thursday. ';
    const text = sentence.repeat(Math.ceil((2 * 1024 * 1024) / sentence.length));
    const file = path.join(dir, 'big.json');
    fs.writeFileSync(file, JSON.stringify({ id: 'big', title: 'Budget', text }));
    const [result] = await collect([file]);
    expect(result?.kind).toBe('article');
    const chunks = chunkText(result!.kind === 'article' ? result!.article.text : '');
    expect(chunks.length).toBeGreaterThan(2_000);
    expect(chunks.every((c) => c.text.length <= 1000)).toBe(true);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.trim().length);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.start).toBeLessThanOrEqual(chunks[i - 1]!.end);
  });

  it('a compressed single-article file larger than the file limit is refused by its size, never read into memory', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    // Sparse: 64 MB on paper, no disk used. Read whole, it would cost 64 MB of memory (2 GB for a 2 GB file).
    fs.writeFileSync(path.join(corpus, 'big.md.gz'), '');
    fs.truncateSync(path.join(corpus, 'big.md.gz'), 64 * 1024 * 1024);
    fs.writeFileSync(path.join(corpus, 'small.md.gz'), zlib.gzipSync('# Bridge\n\nThe bridge reopened on Monday after a year of repairs.'));
    const results = await collect([corpus], { maxFileBytes: 1024 * 1024 });
    expect(summarize(results)).toEqual(['skipped big.md.gz: compressed file too large (64.0 MB > 1 MB)', expect.stringMatching(/^article /)]);
  });
});

describe('hostile HTML: extraction is bounded in size, depth and time', () => {
  it('a page nested 2,000 deep goes to the linear extractor, with the reason', async () => {
    const html = `<html><head><title>Deep</title></head><body>${'<div>'.repeat(2_000)}<p>${'The deep page still has words. '.repeat(10)}</p>${'</div>'.repeat(2_000)}</body></html>`;
    const result = await extractHtml(html);
    expect(result.method).toBe('plain');
    expect(result.reason).toBe('elements nested 2002 deep (limit 100)');
    expect(result.raw.title).toBe('Deep');
    expect(result.raw.text).toContain('The deep page still has words.');
  });

  it('a page over the size limit goes to the linear extractor: metadata and article text without furniture', async () => {
    const paragraphs = Array.from({ length: 12_000 }, (_, i) => `Paragraph ${i} of a very long report about the harbour.`);
    const html = articlePage('Harbour report', '2025-03-02', paragraphs, '<link rel="canonical" href="https://news.example/harbour">');
    expect(html.length).toBeGreaterThan(600_000);
    const result = await extractHtml(html, undefined, { maxChars: 500_000 });
    expect(result.method).toBe('plain');
    expect(result.reason).toMatch(/^page of \d+ characters \(limit 500000\)$/);
    expect(result.raw).toMatchObject({ title: 'Harbour report', date: '2025-03-02T09:00:00Z', url: 'https://news.example/harbour', source: 'Local News' });
    expect(result.raw.text.startsWith('Paragraph 0 of a very long report')).toBe(true);
    expect(result.raw.text).toContain('Paragraph 11999 of');
    expect(result.raw.text).not.toMatch(/Sections Menu|track\(\)|© Local News/);
  });

  it('Readability is stopped at the time limit and the page is extracted linearly; the next page uses Readability again', async () => {
    const row = '<div class="row"><span>Item text</span> <a href="/a">link</a></div>\n';
    const slow = `<html><body><article><h1>Many rows</h1>${row.repeat(1_500)}</article></body></html>`;
    const result = await extractHtml(slow, undefined, { timeoutMs: 150 });
    expect(result.method).toBe('plain');
    expect(result.reason).toBe('Readability took over 150 ms');
    expect(result.raw.text).toContain('Item text link');
    const normal = await extractHtml(articlePage('Tram line', '2025-03-04', ['The council voted to expand the tram network to the airport. '.repeat(5)]));
    expect(normal.method).toBe('readability');
    expect(normal.raw.text).toContain('expand the tram network');
  });
});

describe('symbolic links in the corpus', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('a link out of the scanned folder is skipped with a reason and never read', async () => {
    const corpus = path.join(dir, 'corpus');
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(corpus);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'Secret\n\nroot:x:0:0:root:/root:/bin/bash');
    fs.writeFileSync(path.join(corpus, 'good.txt'), 'Good story\n\nThe bridge reopened on Monday.');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(corpus, 'secret.txt'));
    fs.symlinkSync('/etc/passwd', path.join(corpus, 'passwd.txt'));
    fs.symlinkSync(outside, path.join(corpus, 'outside-dir'));
    fs.symlinkSync(path.join(dir, 'nothing-here'), path.join(corpus, 'broken.txt'));
    const results = await collect([corpus]);
    expect(summarize(results)).toEqual([
      'skipped broken.txt: broken symbolic link',
      'skipped outside-dir: symbolic link to a path outside the scanned folder (not followed)',
      'skipped passwd.txt: symbolic link to a path outside the scanned folder (not followed)',
      'skipped secret.txt: symbolic link to a path outside the scanned folder (not followed)',
      'article doc:good.txt',
    ]);
    expect(JSON.stringify(results)).not.toContain('root:x:0:0');
  });

  it('links that loop (a -> ., b -> .) end at once, and each real file is read once', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(path.join(corpus, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(corpus, 'sub', 'story.txt'), 'Story\n\nThe museum opened a new wing.');
    fs.symlinkSync('.', path.join(corpus, 'a'));
    fs.symlinkSync('.', path.join(corpus, 'b'));
    fs.symlinkSync('..', path.join(corpus, 'sub', 'up'));
    fs.symlinkSync(path.join(corpus, 'sub'), path.join(corpus, 'sub-link'));
    fs.symlinkSync(path.join(corpus, 'sub', 'story.txt'), path.join(corpus, 'story-link.txt'));
    const { files, skipped } = await listSourceFiles([corpus]);
    expect(files.map((f) => path.relative(corpus, f.path))).toEqual([path.join('sub', 'story.txt')]);
    expect(skipped).toEqual([]);
  });

  it('a link inside the folder is followed, and a link given as the folder itself works', async () => {
    const real = path.join(dir, 'real-corpus');
    fs.mkdirSync(real);
    fs.writeFileSync(path.join(real, 'story.txt'), 'Story\n\nThe harbour reopened.');
    const link = path.join(dir, 'corpus-link');
    fs.symlinkSync(real, link);
    if (os.platform() === 'win32') return;
    expect(summarize(await collect([link]))).toEqual(['article doc:story.txt']);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles, type ReadResult } from '../../src/ingest/read-articles.js';
import { SEED_FILE, tempDir } from '../helpers/env.js';
import { openTestStore } from '../helpers/test-store.js';

describe('bad articles are skipped with a reason and the rest ingests', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('handles every kind of broken input in one run', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(SEED_FILE, path.join(corpus, 'good-seed.txt'));
    fs.writeFileSync(path.join(corpus, 'good.md'), '---\ntitle: Good one\ndate: 2025-01-02\n---\nA perfectly fine article about harbour repairs.');
    fs.writeFileSync(path.join(corpus, 'empty.txt'), '');
    fs.writeFileSync(path.join(corpus, 'blank.txt'), '   \n\n  ');
    fs.writeFileSync(path.join(corpus, 'binary.html'), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]));
    fs.writeFileSync(path.join(corpus, 'latin1.txt'), Buffer.from('caf\xe9 au lait', 'latin1'));
    const big = fs.openSync(path.join(corpus, 'huge.txt'), 'w');
    fs.ftruncateSync(big, 50 * 1024 * 1024);
    fs.closeSync(big);
    fs.writeFileSync(path.join(corpus, 'scripts.html'), '<html><body><script>alert(1)</script><style>p{}</style><nav>Home</nav></body></html>');
    fs.writeFileSync(path.join(corpus, 'array.json'), '[1, "two", null]');
    fs.writeFileSync(path.join(corpus, 'string.json'), '"just a string"');
    fs.writeFileSync(path.join(corpus, 'bad-date.md'), '---\ntitle: When?\ndate: 31/31/2024\n---\nBody text.');
    fs.writeFileSync(path.join(corpus, 'bad-yaml.md'), '---\ntitle: [unclosed\n---\nBody text.');
    fs.writeFileSync(
      path.join(corpus, 'dupes.jsonl'),
      [
        JSON.stringify({ id: 'same', title: 'First', text: 'First text about a museum.' }),
        JSON.stringify({ id: 'same', title: 'Second', text: 'Second text about a stadium.' }),
        JSON.stringify({ id: 'other', title: 'First', text: 'First text about a museum.' }),
        JSON.stringify({ id: 'third', title: 'Third', text: 'Third text about a bridge.', url: 'https://www.x.example/a?utm_source=feed' }),
        JSON.stringify({ id: 'fourth', title: 'Fourth', text: 'Same page, fetched again with other text.', url: 'https://x.example/a' }),
      ].join('\n'),
    );
    const store = openTestStore(path.join(dir, 'data'));
    const summary = await ingestArticles(store, null, readArticles([corpus]));
    const reasons = Object.fromEntries(summary.skipped.map((s) => [path.basename(s.origin), s.reason]));
    expect(reasons).toEqual({
      'empty.txt': 'empty file',
      'blank.txt': 'no text',
      'binary.html': 'binary file (contains NUL bytes)',
      'latin1.txt': 'not valid UTF-8 text',
      'huge.txt': 'file too large (50.0 MB > 10 MB)',
      'scripts.html': expect.stringMatching(/^no (body )?text$/),
      'array.json#1': 'record is number, not an object',
      'array.json#2': 'record is string, not an object',
      'array.json#3': 'record is null, not an object',
      'string.json': 'record is string, not an object',
      'bad-date.md': 'invalid date "31/31/2024"',
      'bad-yaml.md': expect.stringMatching(/^front matter is not valid YAML/),
      'dupes.jsonl#2': 'duplicate id "same" (also in ' + path.relative(process.cwd(), path.join(corpus, 'dupes.jsonl')) + '#1)',
      'dupes.jsonl#3': 'same content as article "same"',
      'dupes.jsonl#5': 'same URL as article "third"',
    });
    expect(summary.added).toBe(4);
    expect((await store.stats()).articles).toBe(4);
    expect((await store.checkConsistency()).ok).toBe(true);
    await store.close();
  });

  it('reports a file that vanishes while being read, and goes on', async () => {
    const corpus = path.join(dir, 'vanishing');
    fs.mkdirSync(corpus);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(corpus, `a${i}.txt`), `Title ${i}\n\nBody of article ${i} about the ${['harbour', 'museum', 'bridge', 'school', 'park'][i]}.`);
    const results: ReadResult[] = [];
    for await (const r of readArticles([corpus])) {
      results.push(r);
      // After the first file is read, two files disappear before their turn comes.
      if (results.length === 1) {
        fs.rmSync(path.join(corpus, 'a2.txt'));
        fs.rmSync(path.join(corpus, 'a4.txt'));
      }
    }
    expect(results.filter((r) => r.kind === 'article')).toHaveLength(3);
    expect(results.filter((r) => r.kind === 'skipped').map((r) => (r.kind === 'skipped' ? [path.basename(r.origin), r.reason] : []))).toEqual([
      ['a2.txt', 'file vanished while being read'],
      ['a4.txt', 'file vanished while being read'],
    ]);
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, tempDir, unitVector } from '../helpers/env.js';
import { runCli } from '../helpers/run-cli.js';
import { openTestStore } from '../helpers/test-store.js';

const DIMENSION = 64;

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function sha(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('store writers', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('two ingest processes on one DATA_DIR queue for the write lock instead of failing with SQLITE_BUSY', async () => {
    const records = (name: string, n: number) =>
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${name}-${i}`, title: `${name} story ${i}`, text: `Report ${i} from ${name}: the council met about road ${i} and school ${i * 3}. It agreed to act before winter.` })).join('\n');
    fs.writeFileSync(path.join(dir, 'a.jsonl'), records('alpha', 6_000));
    fs.writeFileSync(path.join(dir, 'b.jsonl'), records('beta', 6_000));
    const env = {
      DATA_DIR: path.join(dir, 'data'),
      CORPUS_DIR: path.join(dir, 'none'),
      EMBEDDING_MODEL: 'Xenova/not-downloadable',
      EMBEDDING_MODEL_DIR: path.join(dir, 'no-models'),
      EMBEDDING_ALLOW_REMOTE: 'false',
    };
    const [a, b] = await Promise.all([
      runCli('ingest', [path.join(dir, 'a.jsonl'), '--json'], env, { timeoutMs: 120_000 }),
      runCli('ingest', [path.join(dir, 'b.jsonl'), '--json'], env, { timeoutMs: 120_000 }),
    ]);
    expect(a.stderr).not.toMatch(/SQLITE_BUSY|locked/);
    expect(b.stderr).not.toMatch(/SQLITE_BUSY|locked/);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect((JSON.parse(a.stdout) as { added: number }).added).toBe(6_000);
    expect((JSON.parse(b.stdout) as { added: number }).added).toBe(6_000);
    const store = openTestStore(env.DATA_DIR);
    expect((await store.stats()).articles).toBe(12_000);
    expect((await store.checkConsistency()).problems).toEqual([]);
    await store.close();
  }, 180_000);

  it.skipIf(!hasPrlimit())('a vector index write that fails part-way (file size limit: a disk filling up) never replaces the good index', async () => {
    const data = path.join(dir, 'data');
    const embedding = { modelId: 'test/model', dimension: DIMENSION };
    const article = (i: number) => ({
      article: { id: `a${i}`, title: `Story ${i}`, text: `Text of story ${i}.`, date: null, source: 'test', url: null, author: null, origin: `s#${i}`, contentHash: `h${i}` },
      passages: [{ position: 0, start: 0, end: 14, text: `Text of story ${i}.`, vector: unitVector(DIMENSION, i + 1) }],
    });
    let store = openTestStore(data, { embedding });
    await store.putArticles(Array.from({ length: 300 }, (_, i) => article(i)));
    // The housekeeping after an ingest run writes the index file (there is none yet).
    await store.afterIngest({ largeChange: false });
    await store.close();
    const indexFile = path.join(data, 'vectors.hnsw');
    const goodSize = fs.statSync(indexFile).size;
    const goodHash = sha(indexFile);

    // A second process adds vectors, then may not write files past a little more than the old
    // index (RLIMIT_FSIZE), and persists the index after its run (2,000 changes: enough to
    // rewrite the file): the write comes out short.
    const child = path.join(dir, 'child.mts');
    fs.writeFileSync(
      child,
      `import { execFileSync } from 'node:child_process';
import { openTestStore } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'tests/helpers/test-store.ts')).href)};
import { unitVector } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'tests/helpers/env.ts')).href)};
const store = openTestStore(${JSON.stringify(data)}, { embedding: ${JSON.stringify(embedding)} });
const items = Array.from({ length: 2000 }, (_, k) => { const i = 300 + k; return {
  article: { id: 'a' + i, title: 'Story ' + i, text: 'Text of story ' + i + '.', date: null, source: 'test', url: null, author: null, origin: 's#' + i, contentHash: 'h' + i },
  passages: [{ position: 0, start: 0, end: 14, text: 'Text of story ' + i + '.', vector: unitVector(${DIMENSION}, i + 1) }],
}; });
await store.putArticles(items);
await store.openVectorIndex();
execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=${goodSize + 4096}']);
try {
  await store.afterIngest({ largeChange: false });
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
}
process.exit(0);
`,
    );
    const output = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
    });
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as { ok: boolean; code?: string; message?: string };
    expect(result.ok).toBe(false);
    expect(result.code).toBe('STORE_IO');
    expect(result.message).toMatch(/could not write the vector index .*index file is .*short|could not write the vector index .*bytes/);
    expect(result.message).toMatch(/the previous index file is kept/);
    // The good index is untouched, no temp file is left, and the store opens with every vector.
    expect(sha(indexFile)).toBe(goodHash);
    expect(fs.readdirSync(data).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    store = openTestStore(data, { embedding });
    const report = await store.checkConsistency();
    expect(report.problems).toEqual([]);
    expect(report.indexed).toBe(2_300);
    expect((await store.vectorSearch(unitVector(DIMENSION, 2_000), 1))[0]?.id).toBeDefined();
    await store.close();
  }, 120_000);
});

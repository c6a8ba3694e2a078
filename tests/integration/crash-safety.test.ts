import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_TINY_MODEL, MODELS_DIR, TINY_MODEL, tempDir } from '../helpers/env.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';
import { openTestStore } from '../helpers/test-store.js';

const TOPICS = ['harbour', 'railway', 'election', 'vaccine', 'wildfire', 'museum', 'satellite', 'orchestra', 'drought', 'stadium'];

/** A corpus big enough that ingest takes a few seconds with the tiny model. */
function writeCorpus(dir: string, count: number, tag = 'Report'): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const topic = TOPICS[i % TOPICS.length]!;
    const paragraphs = Array.from({ length: 8 }, (_, p) => `${tag} ${i} paragraph ${p}: officials discussed the ${topic} plan number ${i} with residents, who asked about costs, timing and the effect on jobs in the region.`);
    fs.writeFileSync(path.join(dir, `${tag.toLowerCase()}-${String(i).padStart(4, '0')}.txt`), `date 2025-01-${String((i % 28) + 1).padStart(2, '0')} The ${topic} story number ${i} (${tag})\n\n${paragraphs.join('\n\n')}`);
  }
}

const tinyEmbedding = { modelId: TINY_MODEL, dimension: 32 };

describe.skipIf(!HAS_TINY_MODEL)('crash safety and concurrent access (tiny model, real child processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  let corpus: string;
  let data: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('newsbot-crash-'));
    corpus = path.join(dir, 'corpus');
    data = path.join(dir, 'data');
    writeCorpus(corpus, 400);
    env = { DATA_DIR: data, CORPUS_DIR: corpus, EMBEDDING_MODEL: TINY_MODEL, EMBEDDING_MODEL_DIR: MODELS_DIR, EMBEDDING_ALLOW_REMOTE: 'false', LOG_LEVEL: 'warn' };
  });
  afterAll(() => cleanup());

  it('survives SIGKILL at random moments: the store opens consistent and the next run completes', async () => {
    const delays = [900, 1200, 1500, 1800, 2200].map((d) => d + Math.floor(Math.random() * 300));
    const seen: number[] = [];
    for (const delay of delays) {
      const child = spawnCli('ingest', env);
      await new Promise((r) => setTimeout(r, delay));
      child.process.kill('SIGKILL');
      await child.exited;
      const store = openTestStore(data, { embedding: tinyEmbedding });
      const report = await store.checkConsistency();
      await store.close();
      expect(report.problems, `after SIGKILL at ${delay} ms`).toEqual([]);
      seen.push(report.articles);
    }
    // Committed work is kept across kills: the article count never goes down.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    const finish = await runCli('ingest', ['--json'], env, { timeoutMs: 120_000 });
    expect(finish.code).toBe(0);
    const summary = JSON.parse(finish.stdout) as { added: number; unchanged: number; store: { articles: number } };
    expect(summary.store.articles).toBe(400);
    expect(summary.added + summary.unchanged).toBe(400);
    const check = await runCli('ingest', ['--check', '--json'], env);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, articles: 400 });
  });

  it('serves reads while another process ingests, and the reader sees the new articles and vectors', async () => {
    const extra = path.join(dir, 'more');
    writeCorpus(extra, 150, 'Update');
    const reader = openTestStore(data, { embedding: tinyEmbedding });
    const before = (await reader.stats()).articles;
    const child = spawnCli('ingest', { ...env, CORPUS_DIR: extra });
    let reads = 0;
    let last = before;
    let done = false;
    void child.exited.then(() => (done = true));
    while (!done) {
      const n = (await reader.stats()).articles;
      expect(n).toBeGreaterThanOrEqual(last);
      last = n;
      expect((await reader.lexicalSearch(['harbour'], 5)).length).toBeGreaterThan(0);
      reads++;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await child.exited).toBe(0);
    expect(reads).toBeGreaterThan(10);
    // The long-running reader (like the bot) sees the new articles without reopening.
    const after = await reader.stats();
    expect(after.articles).toBe(before + 150);
    // Once refresh settles, this process's vector index holds every stored vector.
    await reader.refresh();
    expect(reader.indexedVectors).toBe(after.vectors);
    expect((await reader.checkConsistency()).problems).toEqual([]);
    await reader.close();
  });

  it('npm run ingest -- --watch picks up a new file', async () => {
    const watched = path.join(dir, 'watched');
    writeCorpus(watched, 2);
    const watchData = path.join(dir, 'watch-data');
    const child = spawnCli('ingest', { ...env, DATA_DIR: watchData, CORPUS_DIR: watched }, ['--watch', '--interval', '1']);
    try {
      const count = async () => {
        if (!fs.existsSync(path.join(watchData, 'news.db'))) return 0;
        const s = openTestStore(watchData, { embedding: tinyEmbedding });
        try {
          return (await s.stats()).articles;
        } finally {
          await s.close();
        }
      };
      const until = async (n: number) => {
        const end = Date.now() + 30_000;
        while ((await count()) < n && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
        return count();
      };
      expect(await until(2)).toBe(2);
      fs.writeFileSync(path.join(watched, 'late.md'), '---\ntitle: Late breaking story\ndate: 2025-02-01\n---\nA late story arrived while the watcher was running.');
      expect(await until(3)).toBe(3);
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
    } finally {
      child.process.kill('SIGKILL');
    }
  });
});

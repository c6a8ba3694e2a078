import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_TINY_MODEL, MODELS_DIR, REPO, SEED_FILE, TINY_MODEL, isAlive, tempDir } from '../helpers/env.js';
import { FakeDiscord } from '../helpers/fake-discord.js';

/**
 * `npm run build` (scripts/build.mjs): the compiled JavaScript runs under plain node, without tsx,
 * as in the container: the console's first-start ingest forks the compiled ingest worker, whose
 * HTML parsing runs in the compiled html worker thread; the shard manager starts compiled shards.
 */
const OUT = path.join(REPO, 'tests', '.tmp', `build-${process.pid}`);
const STORM_HTML =
  '<html><head><title>Storm floods coastal towns</title><meta property="article:published_time" content="2025-02-25"></head><body><nav>Menu</nav><article><p>Heavy rain from the storm flooded several coastal towns on Tuesday, forcing hundreds of residents to leave their homes.</p><p>Emergency services said the water was receding by evening.</p></article></body></html>';

/** Runs plain node (no tsx) with `args`. */
function node(args: string[], env: Record<string, string> = {}, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npm run build', () => {
  const tmp = tempDir('newsbot-build-');
  beforeAll(async () => {
    const build = await node([path.join(REPO, 'scripts', 'build.mjs'), '--out-dir', OUT]);
    expect(build.code, build.stderr + build.stdout).toBe(0);
  });
  afterAll(() => {
    fs.rmSync(OUT, { recursive: true, force: true });
    tmp.cleanup();
  });

  it('writes every entry point as JavaScript, with the non-TypeScript files beside them', () => {
    for (const file of ['cli/start.js', 'cli/ask.js', 'cli/ingest.js', 'cli/shard.js', 'cli/deploy-commands.js', 'app/ingest-worker.js', 'ingest/formats/html-worker.mjs']) {
      expect(fs.existsSync(path.join(OUT, file)), file).toBe(true);
    }
    expect(fs.readdirSync(OUT, { recursive: true }).filter((f) => String(f).endsWith('.ts'))).toEqual([]);
  });

  it('parses HTML with Readability in the compiled worker thread (not the plain fallback)', async () => {
    const html = pathToFileURL(path.join(OUT, 'ingest', 'formats', 'html.js')).href;
    const script = `const { extractHtml } = await import(${JSON.stringify(html)}); const r = await extractHtml(${JSON.stringify(STORM_HTML)}); console.log(JSON.stringify({ method: r.method, reason: r.reason ?? null, title: r.raw.title }));`;
    // A file, not `-e`: the worker thread would inherit --input-type.
    const file = path.join(tmp.dir, 'parse-html.mjs');
    fs.writeFileSync(file, script);
    const result = await node([file]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ method: 'readability', reason: null, title: 'Storm floods coastal towns' });
  });

  it('runs under plain node: the console reads a corpus with an HTML page on first start (worker process and thread compiled) and answers with citations', async () => {
    const corpus = path.join(tmp.dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(SEED_FILE, path.join(corpus, path.basename(SEED_FILE)));
    fs.writeFileSync(path.join(corpus, 'storm.html'), STORM_HTML);
    const env: Record<string, string> = { DATA_DIR: path.join(tmp.dir, 'data'), CORPUS_DIR: corpus, EMBEDDING_ALLOW_REMOTE: 'false', LOG_LEVEL: 'info' };
    if (HAS_TINY_MODEL) Object.assign(env, { EMBEDDING_MODEL_DIR: MODELS_DIR, EMBEDDING_MODEL: TINY_MODEL });
    const console = await node([path.join(OUT, 'cli', 'start.js')], env, 'What did Starmer ask Trump for?\nWhat did the storm flood?\nexit\n');
    const output = console.stdout + console.stderr;
    expect(console.code, output).toBe(0);
    expect(output).toMatch(/ingest: 2 added, .* 0 skipped/);
    expect(console.stdout).toMatch(/Starmer[^\n]*\[1\]/);
    expect(console.stdout).toContain('[1] Starmer pushes Trump for Ukraine guarantees against Putin (2025-02-27, corpus)');
    expect(console.stdout).toContain('Storm floods coastal towns (2025-02-25, corpus)');
    // tsx is never loaded: the compiled code stands on its own.
    expect(output).not.toMatch(/tsx/);
  });

  it('runs the bot sharded under plain node: the manager starts the compiled shard processes, which answer, and SIGTERM ends them all', async () => {
    const fake = new FakeDiscord({ recommendedShards: 2, maxConcurrency: 16 });
    await fake.start();
    const corpus = path.join(tmp.dir, 'shard-corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(SEED_FILE, path.join(corpus, path.basename(SEED_FILE)));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: path.join(tmp.dir, 'shard-data'), CORPUS_DIR: corpus, EMBEDDING_ALLOW_REMOTE: 'false', EMBEDDING_MODEL_DIR: path.join(tmp.dir, 'no-models'), DISCORD_TOKEN: 'test-token', DISCORD_API_URL: fake.apiUrl, DISCORD_SHARDS: '2' };
    const bot = spawn(process.execPath, [path.join(OUT, 'cli', 'start.js')], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    bot.stdout.on('data', (d: Buffer) => (output += d.toString()));
    bot.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => bot.on('close', resolve));
    try {
      for (const wanted of [/all 2 shards are ready/, /ingest: 1 added/]) {
        const end = Date.now() + 60_000;
        while (!wanted.test(output)) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${wanted}; output:\n${output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(fake.connectedShards().sort()).toEqual([[0, 2], [1, 2]]);
      const since = fake.calls.length;
      const { token } = fake.interaction('ask', { question: 'What did Starmer ask Trump for?' });
      const edit = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 15_000 });
      expect(String((edit.body as Record<string, unknown>)['content'])).toMatch(/Starmer[^\n]*\[1\]/);
      const shardPids = [...output.matchAll(/shard \d of 2 started pid=(\d+)/g)].map((m) => Number(m[1]));
      expect(shardPids).toHaveLength(2);
      bot.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      // The manager exits after its shards have (each finishing its answers first).
      expect(shardPids.filter(isAlive)).toEqual([]);
      expect(output).not.toMatch(/tsx/);
    } finally {
      bot.kill('SIGKILL');
      await fake.stop();
    }
  });
});

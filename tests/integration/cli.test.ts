import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_TINY_MODEL, isAlive, MODELS_DIR, REPO, TINY_MODEL, tempDir } from '../helpers/env.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';

const QUESTION = 'What did Starmer ask Trump for?';
const SEED_TITLE = 'Starmer pushes Trump for Ukraine guarantees against Putin';

describe('command-line entry points', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  const offline = (data: string) => ({
    DATA_DIR: data,
    CORPUS_DIR: path.join(REPO, 'corpus'),
    EMBEDDING_MODEL: 'Xenova/not-downloadable',
    EMBEDDING_MODEL_DIR: path.join(dir, 'no-models'),
    EMBEDDING_ALLOW_REMOTE: 'false',
  });

  it('npm run ask answers from the bundled corpus without a model, with one warning line', async () => {
    const data = path.join(dir, 'offline');
    const result = await runCli('ask', [QUESTION], offline(data));
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('warn'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not be loaded.*lexical search only/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(result.stdout).toMatch(/backstop|security guarantee/);
    expect(result.stdout).toMatch(/\[1\]/);
    expect(result.stdout).toContain(`[1] ${SEED_TITLE} (2025-02-27`);
  });

  it('npm start runs the console chat on stdin/stdout', async () => {
    const data = path.join(dir, 'console');
    const result = await runCli('start', [], offline(data), { stdin: `${QUESTION}\n\nWho won the chess olympiad?\n` });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/store is empty: ingesting/);
    expect(result.stdout).toMatch(/News QA console: 1 articles/);
    expect(result.stdout).toMatch(/plead for a US backstop[^\n]*\[1\]/);
    expect(result.stdout).toContain('Sources:');
    expect(result.stdout).toContain(`[1] ${SEED_TITLE} (2025-02-27`);
    expect(result.stdout).toMatch(/couldn't find anything about “the chess olympiad” in the news I have/);
  });

  it('npm run ingest reports added and skipped articles with reasons', async () => {
    const corpus = path.join(dir, 'mixed');
    fs.mkdirSync(corpus);
    fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
    fs.writeFileSync(path.join(corpus, 'empty.md'), '');
    const env = offline(path.join(dir, 'ingest-data'));
    const first = await runCli('ingest', [corpus], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ingest: 1 added, 0 updated, 0 unchanged, 0 removed, 1 skipped/);
    expect(first.stdout).toMatch(/skipped .*empty\.md: empty file/);
    const second = await runCli('ingest', [corpus, '--json'], env);
    const summary = JSON.parse(second.stdout) as { added: number; unchanged: number; store: { articles: number } };
    expect(summary).toMatchObject({ added: 0, unchanged: 1, store: { articles: 1 } });
  });

  it('rejects bad arguments and bad configuration with a message', async () => {
    const noQuestion = await runCli('ask', [], offline(path.join(dir, 'x')));
    expect(noQuestion.code).toBe(2);
    expect(noQuestion.stderr).toMatch(/usage: npm run ask/);
    const badConfig = await runCli('ask', [QUESTION], { ...offline(path.join(dir, 'x')), TOP_K: 'lots' });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/TOP_K/);
  });

  it.skipIf(!HAS_TINY_MODEL)('npm run ask --json uses hybrid search with a local model and refuses a store of another model', async () => {
    const data = path.join(dir, 'tiny');
    const env = { DATA_DIR: data, CORPUS_DIR: path.join(REPO, 'corpus'), EMBEDDING_MODEL: TINY_MODEL, EMBEDDING_MODEL_DIR: MODELS_DIR, EMBEDDING_ALLOW_REMOTE: 'false' };
    const result = await runCli('ask', ['--json', QUESTION], env);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/^warn/m);
    const json = JSON.parse(result.stdout) as { answer: string; mode: string; confidence: number; citations: { n: number; articleId: string; title: string; date: string; url: string | null; passage: string }[] };
    expect(json.mode).toBe('extractive');
    expect(json.confidence).toBeGreaterThan(0.5);
    expect(json.confidence).toBeLessThanOrEqual(1);
    expect(json.answer).toMatch(/backstop|security guarantee/);
    expect(json.citations[0]).toMatchObject({ n: 1, title: SEED_TITLE, date: '2025-02-27', url: null, articleId: expect.any(String) });
    expect(json.citations[0]!.passage.length).toBeGreaterThan(100);

    const other = await runCli('ask', [QUESTION], { ...env, EMBEDDING_MODEL: 'test/bert-random-minilm-shape' });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/built with embedding model "test\/bert-random-tiny".*Re-ingest/);
  });

  it('npm run ask --json answers with the language model at OPENAI_BASE_URL, or extractively with a note when it fails', async () => {
    const server = new FakeOpenAI();
    const baseURL = await server.start();
    try {
      const env = { ...offline(path.join(dir, 'llm')), OPENAI_BASE_URL: baseURL, OPENAI_MODEL: 'local-test', LLM_MAX_ATTEMPTS: '2', OPENAI_API_KEY: 'sk-secret-key-123' };
      server.reply({ kind: 'stream', deltas: ['Starmer asked Trump for a US backstop ', 'to any Ukraine ceasefire [1]. See also [4].'] });
      const ok = await runCli('ask', ['--json', QUESTION], env);
      expect(ok.code).toBe(0);
      const json = JSON.parse(ok.stdout) as { answer: string; mode: string; citations: { n: number; title: string }[]; invalidCitations: number; usage: unknown };
      expect(json.mode).toBe('llm');
      expect(json.answer).toBe('Starmer asked Trump for a US backstop to any Ukraine ceasefire [1]. See also.');
      expect(json.citations).toEqual([expect.objectContaining({ n: 1, title: SEED_TITLE })]);
      expect(json.invalidCitations).toBe(1);
      expect(server.requests[0]!.body.model).toBe('local-test');
      expect(server.requests[0]!.body.messages[1]!.content).toContain('US backstop');

      // A model tricked into echoing the API key: --json output is redacted like every other form.
      server.reply({ kind: 'stream', deltas: ['Starmer asked for a backstop [1]. The key is sk-secret-key-123.'] });
      const leaked = await runCli('ask', ['--json', QUESTION], env);
      expect(leaked.code).toBe(0);
      expect(leaked.stdout).not.toContain('sk-secret-key-123');
      expect((JSON.parse(leaked.stdout) as { answer: string }).answer).toContain('The key is [redacted].');

      server.reply({ kind: 'error', status: 503 });
      const failed = await runCli('ask', ['--json', QUESTION], env);
      expect(failed.code).toBe(0);
      const fallback = JSON.parse(failed.stdout) as { answer: string; mode: string; notes: string[] };
      expect(fallback.mode).toBe('extractive');
      expect(fallback.answer).toMatch(/backstop/);
      expect(fallback.notes).toEqual([expect.stringMatching(/language model was unavailable/)]);
      expect(failed.stdout + failed.stderr).not.toContain('sk-secret-key-123');
    } finally {
      await server.stop();
    }
  });

  it('npm run deploy-commands registers the commands in the guild', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    try {
      const result = await runCli('deploy-commands', [], { ...offline(path.join(dir, 'deploy')), DISCORD_TOKEN: 'deploy-token', DISCORD_API_URL: fake.apiUrl, DISCORD_GUILD_ID: fake.guildId });
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe('/ask /search /latest /status /ingest /reingest /sources /feeds');
      const put = fake.find('PUT', /\/commands$/);
      expect(put).toHaveLength(1);
      expect(put[0]!.path).toBe(`/applications/${fake.appId}/guilds/${fake.guildId}/commands`);
      expect(put[0]!.authorization).toBe('Bot deploy-token');
    } finally {
      await fake.stop();
    }
  });

  it('npm start with DISCORD_TOKEN logs in, registers commands, answers /ask and shuts down on SIGTERM', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    const child = spawnCli('start', {
      ...offline(path.join(dir, 'bot')),
      DISCORD_TOKEN: 'secret-bot-token-xyz',
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_REGISTER_COMMANDS: 'true',
      DISCORD_GUILD_ID: fake.guildId,
    });
    try {
      await fake.waitFor('PUT', /\/guilds\/\d+\/commands$/, { timeoutMs: 30_000 });
      // The bot is online at once; the first-run corpus ingest runs in its worker meanwhile.
      for (const end = Date.now() + 30_000; !/ingest: 1 added/.test(child.output()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      expect(child.output()).toMatch(/store is empty: ingesting .* in the background/);
      const { token } = fake.interaction('ask', { question: QUESTION });
      const edit = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { timeoutMs: 15_000 });
      const text = String((edit.body as Record<string, unknown>)['content']);
      expect(text).toMatch(/backstop[^\n]*\[1\]/);
      expect(text).toContain(SEED_TITLE);
      child.process.kill('SIGTERM');
      const code = await child.exited;
      expect(code).toBe(0);
      expect(child.output()).toMatch(/logged in to Discord as newsbot/);
      expect(child.output()).toMatch(/SIGTERM: finishing answers in progress/);
      expect(child.output()).not.toContain('secret-bot-token-xyz');
    } finally {
      child.process.kill('SIGKILL');
      await fake.stop();
    }
  });

  describe.skipIf(!fs.existsSync('/proc/self/stat'))('no orphan: the bot ends with the process that started it', () => {
    /** Pids of the processes below `root` (from /proc: parent ids). */
    const descendants = (root: number): number[] => {
      const parentOf = new Map<number, number>();
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
          parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
        } catch {
          // gone meanwhile
        }
      }
      const out: number[] = [];
      for (const pid of parentOf.keys()) for (let p = parentOf.get(pid); p; p = parentOf.get(p)) if (p === root) out.push(pid);
      return out;
    };
    /** Writers holding each console's stdin open (a FIFO of its own, so its end of input never comes from the test). */
    const holders: ChildProcess[] = [];
    afterAll(() => holders.forEach((h) => h.kill('SIGKILL')));
    /** Starts `command` in a shell, its stdin a FIFO held open by another process, and returns once the console is ready. */
    const start = async (command: string, data: string) => {
      fs.mkdirSync(data, { recursive: true });
      const fifo = path.join(data, 'stdin');
      spawnSync('mkfifo', [fifo]);
      holders.push(spawn('sh', ['-c', `exec sleep 120 > "${fifo}"`], { stdio: 'ignore' }));
      const child = spawn('sh', ['-c', `{ ${command}; } < "${fifo}"`], { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...offline(data) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const ready = new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          output += d.toString();
          if (output.includes('News QA console')) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('close', () => reject(new Error(`exited before the console was ready: ${output}`)));
      });
      await ready;
      return { child, below: descendants(child.pid!) };
    };
    const gone = async (pids: number[]) => {
      for (const end = Date.now() + 30_000; pids.some(isAlive) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
      return pids.filter(isAlive);
    };

    it('npm start: SIGTERM to npm ends the bot too', async () => {
      const { child, below } = await start('exec npm start --silent', path.join(dir, 'npm-start'));
      expect(below.length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect(await gone(below)).toEqual([]);
    });

    it('SIGKILL of the process that started it (nothing forwarded): the bot sees it and ends', async () => {
      const { child, below } = await start('node --import tsx src/cli/start.ts; echo done', path.join(dir, 'killed-parent'));
      expect(below.length).toBeGreaterThan(0);
      child.kill('SIGKILL');
      expect(await gone(below)).toEqual([]);
    });
  });
});


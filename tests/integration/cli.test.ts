import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermissionFlagsBits } from 'discord.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_TINY_MODEL, isAlive, MODELS_DIR, REPO, TINY_MODEL, tempDir } from '../helpers/env.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { freePort, runCli, spawnCli } from '../helpers/run-cli.js';

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

  it('the README quick start as written: `npm start` with no token and no key answers the quick-start question', async () => {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...offline(path.join(dir, 'quick-start')) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end(`${QUESTION}\n`);
    expect(await code, stderr).toBe(0);
    expect(stdout).toMatch(/plead for a US backstop[^\n]*\[1\]/);
    expect(stdout).toContain(`[1] ${SEED_TITLE} (2025-02-27`);
    expect(stderr).not.toMatch(/DISCORD_TOKEN|OPENAI_API_KEY/);
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
      expect(result.stdout.trim()).toBe('/ask /search /latest /status /ingest /reingest /sources /feeds /brief /watch');
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

  it('npm start with HEALTH_PORT and LOG_FORMAT=json: /healthz and /metrics, JSON log lines; during shutdown a new /ask is told "restarting" while the answer in progress finishes', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    const llm = new FakeOpenAI();
    const llmUrl = await llm.start();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    llm.reply(
      { kind: 'stream', deltas: ['Starmer asked Trump ', 'for a US backstop [1].'], usage: { prompt_tokens: 321, completion_tokens: 12 } },
      { kind: 'stream', deltas: ['Starmer asked ', 'for a backstop to any ceasefire [1].'], holdAfterFirst: held },
    );
    const port = await freePort();
    const health = async (route: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${route}`);
      return { status: response.status, text: await response.text() };
    };
    const child = spawnCli('start', {
      ...offline(path.join(dir, 'bot-health')),
      DISCORD_TOKEN: 'secret-bot-token-health',
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_REGISTER_COMMANDS: 'true',
      DISCORD_GUILD_ID: fake.guildId,
      OPENAI_BASE_URL: llmUrl,
      OPENAI_MODEL: 'fake-model',
      LLM_REWRITE_TIMEOUT_MS: '0',
      HEALTH_PORT: String(port),
      LOG_FORMAT: 'json',
    });
    try {
      await fake.waitFor('PUT', /\/guilds\/\d+\/commands$/, { timeoutMs: 30_000 });
      for (const end = Date.now() + 30_000; !/ingest: 1 added/.test(child.output()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      const ok = await health('/healthz');
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.text)).toEqual({ status: 'ok', checks: { gateway: { ok: true, detail: 'connected' }, store: { ok: true, detail: 'open: 1 articles' } } });

      const first = fake.interaction('ask', { question: QUESTION });
      const answered = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${first.token}/messages/@original$`), { timeoutMs: 15_000, where: (c) => /backstop \[1\]/.test(String((c.body as Record<string, unknown>)['content'])) });
      expect(String((answered.body as Record<string, unknown>)['content'])).toContain('Starmer asked Trump for a US backstop [1]');
      const metrics = (await health('/metrics')).text;
      expect(metrics).toMatch(/^newsbot_questions_total\{outcome="answered"\} 1$/m);
      expect(metrics).toMatch(/^newsbot_answer_seconds_count\{mode="llm"\} 1$/m);
      expect(metrics).toMatch(/^newsbot_llm_calls_total\{outcome="ok"\} 1$/m);
      expect(metrics).toMatch(/^newsbot_llm_tokens_total\{kind="prompt"\} 321$/m);
      expect(metrics).toMatch(/^newsbot_ingest_runs_total\{kind="corpus",outcome="finished"\} 1$/m);
      expect(metrics).toMatch(/^newsbot_ingest_articles_total\{result="added"\} 1$/m);
      expect(metrics).toMatch(/^newsbot_answer_queue_depth\{state="running"\} 0$/m);
      expect(metrics).toMatch(/^newsbot_gateway_connected 1$/m);
      expect(metrics).toMatch(/^newsbot_process_resident_memory_bytes \d+/m);

      // An answer in progress (the model holds it), then SIGTERM.
      const second = fake.interaction('ask', { question: QUESTION }, { user: { id: '626262626262626262', username: 'inflight' } });
      await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${second.token}/messages/@original$`), { timeoutMs: 15_000 });
      child.process.kill('SIGTERM');
      for (const end = Date.now() + 15_000; !/SIGTERM: finishing answers in progress/.test(child.output()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
      const late = fake.interaction('ask', { question: QUESTION }, { user: { id: '636363636363636363', username: 'late' } });
      const refused = await fake.waitFor('POST', new RegExp(`^/interactions/${late.id}/${late.token}/callback$`), { timeoutMs: 15_000 });
      const data = (refused.body as Record<string, Record<string, unknown>>)['data']!;
      expect(data['content']).toBe('I am restarting; please ask again in a moment.');
      expect(Number(data['flags']) & 64).toBe(64);
      const stopping = await health('/healthz');
      expect(stopping.status).toBe(503);
      expect(JSON.parse(stopping.text).checks.gateway).toEqual({ ok: false, detail: 'shutting down' });
      expect((await health('/metrics')).text).toMatch(/^newsbot_questions_total\{outcome="restarting"\} 1$/m);
      // The answer in progress finishes, then the bot exits.
      release();
      const finished = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${second.token}/messages/@original$`), { timeoutMs: 15_000, where: (c) => /ceasefire \[1\]/.test(String((c.body as Record<string, unknown>)['content'])) });
      expect(String((finished.body as Record<string, unknown>)['content'])).toContain('backstop to any ceasefire [1]');
      expect(await child.exited).toBe(0);
      // Every log line is one JSON object with a level, a time and a message; no secret in any.
      const lines = child.output().split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.stringMatching(/^(debug|info|warn|error)$/), time: expect.any(String), msg: expect.any(String) });
      expect(child.output()).not.toContain('secret-bot-token-health');
    } finally {
      release();
      child.process.kill('SIGKILL');
      await llm.stop();
      await fake.stop();
    }
  });

  it('an ingest that dies with the bot (SIGKILL) is told to its moderator after the restart and shown in /status as not finished', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    // A page that never answers: the moderator's /ingest is still running when the bot is killed.
    const hanging = http.createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const pageUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/breaking-news`;
    const env = { ...offline(path.join(dir, 'bot-killed')), DISCORD_TOKEN: 'secret-bot-token-kill', DISCORD_API_URL: fake.apiUrl, ALLOW_PRIVATE_FETCH: 'true', FETCH_TIMEOUT_MS: '120000' };
    const moderator = { user: { id: '656565656565656565', username: 'mod' }, permissions: PermissionFlagsBits.ManageGuild };
    const first = spawnCli('start', env);
    let second: ReturnType<typeof spawnCli> | null = null;
    try {
      for (const end = Date.now() + 30_000; !/ingest: 1 added/.test(first.output()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      const since = fake.calls.length;
      fake.interaction('ingest', { url: pageUrl }, moderator);
      await fake.waitFor('POST', /\/callback$/, { since, timeoutMs: 15_000 });
      // The worker asked for the page: the ingest is under way.
      await new Promise<void>((resolve) => hanging.once('request', () => resolve()));
      first.process.kill('SIGKILL');
      await first.exited;

      const restart = fake.calls.length;
      second = spawnCli('start', env);
      const dm = await fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since: restart, timeoutMs: 30_000, where: (c) => /did not finish/.test(String((c.body as Record<string, unknown>)['content'])) });
      expect(fake.dmChannels.get(dm.path.split('/')[2]!)).toBe(moderator.user.id);
      const told = String((dm.body as Record<string, unknown>)['content']);
      expect(told.startsWith(`The ingest of <${pageUrl}> started `)).toBe(true);
      expect(told).toMatch(/ started \d{4}-\d\d-\d\d \d\d:\d\d UTC did not finish: the bot stopped while it ran\. What it stored is kept; run it again to finish\.$/);
      expect((dm.body as Record<string, unknown>)['allowed_mentions']).toMatchObject({ parse: [] });
      const status = fake.interaction('status', {}, moderator);
      const reply = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${status.token}/messages/@original$`), { timeoutMs: 15_000 });
      expect(String((reply.body as Record<string, unknown>)['content'])).toContain(`Last ingest did not finish: The ingest of <${pageUrl}> started`);
      // The restarted bot logged it too.
      second.process.kill('SIGTERM');
      await second.exited;
      expect(second.output()).toMatch(/an ingest did not finish: the bot stopped while it ran/);
    } finally {
      first.process.kill('SIGKILL');
      second?.process.kill('SIGKILL');
      hanging.closeAllConnections();
      hanging.close();
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


/**
 * `npm run test:container`: builds the bot's image (Dockerfile) with podman and checks it against a
 * throwaway PostgreSQL on 127.0.0.1, the containers on the host's network:
 *  1. the image: non-root user, tini as PID 1, a HEALTHCHECK on /healthz, no dev dependencies or
 *     TypeScript sources, and the native modules (better-sqlite3, hnswlib-node, sharp,
 *     onnxruntime-node) loading and working in it;
 *  2. the console (the image's default command without DISCORD_TOKEN): on first start into an
 *     empty PostgreSQL schema it ingests the bundled corpus, then answers the seed question,
 *     naming Starmer, with a citation and its source;
 *  3. the bot (the default command with DISCORD_TOKEN) against the fake Discord of the tests:
 *     /healthz turns 200, the image's own HEALTHCHECK passes (`podman healthcheck run`), /ask
 *     is answered from the store the console filled (no second ingest), and `podman stop`
 *     (SIGTERM) ends it gracefully with exit code 0.
 * Exits non-zero with the reason on the first failure; prints build time and image size.
 *
 * Environment: NODE_IMAGE (base of both stages; default: the local stand-in built by
 * scripts/container-base.sh, since no registry can be reached here), CONTAINER_RUNTIME (podman
 * --runtime; default runc when installed: crun fails on hybrid cgroups), TEST_DATABASE_URL (an
 * existing PostgreSQL; default: scripts/test-postgres.sh starts one with PG_TEST_PORT/PG_TEST_DIR).
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { PostgresStore } from '../src/store/postgres/pg-store.js';
import { HAS_TINY_MODEL, MODELS_DIR, REPO, TINY_MODEL } from '../tests/helpers/env.js';
import { FakeDiscord } from '../tests/helpers/fake-discord.js';
import { describeRuleBreaks } from '../tests/helpers/rule-breaks.js';

const IMAGE = 'localhost/newsbot:test';
const SCHEMA = 'newsbot_container_test';
const QUESTION = 'What did Starmer ask Trump for?';
const SEED_TITLE = 'Starmer pushes Trump for Ukraine guarantees against Putin';
/** Under this machine's hard limits (podman's defaults ask for more than runc may set). */
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
/** The bot's container, and the data volume every container of the test shares (as compose's bot-data). */
const names = { bot: `newsbot-test-bot-${process.pid}`, volume: `newsbot-test-data-${process.pid}` };

class Failure extends Error {}

function fail(message: string): never {
  throw new Failure(message);
}

function step(message: string): void {
  process.stdout.write(`test:container: ${message}\n`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (output kept; the lines `echo` picks are printed as they come), with a time limit. */
function run(command: string, args: string[], options: { input?: string; timeoutMs?: number; echo?: (line: string) => boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const echo = (text: string) => {
      if (options.echo) for (const line of text.split('\n')) if (options.echo(line)) process.stdout.write(`  ${line}\n`);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      echo(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      echo(d.toString());
    });
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Failure(`${command} ${args.slice(0, 3).join(' ')} took over ${timeoutMs / 1000} s\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

const runtime = process.env['CONTAINER_RUNTIME'] || (hasCommand('runc') ? 'runc' : '');
/** podman with the chosen OCI runtime (a global option: every subcommand uses it). */
function podman(args: string[], options: Parameters<typeof run>[2] = {}): Promise<Run> {
  return run('podman', [...(runtime ? ['--runtime', runtime] : []), ...args], options);
}

async function podmanOk(args: string[], what: string, options: Parameters<typeof run>[2] = {}): Promise<Run> {
  const result = await podman(args, options);
  if (result.code !== 0) fail(`${what} failed (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  return result;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 500 ms until it returns a value, failing after `timeoutMs` with `what` and `detail()`. */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number, detail: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`${what} within ${timeoutMs / 1000} s\n${await detail()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function buildImage(): Promise<void> {
  let base = process.env['NODE_IMAGE'];
  if (!base) {
    const made = await run(path.join(REPO, 'scripts', 'container-base.sh'), [], { timeoutMs: 15 * 60_000 });
    if (made.code !== 0) fail(`building the local base image failed:\n${made.stderr.slice(-3000)}`);
    process.stderr.write(made.stderr);
    base = made.stdout.trim();
  }
  const previous = (await podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE])).stdout.trim();
  step(`building ${IMAGE} on ${base}${runtime ? ` (runtime ${runtime})` : ''}...`);
  const started = Date.now();
  // --format docker keeps the HEALTHCHECK (OCI image config has no field for it).
  const build = await podman(
    ['build', '--format', 'docker', '--network', 'host', ...ULIMITS, '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, '-f', 'Dockerfile', '.'],
    // The build's steps as they start (a long build shows where it is).
    { timeoutMs: 45 * 60_000, echo: (line) => /^\[\d\/\d\] STEP /.test(line) },
  );
  if (build.code !== 0) fail(`podman build failed (exit ${build.code}):\n${(build.stdout + build.stderr).slice(-4000)}`);
  const current = (await podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE])).stdout.trim();
  // The image this run replaced is no use any more (kept when still used by another tag).
  if (previous && previous !== current) await podman(['rmi', previous]);
  step(`built in ${((Date.now() - started) / 1000).toFixed(0)} s${previous === current ? ' (every layer cached)' : ''}`);
}

interface ImageConfig {
  Size: number;
  Config: { User?: string; Entrypoint?: string[]; Cmd?: string[] };
}

async function checkImage(): Promise<void> {
  const [image] = JSON.parse((await podmanOk(['image', 'inspect', IMAGE], 'podman image inspect')).stdout) as ImageConfig[];
  if (!image) fail(`${IMAGE} not found after the build`);
  const { User, Entrypoint, Cmd } = image.Config;
  // Not in the JSON above (its OCI view): podman shows a Docker image's HEALTHCHECK on its own.
  const Healthcheck = JSON.parse((await podmanOk(['image', 'inspect', '--format', '{{json .HealthCheck}}', IMAGE], 'podman image inspect')).stdout) as { Test?: string[] } | null;
  if (User !== 'node') fail(`the image runs as "${User ?? 'root'}", not as the unprivileged user node`);
  if (Entrypoint?.[0] !== '/usr/bin/tini') fail(`the entrypoint is ${JSON.stringify(Entrypoint)}, not tini`);
  if (Cmd?.join(' ') !== 'node dist/cli/start.js') fail(`the command is ${JSON.stringify(Cmd)}, not the compiled start`);
  if (!Healthcheck?.Test?.join(' ').includes('/healthz')) fail(`the image has no HEALTHCHECK on /healthz: ${JSON.stringify(Healthcheck)}`);
  step(`image: ${(image.Size / 1e6).toFixed(0)} MB, user node, tini as PID 1, HEALTHCHECK ${Healthcheck.Test.slice(1).join(' ').slice(0, 70)}...`);
  // No dev dependencies, no sources: compiled JavaScript and production dependencies only.
  // Each probe prints a line only when something is wrong.
  const probes = [
    'for f in node_modules/typescript node_modules/vitest node_modules/eslint src; do [ -e "$f" ] && echo "dev file in the image: $f"; done',
    'for f in dist/cli/start.js dist/app/ingest-worker.js dist/cli/shard.js dist/ingest/formats/html-worker.mjs; do [ -f "$f" ] || echo "missing: $f"; done',
    '[ "$(id -un)" = node ] || echo "runs as $(id -un), not node"',
    '[ "$(cat /proc/1/comm)" = tini ] || echo "PID 1 is $(cat /proc/1/comm), not tini"',
    'for d in node_modules dist corpus; do touch "$d/.probe" 2>/dev/null && echo "$d is writable by the bot"; done',
    'touch /app/data/.probe || echo "the data volume is not writable by the bot"',
  ];
  const probed = await podmanOk(['run', '--rm', ...ULIMITS, '-v', `${names.volume}:/app/data`, IMAGE, 'sh', '-c', probes.join('; ')], 'probing the image');
  if (probed.stdout.trim()) fail(`the image is not as it should be:\n${probed.stdout}${probed.stderr}`);
  step('image contents: compiled entry points, no dev dependencies or sources, code read-only, data volume writable');
  // The native modules load and work for this Node in the image (onnxruntime-node runs a model below when the test model is there).
  const natives = `
    const db = new (require('better-sqlite3'))(':memory:');
    if (db.prepare('select 41 + 1 as n').get().n !== 42) throw new Error('better-sqlite3');
    const { HierarchicalNSW } = require('hnswlib-node');
    const index = new HierarchicalNSW('cosine', 2); index.initIndex(4); index.addPoint([1, 0], 0); index.addPoint([0, 1], 1);
    if (index.searchKnn([0.9, 0.1], 1).neighbors[0] !== 0) throw new Error('hnswlib-node');
    require('onnxruntime-node');
    require('sharp')({ create: { width: 2, height: 2, channels: 3, background: '#fff' } }).png().toBuffer()
      .then((png) => { if (png.length < 50) throw new Error('sharp'); console.log('native modules: ok'); });`;
  const loaded = await podmanOk(['run', '--rm', ...ULIMITS, IMAGE, 'node', '-e', natives], 'loading the native modules in the image');
  if (!loaded.stdout.includes('native modules: ok')) fail(`the native modules did not load:\n${loaded.stdout}${loaded.stderr}`);
  step('native modules: better-sqlite3, hnswlib-node, sharp and onnxruntime-node load and work');
}

/** The environment of the app's containers: PostgreSQL, and the local test model when there is one. */
function appArgs(databaseUrl: string): string[] {
  const args = ['--network', 'host', ...ULIMITS, '-v', `${names.volume}:/app/data`, '-e', `DATABASE_URL=${databaseUrl}`, '-e', `DATABASE_SCHEMA=${SCHEMA}`, '-e', 'EMBEDDING_ALLOW_REMOTE=false'];
  if (HAS_TINY_MODEL) args.push('-v', `${MODELS_DIR}:/models:ro`, '-e', 'EMBEDDING_MODEL_DIR=/models', '-e', `EMBEDDING_MODEL=${TINY_MODEL}`);
  return args;
}

async function checkConsole(databaseUrl: string): Promise<void> {
  step(`console: first start on an empty PostgreSQL schema, then "${QUESTION}"`);
  const result = await podman(['run', '--rm', '-i', ...appArgs(databaseUrl), IMAGE], { input: `${QUESTION}\nexit\n`, timeoutMs: 5 * 60_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 0) fail(`the console exited with ${result.code}:\n${output.slice(-3000)}`);
  if (!output.includes('store is empty: ingesting /app/corpus')) fail(`the console did not ingest the bundled corpus on first start:\n${output}`);
  if (HAS_TINY_MODEL && !output.includes(`hybrid search with ${TINY_MODEL}`)) fail(`the embedding model did not load in the image:\n${output}`);
  const answer = result.stdout;
  if (!/Starmer[^\n]*\[1\]/.test(answer)) fail(`the answer does not name Starmer with a citation:\n${answer}`);
  if (!answer.includes(`[1] ${SEED_TITLE} (2025-02-27, corpus)`)) fail(`the answer does not list its source:\n${answer}`);
  step(`console answered: ${answer.split('\n').find((l) => l.includes('Starmer') && l.includes('[1]'))!.slice(0, 140)}...`);
}

async function fetchHealth(port: number): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

async function checkBot(databaseUrl: string): Promise<void> {
  const fake = new FakeDiscord();
  await fake.start();
  const healthPort = await freePort();
  const logs = async () => {
    const l = await podman(['logs', names.bot]);
    return `container logs:\n${(l.stdout + l.stderr).slice(-4000)}`;
  };
  try {
    step(`bot: DISCORD_TOKEN set, fake Discord at ${fake.apiUrl}, HEALTH_PORT ${healthPort}`);
    await podmanOk(
      ['run', '-d', '--name', names.bot, ...appArgs(databaseUrl), '-e', 'DISCORD_TOKEN=test-token', '-e', `DISCORD_API_URL=${fake.apiUrl}`, '-e', `HEALTH_PORT=${healthPort}`, IMAGE],
      'starting the bot container',
    );
    const running = async () => (await podman(['inspect', '--format', '{{.State.Running}}', names.bot])).stdout.trim() === 'true';
    const health = await until(
      async () => {
        if (!(await running())) fail(`the bot container stopped\n${await logs()}`);
        const h = await fetchHealth(healthPort);
        return h?.status === 200 ? h : undefined;
      },
      '/healthz did not answer 200',
      120_000,
      async () => `last answer: ${JSON.stringify(await fetchHealth(healthPort))}\n${await logs()}`,
    );
    step(`/healthz: 200 ${health.body.slice(0, 160)}`);
    const check = await podman(['healthcheck', 'run', names.bot]);
    if (check.code !== 0) fail(`the image's HEALTHCHECK failed in the running bot (exit ${check.code}): ${check.stdout}${check.stderr}`);
    step('HEALTHCHECK (podman healthcheck run): healthy');

    const since = fake.calls.length;
    const { token } = fake.interaction('ask', { question: QUESTION });
    const edit = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 60_000 }).catch(async (error: unknown) =>
      fail(`the bot did not answer /ask: ${String(error)}\n${await logs()}`),
    );
    const text = String((edit.body as Record<string, unknown> | null)?.['content'] ?? '');
    if (!/Starmer[^\n]*\[1\]/.test(text) || !text.includes(`**[1]** ${SEED_TITLE}`)) fail(`the bot's answer does not name Starmer with a citation and its source:\n${text}`);
    step(`/ask answered: ${text.split('\n')[0]!.slice(0, 140)}...`);
    if (fake.ruleBreaks.length) fail(`the bot broke Discord's rules:\n${describeRuleBreaks([...fake.ruleBreaks])}`);
    if ((await logs()).includes('store is empty')) fail(`the bot ingested again although the console had filled the store\n${await logs()}`);

    const stopping = Date.now();
    await podmanOk(['stop', '--time', '30', names.bot], 'podman stop');
    const stopSeconds = (Date.now() - stopping) / 1000;
    const exit = (await podman(['inspect', '--format', '{{.State.ExitCode}}', names.bot])).stdout.trim();
    if (exit !== '0') fail(`the bot did not stop gracefully on SIGTERM (exit code ${exit}; 137 is SIGKILL after the 30 s grace)\n${await logs()}`);
    if (!(await logs()).includes('SIGTERM: finishing answers in progress')) fail(`the bot did not log its SIGTERM shutdown\n${await logs()}`);
    step(`podman stop (SIGTERM): exit code 0 after ${stopSeconds.toFixed(1)} s`);
  } finally {
    await podman(['rm', '--force', names.bot]);
    await fake.stop();
  }
}

async function main(): Promise<void> {
  if (!hasCommand('podman')) fail('podman is not installed (apt-get install -y podman runc debootstrap); the container test needs it');
  const started = Date.now();
  await buildImage();
  await podmanOk(['volume', 'create', names.volume], 'podman volume create');
  try {
    await checkImage();
    await checkApp();
  } finally {
    await podman(['volume', 'rm', '--force', names.volume]);
  }
  step(`passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The console, then the bot, against a throwaway PostgreSQL. */
async function checkApp(): Promise<void> {
  let databaseUrl = process.env['TEST_DATABASE_URL'];
  const ownPostgres = !databaseUrl;
  if (!databaseUrl) {
    const pg = await run(path.join(REPO, 'scripts', 'test-postgres.sh'), [], { timeoutMs: 5 * 60_000 });
    if (pg.code !== 0) fail(`starting PostgreSQL failed:\n${pg.stderr}`);
    databaseUrl = pg.stdout.trim();
  }
  try {
    await PostgresStore.destroy(databaseUrl, SCHEMA);
    await checkConsole(databaseUrl);
    await checkBot(databaseUrl);
  } finally {
    await PostgresStore.destroy(databaseUrl, SCHEMA).catch(() => {});
    if (ownPostgres) await run(path.join(REPO, 'scripts', 'test-postgres.sh'), ['stop']);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`test:container FAILED: ${error instanceof Failure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

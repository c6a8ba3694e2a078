import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planShards } from '../../src/app/sharding.js';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { isAlive, REPO, tempDir } from '../helpers/env.js';
import { FakeDiscord, shardOf, type FakeGuild } from '../helpers/fake-discord.js';
import { SHARED_STORE_BACKENDS, backendMissing } from '../helpers/in-process-shards.js';
import { freePort, runCli, spawnCli } from '../helpers/run-cli.js';
import { TEST_DATABASE_URL } from '../helpers/stores.js';

type Body = Record<string, unknown>;
const NEW_TITLE = 'Harbour tunnel approved by the Port Ellis council';
const NEW_QUESTION = 'What did the Port Ellis council decide about the harbour tunnel?';

async function until(test: () => boolean, what: string, timeoutMs: number, output: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(SHARED_STORE_BACKENDS)('the bot in 2 shard processes on $name, with `npm run ingest` in a third process', ({ postgres, available }) => {
  if (backendMissing(available)) return;
  const schema = `t_shards_${randomBytes(5).toString('hex')}`;
  let dir: string;
  let cleanup: () => void;
  let fake: FakeDiscord;
  /** The guild on shard 0 and the guild on shard 1. */
  let guilds: [FakeGuild, FakeGuild];
  let env: Record<string, string>;
  let bot: ReturnType<typeof spawnCli>;
  /** The manager's HEALTH_PORT: one /healthz and /metrics for both shards. */
  let healthPort: number;

  /** The process id the manager logged for a shard's latest start. */
  const shardPid = (shard: number): number => {
    const starts = [...bot.output().matchAll(new RegExp(`shard ${shard} of 2 started pid=(\\d+)`, 'g'))];
    return Number(starts.at(-1)![1]);
  };

  /** Asks /ask in a guild; resolves with the final answer (the edit that carries the sources) and when it arrived. */
  const ask = async (guild: FakeGuild, question: string): Promise<{ text: string; at: number }> => {
    const since = fake.calls.length;
    const { token } = fake.interaction('ask', { question }, { guildId: guild.id });
    const edit = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 15_000, where: (c) => String((c.body as Body)['content']).includes('**Sources**') });
    return { text: String((edit.body as Body)['content']), at: edit.at };
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-sharding-'));
    fake = new FakeDiscord({ recommendedShards: 2, maxConcurrency: 16 });
    await fake.start();
    const first = fake.guilds.get(fake.guildId)!;
    const other = fake.addGuild({ onShard: [1 - shardOf(first.id, 2), 2] });
    guilds = shardOf(first.id, 2) === 0 ? [first, other] : [other, first];
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
    env = {
      DATA_DIR: path.join(dir, 'data'),
      CORPUS_DIR: corpus,
      EMBEDDING_MODEL: 'Xenova/not-downloadable',
      EMBEDDING_MODEL_DIR: path.join(dir, 'no-models'),
      EMBEDDING_ALLOW_REMOTE: 'false',
      ...(postgres ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
    };
    healthPort = await freePort();
    bot = spawnCli('start', {
      ...env,
      HEALTH_PORT: String(healthPort),
      DISCORD_TOKEN: 'secret-bot-token-xyz',
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_SHARDS: '2',
      DISCORD_REGISTER_COMMANDS: 'true',
      DISCORD_GUILD_ID: fake.guildId,
      // Briefs and watches checked every second, new articles read at once.
      DELIVERY_CHECK_SECONDS: '1',
      DELIVERY_SETTLE_SECONDS: '0',
    });
  });
  afterAll(async () => {
    bot.process.kill('SIGKILL');
    await fake.stop();
    if (postgres) await PostgresStore.destroy(TEST_DATABASE_URL, schema);
    cleanup();
  });

  it('starts one process per shard, each connected as its shard, with the corpus read once', async () => {
    await until(() => /all 2 shards are ready/.test(bot.output()), 'both shards', 60_000, bot.output);
    expect(fake.connectedShards().sort()).toEqual([[0, 2], [1, 2]]);
    const pids = [shardPid(0), shardPid(1)];
    expect(new Set([...pids, bot.process.pid]).size).toBe(3);
    // Each process got only its own guild.
    for (const shard of [0, 1]) {
      const loggedIn = new RegExp(`\\[shard ${shard}\\] info +logged in to Discord as newsbot guilds=1 shards=\\[${shard}\\]`);
      await until(() => loggedIn.test(bot.output()), `shard ${shard}'s log`, 10_000, bot.output);
    }
    // Commands belong to the application: registered once, by shard 0.
    await fake.waitFor('PUT', /\/guilds\/\d+\/commands$/, { timeoutMs: 10_000 });
    await until(() => /ingest: 1 added/.test(bot.output()), 'the first-run corpus ingest', 60_000, bot.output);
    expect(fake.find('PUT', /\/commands$/)).toHaveLength(1);
    expect(bot.output()).not.toContain('secret-bot-token-xyz');
    for (const guild of guilds) expect((await ask(guild, 'What did Starmer ask Trump for?')).text).toMatch(/backstop[^\n]*\[1\]/);
    // However the two first runs met, the corpus was ingested once.
    expect(bot.output().match(/ingest: \d+ added/g)).toHaveLength(1);
    // The manager serves health and metrics for both: each shard answered one question.
    const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { shards: { ok: true, detail: '2 connected' } } });
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    expect(metrics).toMatch(/^newsbot_questions_total\{outcome="answered"\} 2$/m);
    expect(metrics).toMatch(/^newsbot_gateway_connected 2$/m);
  });

  it('answers an article ingested by a third process with a citation in both shards\' guilds within 5 s', async () => {
    const more = path.join(dir, 'wire');
    fs.mkdirSync(more);
    fs.writeFileSync(
      path.join(more, 'tunnel.txt'),
      `date 2025-03-05 ${NEW_TITLE}\n\nThe Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary that will cost 410 million pounds. ` +
        'Construction of the harbour tunnel starts next spring and should take four years, the council said.\n',
    );
    // With PostgreSQL, the ingest runs as on another machine: a DATA_DIR of its own.
    const ingest = await runCli('ingest', [more], postgres ? { ...env, DATA_DIR: path.join(dir, 'ingest-machine') } : env);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/ingest: 1 added/);
    const ingested = Date.now();
    const answers = await Promise.all(guilds.map((guild) => ask(guild, NEW_QUESTION)));
    for (const answer of answers) {
      expect(answer.text).toMatch(/harbour tunnel[^\n]*\[1\]/);
      expect(answer.text).toContain(`**[1]** ${NEW_TITLE} (2025-03-05, wire)`);
      expect(answer.at - ingested).toBeLessThan(5_000);
    }
  });

  it('a killed shard leaves the other answering; the manager starts it again and it answers too', async () => {
    const victim = 1;
    const survivor = 0;
    const pid = shardPid(victim);
    process.kill(pid, 'SIGKILL');
    await until(() => !fake.connectedShards().some(([id]) => id === victim), `shard ${victim} to drop its connection`, 10_000, bot.output);
    expect(fake.connectedShards()).toEqual([[survivor, 2]]);
    expect((await ask(guilds[survivor], NEW_QUESTION)).text).toContain(NEW_TITLE);
    await until(() => new RegExp(`shard ${victim} killed by SIGKILL; starting it again in 1 s`).test(bot.output()), 'the manager to notice', 10_000, bot.output);
    await until(() => fake.connectedShards().length === 2, `shard ${victim} to come back`, 60_000, bot.output);
    expect(shardPid(victim)).not.toBe(pid);
    expect(fake.identified.filter((i) => i.shard[0] === victim)).toHaveLength(2);
    expect((await ask(guilds[victim], NEW_QUESTION)).text).toContain(NEW_TITLE);
  });

  it("a watch in shard 1's guild alerts once, on the new fact and not on a rewrite, when a third process ingests them", async () => {
    const channel = guilds[1].channelId;
    const since = fake.calls.length;
    const { token } = fake.interaction('watch add', { topic: 'harbour tunnel', channel: { channel } }, { guildId: guilds[1].id, permissions: FakeDiscord.MANAGE_GUILD });
    const reply = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 15_000 });
    expect(String((reply.body as Body)['content'])).toMatch(/^Watch \d+: I will tell you in <#\d+> when a new article adds something to harbour tunnel\.$/);
    const more = path.join(dir, 'wire-2');
    fs.mkdirSync(more);
    const body = fs.readFileSync(path.join(dir, 'wire', 'tunnel.txt'), 'utf8').split('\n\n')[1]!;
    fs.writeFileSync(path.join(more, 'tunnel-rewrite.txt'), `date 2025-03-06 Council backs the Port Ellis harbour tunnel\n\n${body}`);
    fs.writeFileSync(
      path.join(more, 'tunnel-cost.txt'),
      'date 2025-03-07 Harbour tunnel cost rises to 455 million pounds\n\nThe harbour tunnel in Port Ellis will cost 455 million pounds, 45 million more than approved, after a survey by Arup found soft clay under the estuary.\n',
    );
    const ingest = await runCli('ingest', [more], postgres ? { ...env, DATA_DIR: path.join(dir, 'ingest-machine') } : env);
    expect(ingest.stdout).toMatch(/ingest: 2 added/);
    const alert = await fake.waitFor('POST', new RegExp(`^/channels/${channel}/messages$`), { since, timeoutMs: 15_000 });
    expect(String((alert.body as Body)['content'])).toMatch(/^\*\*New in “harbour tunnel”\*\*\n• The harbour tunnel in Port Ellis will cost 455 million pounds.* \[1\]\n/);
    // Both shards keep checking every second: three more rounds each, and still one alert.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(fake.find('POST', new RegExp(`^/channels/${channel}/messages$`)).filter((c) => c.at >= alert.at)).toHaveLength(1);
    expect(bot.output().match(/watch alert posted/g)).toHaveLength(1);
  });

  it('SIGTERM to the manager shuts every shard down gracefully', async () => {
    const pids = [shardPid(0), shardPid(1)];
    bot.process.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output()).toMatch(/\[shard 0\] info +SIGTERM: finishing answers in progress/);
    expect(bot.output()).toMatch(/\[shard 1\] info +SIGTERM: finishing answers in progress/);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});

describe('planning the shards of a machine', () => {
  const discord = (env: Record<string, string>) => loadConfig({ DISCORD_TOKEN: 'plan-token', ...env }).discord;

  it('DISCORD_SHARDS=auto asks GET /gateway/bot at DISCORD_API_URL (not discord.com) for the count and the identify concurrency', async () => {
    const fake = new FakeDiscord({ recommendedShards: 3, maxConcurrency: 16 });
    await fake.start();
    try {
      expect(await planShards(discord({ DISCORD_SHARDS: 'auto', DISCORD_API_URL: fake.apiUrl }), 'plan-token', createLogger('silent'))).toEqual({
        totalShards: 3,
        shardIds: [0, 1, 2],
        maxConcurrency: 16,
      });
      const calls = fake.find('GET', /^\/gateway\/bot$/);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.authorization).toBe('Bot plan-token');
      // A fixed total and this machine's part of it.
      expect(await planShards(discord({ DISCORD_SHARDS: 'auto', SHARD_COUNT: '8', SHARD_IDS: '4,5', DISCORD_API_URL: fake.apiUrl }), 'plan-token', createLogger('silent'))).toEqual({
        totalShards: 8,
        shardIds: [4, 5],
        maxConcurrency: 16,
      });
    } finally {
      await fake.stop();
    }
  });

  it('without an answer from Discord: auto fails naming DISCORD_SHARDS; a fixed count starts at the slowest identify pace', async () => {
    const unreachable = 'http://127.0.0.1:9/api';
    const lines: string[] = [];
    const logger = createLogger('warn', (line) => lines.push(line));
    const auto = await planShards(discord({ DISCORD_SHARDS: 'auto', DISCORD_API_URL: unreachable }), 'plan-token', logger).catch((e: unknown) => e);
    expect(auto).toBeInstanceOf(ConfigError);
    expect((auto as Error).message).toMatch(/^DISCORD_SHARDS=auto: could not get the recommended shard count \(GET \/gateway\/bot at http:\/\/127\.0\.0\.1:9\/api\)/);
    expect(await planShards(discord({ DISCORD_SHARDS: '2', DISCORD_API_URL: unreachable }), 'plan-token', logger)).toEqual({ totalShards: 2, shardIds: [0, 1], maxConcurrency: 1 });
    expect(lines).toEqual([expect.stringMatching(/^warn {2}could not read GET \/gateway\/bot .*starting shards one every 5\.5 s$/)]);
  }, 30_000);

  it('a shard that fails before it was ever ready stops the start with an error instead of looping', async () => {
    const fake = new FakeDiscord();
    await fake.start();
    const { dir, cleanup } = tempDir('newsbot-shard-fail-');
    try {
      // DATA_DIR is a file: every shard process fails to open its store.
      const notADir = path.join(dir, 'data');
      fs.writeFileSync(notADir, 'not a folder');
      const result = await runCli('start', [], { DATA_DIR: notADir, DISCORD_TOKEN: 'fail-token', DISCORD_API_URL: fake.apiUrl, DISCORD_SHARDS: '2', EMBEDDING_MODEL: 'Xenova/not-downloadable', EMBEDDING_MODEL_DIR: path.join(dir, 'none'), EMBEDDING_ALLOW_REMOTE: 'false' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/\[shard 0\] error: cannot open the store/);
      expect(result.stderr).toMatch(/error shard 0 exit code 1 while starting; see its log above/);
      expect(result.stderr).toMatch(/error: the shards could not be started: /);
      expect(result.stderr.match(/shard \d of 2 started/g)).toHaveLength(1);
      expect(fake.identifies).toBe(0);
    } finally {
      await fake.stop();
      cleanup();
    }
  });
});


import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBotRuntime, type BotRuntime } from '../../src/app/bot-runtime.js';
import { createApp, type AppContext } from '../../src/app/context.js';
import { createDiscordClient } from '../../src/bot/client.js';
import { loadConfig } from '../../src/config/index.js';
import { localTime } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { REPO, tempDir } from '../helpers/env.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { FakeDiscord, shardOf, type FakeGuild, type RestCall } from '../helpers/fake-discord.js';
import { TEST_DATABASE_URL } from '../helpers/stores.js';
import { SHARED_STORE_BACKENDS, backendMissing, startInProcessShards, stopInProcessShards, type InProcessShard } from '../helpers/in-process-shards.js';

type Body = Record<string, unknown>;
const MINUTE = 60_000;
const MODERATOR = { id: '777777777777777777', username: 'mod' };
const MEMBER = { id: '888888888888888888', username: 'member' };

/** The news of the test: a story told by two outlets, two other stories, then what comes later. */
const FIRST_NEWS: Record<string, string> = {
  'wire/tunnel.txt':
    'date 2025-03-05 Harbour tunnel approved by the Port Ellis council\n\nThe Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary that will cost 410 million pounds. ' +
    'Construction of the harbour tunnel starts next spring and should take four years, the council said.\n',
  'gazette/tunnel-approved.txt':
    'date 2025-03-05 Port Ellis council approves harbour tunnel\n\nCouncillors in Port Ellis backed plans for a harbour tunnel under the estuary on Tuesday, clearing the way for the 410 million pound road link. ' +
    'Mayor Ada Quint said the harbour tunnel would end decades of ferry queues.\n',
  'wire/library.txt':
    "date 2025-03-05 Port Ellis library reopens after flood repairs\n\nThe central library in Port Ellis reopened on Wednesday after eight months of repairs to flood damage, with a new children's wing and longer opening hours. " +
    "The library's 90,000 books were dried and catalogued by volunteers, the council said.\n",
};
/** The first article again under another outlet's headline: a rewrite. */
const REWRITE = {
  'echo/tunnel-backed.txt': 'date 2025-03-06 Council backs Port Ellis harbour tunnel\n\n' + FIRST_NEWS['wire/tunnel.txt']!.split('\n\n')[1]!,
};
/** The same facts in other words. */
const SAME_FACTS = {
  'herald/tunnel-explained.txt':
    'date 2025-03-06 What the harbour tunnel vote means\n\nA road link of 1.2 km under the estuary, the harbour tunnel, won the approval of the Port Ellis council on Tuesday. ' +
    'The harbour tunnel will cost 410 million pounds and take four years to build from next spring.\n',
};
/** A new fact: the cost rises, after a survey. */
const NEW_FACT = {
  'wire/tunnel-cost.txt':
    'date 2025-03-07 Harbour tunnel cost rises to 455 million pounds\n\nThe harbour tunnel in Port Ellis will cost 455 million pounds, 45 million more than approved, after a survey by Arup found soft clay under the estuary. ' +
    'Work on the harbour tunnel still starts next spring, the council said.\n',
};


describe.each(SHARED_STORE_BACKENDS)('briefs and watches through the fake Discord, 2 shards on $name', ({ postgres, available }) => {
  if (backendMissing(available)) return;
  const schema = `t_deliv_${randomBytes(5).toString('hex')}`;
  let dir: string;
  let cleanup: () => void;
  let fake: FakeDiscord;
  /** guilds[i] is on shard i. */
  let guilds: [FakeGuild, FakeGuild];
  let env: Record<string, string>;
  const logs: string[] = [];
  const clock = { at: Date.now(), now: () => clock.at };
  let t0: number;
  let shards: InProcessShard[] = [];

  const startShards = async () => {
    shards = await startInProcessShards(fake, env, dir, logs, clock);
  };
  const stopShards = async () => {
    await stopInProcessShards(shards);
    shards = [];
  };
  /** Both shards check at once, as their timers would. */
  const checkBoth = async (at: number) => {
    clock.at = at;
    await Promise.all(shards.map((s) => s.runtime.deliveries.check()));
    await fake.settle(200);
  };
  const ingest = async (files: Record<string, string>) => {
    const root = path.join(dir, `news-${randomBytes(3).toString('hex')}`);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    const outlets = [...new Set(Object.keys(files).map((f) => path.join(root, path.dirname(f))))];
    const summary = await ingestArticles(shards[0]!.app.store, null, readArticles(outlets));
    expect(summary.added).toBe(Object.keys(files).length);
  };
  /** Runs a command and returns the text of its (private) reply. */
  const command = async (name: string, options: Parameters<FakeDiscord['interaction']>[1], as: Parameters<FakeDiscord['interaction']>[2]) => {
    const since = fake.calls.length;
    const { token } = fake.interaction(name, options, as);
    const edit = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 10_000 });
    return String((edit.body as Body)['content']);
  };
  const content = (c: RestCall) => String((c.body as Body)['content']);
  /** Waits until the thread's guild's shard has seen the thread open (THREAD_CREATE), so a message in it is read. */
  const threadKnown = async (threadId: string) => {
    const end = Date.now() + 10_000;
    while (!shards.some((s) => s.client.channels.cache.has(threadId))) {
      if (Date.now() > end) throw new Error(`no shard saw thread ${threadId} open`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const moderatorIn = (guild: FakeGuild) => ({ user: MODERATOR, guildId: guild.id, permissions: FakeDiscord.MANAGE_GUILD });

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-deliveries-'));
    fake = new FakeDiscord();
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
      DELIVERY_CHECK_SECONDS: '0',
      DELIVERY_SETTLE_SECONDS: '0',
      LOG_LEVEL: 'debug',
      ...(postgres ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
    };
    await startShards();
    await ingestArticles(shards[0]!.app.store, null, readArticles([corpus]));
    await ingest(FIRST_NEWS);
    t0 = Date.now();
    clock.at = t0;
  }, 60_000);
  afterAll(async () => {
    await stopShards();
    await fake.stop();
    if (postgres) await PostgresStore.destroy(TEST_DATABASE_URL, schema);
    cleanup();
  });

  it('posts the brief at its time, once across both shards, with one item per story and checked citations', async () => {
    const channel = guilds[0].channelId;
    const time = localTime(t0 + 10 * MINUTE, 'UTC').time;
    const set = await command('brief set', { channel: { channel }, time }, moderatorIn(guilds[0]));
    expect(set).toBe(`I will post a brief of what is new in <#${channel}> every day at ${time} (UTC).`);
    // A member cannot set it.
    expect(await commandRefusal('brief set', { channel: { channel }, time }, { user: MEMBER, guildId: guilds[0].id })).toBe('Only moderators can use /brief.');

    await checkBoth(t0 + 9 * MINUTE);
    expect(fake.postedIn(channel)).toHaveLength(0);
    await checkBoth(t0 + 10 * MINUTE);
    const posts = fake.postedIn(channel);
    expect(posts).toHaveLength(1);
    const brief = content(posts[0]!);
    console.log(`the brief as posted:\n${brief}`);
    expect(brief).toMatch(/^\*\*News brief · \w+day,? \d+ \w+ \d{4}\*\*\n-# 3 stories from 4 new articles\. Mention me in the thread to ask about them\.\n\n• /);
    // The two reports of the tunnel make one item, quoting each with its own number.
    const items = brief.split('\n').filter((l) => l.startsWith('• '));
    expect(items).toHaveLength(3);
    const tunnel = items.filter((l) => /harbour tunnel/i.test(l));
    expect(tunnel).toHaveLength(1);
    expect(tunnel[0]).toMatch(/410 million pound.*\. \[1\] .+\. \[2\]$/);
    // Every [n] is a listed source, and every source is one of the articles.
    const sources = [...brief.matchAll(/^\*\*\[(\d+)\]\*\* (.+?) \(/gm)].map((m) => ({ n: Number(m[1]), title: m[2] }));
    expect(sources.map((s) => s.n)).toEqual([1, 2, 3, 4]);
    const markers = [...brief.matchAll(/ \[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(new Set(markers)).toEqual(new Set([1, 2, 3, 4]));
    const titles = [...Object.values(FIRST_NEWS).map((t) => t.split('\n')[0]!.replace(/^date \S+ /, '')), 'Starmer pushes Trump for Ukraine guarantees against Putin'];
    for (const s of sources) expect(titles).toContain(s.title);
    // A thread is opened on it; again later, nothing more is posted.
    const thread = await fake.waitFor('POST', new RegExp(`^/channels/${channel}/messages/${(await messageId(posts[0]!))}/threads$`));
    expect(String((thread.body as Body)['name'])).toMatch(/^News brief · /);
    await checkBoth(t0 + 11 * MINUTE);
    expect(fake.postedIn(channel)).toHaveLength(1);
    expect(logs.filter((l) => l.includes('brief posted'))).toHaveLength(1);
  });

  it('answers a question asked in the brief\'s thread from the brief\'s articles', async () => {
    const threadCall = fake.find('POST', new RegExp(`^/channels/${guilds[0].channelId}/messages/\\d+/threads$`))[0]!;
    const threadId = /messages\/(\d+)\/threads/.exec(threadCall.path)![1]!;
    await threadKnown(threadId);
    const since = fake.calls.length;
    fake.message('how long will the construction take?', { channelId: threadId });
    const reply = await fake.waitFor('POST', new RegExp(`^/channels/${threadId}/messages$`), { since, timeoutMs: 15_000 });
    expect(content(reply)).toMatch(/four years/);
    expect(content(reply)).toMatch(/Harbour tunnel approved by the Port Ellis council|Port Ellis council approves harbour tunnel/);
  });

  it('/brief now posts at once (moderators), in the channel asked from when no brief is set', async () => {
    const guild = guilds[1];
    const reply = await command('brief now', {}, moderatorIn(guild));
    expect(reply).toBe(`Posted the brief in <#${guild.channelId}> (3 stories).`);
    const posts = fake.postedIn(guild.channelId);
    expect(posts).toHaveLength(1);
    expect(content(posts[0]!)).toMatch(/\*\*\[1\]\*\* /);
  });

  it("a brief's topics keep only their stories, and its thread prefers them: the same question asked outside the thread is not bound to them", async () => {
    const guild = guilds[1];
    const far = localTime(Date.now() + 12 * 60 * MINUTE, 'UTC').time;
    expect(await command('brief set', { channel: { channel: guild.channelId }, time: far, topics: 'harbour tunnel' }, moderatorIn(guild))).toMatch(/about harbour tunnel/);
    const since = fake.calls.length;
    expect(await command('brief now', {}, moderatorIn(guild))).toBe(`Posted the brief in <#${guild.channelId}> (1 story).`);
    const brief = fake.postedIn(guild.channelId).slice(-1)[0]!;
    expect(content(brief)).not.toMatch(/library|Starmer/);
    const threadCall = await fake.waitFor('POST', new RegExp(`^/channels/${guild.channelId}/messages/\\d+/threads$`), { since });
    const threadId = /messages\/(\d+)\/threads/.exec(threadCall.path)![1]!;
    await threadKnown(threadId);
    const ask = async (channelId: string) => {
      const from = fake.calls.length;
      fake.message('What did the council say?', { channelId });
      return content(await fake.waitFor('POST', new RegExp(`^/channels/${channelId}/messages$`), { since: from, timeoutMs: 15_000 }));
    };
    const inThread = await ask(threadId);
    const outside = await ask(guild.channelId);
    console.log(`in the thread:\n${inThread}\n\noutside:\n${outside}`);
    expect(inThread).toMatch(/harbour tunnel/i);
    expect(inThread).not.toMatch(/library/i);
    expect(outside).toMatch(/library/i);
  });

  it('a watch alerts on a new fact, not on a rewrite or the same facts retold, once across both shards', async () => {
    const channel = guilds[0].channelId;
    expect(await command('watch add', { topic: 'harbour tunnel', channel: { channel } }, moderatorIn(guilds[0]))).toBe(
      `Watch 1: I will tell you in <#${channel}> when a new article adds something to harbour tunnel.`,
    );
    expect(await command('watch add', { topic: 'harbour tunnel' }, { user: MEMBER, guildId: guilds[0].id })).toBe(
      'Watch 2: I will tell you by direct message when a new article adds something to harbour tunnel.',
    );
    expect(await command('watch add', { topic: 'harbour tunnel', channel: { channel } }, { user: MEMBER, guildId: guilds[0].id })).toMatch(/^Only moderators can post alerts in a channel/);
    const before = fake.postedIn(channel).length;

    await ingest(REWRITE);
    await ingest(SAME_FACTS);
    await checkBoth(Date.now() + 20 * MINUTE);
    expect(fake.postedIn(channel)).toHaveLength(before);
    expect(fake.dmChannels.size).toBe(0);

    await ingest(NEW_FACT);
    await checkBoth(Date.now() + 21 * MINUTE);
    const alerts = fake.postedIn(channel).slice(before);
    expect(alerts).toHaveLength(1);
    const alert = content(alerts[0]!);
    console.log(`the watch alert as posted:\n${alert}`);
    expect(alert).toMatch(/^\*\*New in “harbour tunnel”\*\*\n• The harbour tunnel in Port Ellis will cost 455 million pounds, 45 million more than approved, after a survey by Arup found soft clay under the estuary\. \[1\]/);
    expect(alert).toContain('**[1]** Harbour tunnel cost rises to 455 million pounds (2025-03-07, wire)');
    // The member's watch came by direct message.
    const [dm] = [...fake.dmChannels].find(([, user]) => user === MEMBER.id) ?? [];
    expect(dm).toBeDefined();
    expect(fake.postedIn(dm!)).toHaveLength(1);
    expect(content(fake.postedIn(dm!)[0]!)).toContain('455 million pounds');
    await checkBoth(Date.now() + 22 * MINUTE);
    expect(fake.postedIn(channel).slice(before)).toHaveLength(1);
    expect(await command('watch list', {}, { user: MEMBER, guildId: guilds[0].id })).toBe(
      `**Watches**\n**1.** harbour tunnel, in <#${channel}>\n**2.** harbour tunnel, by direct message`,
    );
  });

  it('after a restart nothing is posted again, and the schedule and watches are still there', async () => {
    const posted = fake.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path)).length;
    await stopShards();
    await startShards();
    await checkBoth(Date.now() + 30 * MINUTE);
    expect(fake.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path))).toHaveLength(posted);
    expect(await command('brief show', {}, moderatorIn(guilds[0]))).toMatch(new RegExp(`^A brief of what is new is posted in <#${guilds[0].channelId}> every day at \\d\\d:\\d\\d \\(UTC\\)\\.`));
    expect(await command('watch remove', { id: 2 }, { user: MEMBER, guildId: guilds[0].id })).toBe('Watch 2 (harbour tunnel) is removed.');
    expect(await command('watch remove', { id: 1 }, { user: MEMBER, guildId: guilds[0].id })).toBe('You have no watch 1 here (see `/watch list`).');
    // No check failed along the way (a lease or store error would be logged and retried).
    expect(logs.filter((l) => /delivery check failed|trying again at the next check/.test(l))).toEqual([]);
  });

  it('a channel the bot can no longer post to is reported and skipped', async () => {
    const guild = guilds[1];
    const locked = fake.addChannel(guild.id);
    fake.lockChannel(locked);
    const now = Date.now() + 40 * MINUTE;
    clock.at = now;
    const time = localTime(now + MINUTE, 'UTC').time;
    await command('brief set', { channel: { channel: locked }, time }, moderatorIn(guild));
    await checkBoth(now + MINUTE);
    expect(fake.postedIn(locked)).toHaveLength(1);
    expect(logs.some((l) => /cannot post the brief; skipped/.test(l))).toBe(true);
    expect(await command('brief show', {}, moderatorIn(guild))).toMatch(/The last one could not be posted: cannot post in channel \d+: Missing Permissions/);
    // Both shards still work.
    await checkBoth(now + 2 * MINUTE);
    expect(fake.postedIn(locked)).toHaveLength(1);
  });

  it('a member whose direct messages are closed gets no alert, is told why in /watch list, and nothing else stops', async () => {
    const closed = { id: '999999999999999999', username: 'private' };
    fake.dmsClosed.add(closed.id);
    expect(await command('watch add', { topic: 'library' }, { user: closed, guildId: guilds[0].id })).toMatch(/^Watch \d+: I will tell you by direct message/);
    await ingest({
      'wire/library-visitors.txt':
        'date 2025-03-09 Port Ellis library draws crowds after reopening\n\nThe Port Ellis library welcomed 12,400 visitors in its first week after the flood repairs, librarian Noor Haddad said.\n',
    });
    await checkBoth(Date.now() + 50 * MINUTE);
    expect(logs.some((l) => /cannot post a watch alert; skipped/.test(l))).toBe(true);
    expect(await command('watch list', {}, { user: closed, guildId: guilds[0].id })).toMatch(/library, by direct message \(the last alert could not be posted: cannot post in channel \d+: Cannot send messages to this user\)/);
    // The alert is not tried again at the next check.
    const tries = fake.find('POST', /^\/users\/@me\/channels$/).length;
    await checkBoth(Date.now() + 51 * MINUTE);
    expect(fake.find('POST', /^\/users\/@me\/channels$/)).toHaveLength(tries);
  });

  async function messageId(call: RestCall): Promise<string> {
    const index = fake.calls.indexOf(call);
    const thread = fake.calls.slice(index).find((c) => c.method === 'POST' && /\/messages\/\d+\/threads$/.test(c.path))!;
    return /messages\/(\d+)\/threads/.exec(thread.path)![1]!;
  }

  /** Runs a command expected to be refused at once; returns the private refusal. */
  async function commandRefusal(name: string, options: Parameters<FakeDiscord['interaction']>[1], as: Parameters<FakeDiscord['interaction']>[2]): Promise<string> {
    const since = fake.calls.length;
    const { id } = fake.interaction(name, options, as);
    const callback = await fake.waitFor('POST', new RegExp(`^/interactions/${id}/[^/]+/callback$`), { since });
    return String(((callback.body as Body)['data'] as Body)['content']);
  }
});

describe('a brief written by the language model, through the fake Discord', () => {
  let dir: string;
  let cleanup: () => void;
  let fake: FakeDiscord;
  const openai = new FakeOpenAI();
  let runtime: BotRuntime;
  let app: AppContext;
  const logs: string[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-llm-brief-'));
    fake = new FakeDiscord();
    await fake.start();
    const baseURL = await openai.start();
    const news = path.join(dir, 'wire');
    fs.mkdirSync(news);
    fs.writeFileSync(path.join(news, 'tunnel.txt'), FIRST_NEWS['wire/tunnel.txt']!);
    fs.writeFileSync(path.join(news, 'library.txt'), FIRST_NEWS['wire/library.txt']!);
    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), DELIVERY_CHECK_SECONDS: '0', DELIVERY_SETTLE_SECONDS: '0', OPENAI_BASE_URL: baseURL, OPENAI_MODEL: 'fake-model', LLM_MAX_ATTEMPTS: '1' }, dir);
    app = await createApp(config, createLogger('debug', (line) => logs.push(line)), { embedder: null });
    await ingestArticles(app.store, null, readArticles([news]));
    const client = createDiscordClient({ apiUrl: fake.apiUrl, ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) } });
    runtime = createBotRuntime(app, { client, pollIntervalMs: 0 });
    await runtime.start('test-token');
  });
  afterAll(async () => {
    await runtime.stop();
    await fake.stop();
    await openai.stop();
    cleanup();
  });

  const briefNow = async () => {
    const since = fake.calls.length;
    const { token } = fake.interaction('brief now', {}, { permissions: FakeDiscord.MANAGE_GUILD });
    await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 10_000 });
    return String(((await fake.waitFor('POST', new RegExp(`^/channels/${fake.channelId}/messages$`), { since })).body as Body)['content']);
  };

  it('posts the model\'s lines with their citations checked: a marker pointing to no article is dropped, the rest renumbered', async () => {
    openai.reply({ kind: 'json', content: '• The library in Port Ellis reopened after flood repairs [2].\n• Port Ellis approved a 410 million pound harbour tunnel [1][7].' });
    const brief = await briefNow();
    console.log(`the model-written brief as posted:\n${brief}`);
    expect(openai.requests[0]!.body.messages[1]!.content).toMatch(/^Story 1\n\[1\] /);
    const lines = brief.split('\n');
    expect(lines.filter((l) => l.startsWith('• '))).toEqual(['• The library in Port Ellis reopened after flood repairs [1].', '• Port Ellis approved a 410 million pound harbour tunnel [2].']);
    expect(brief).toContain('**[1]** Port Ellis library reopens after flood repairs (2025-03-05, wire)');
    expect(brief).toContain('**[2]** Harbour tunnel approved by the Port Ellis council (2025-03-05, wire)');
    expect(brief).not.toContain('[3]');
  });

  it('posts the quoted brief instead when the model writes a line that cites nothing', async () => {
    openai.reply({ kind: 'json', content: '• Port Ellis had a busy week.\n• The library reopened [2].' });
    // The next brief covers what came after the last one: write something new first.
    const more = path.join(dir, 'gazette');
    fs.mkdirSync(more);
    fs.writeFileSync(path.join(more, 'tunnel.txt'), FIRST_NEWS['gazette/tunnel-approved.txt']!);
    await ingestArticles(app.store, null, readArticles([more]));
    const brief = await briefNow();
    expect(brief).toMatch(/\n• Councillors in Port Ellis backed plans for a harbour tunnel .* \[1\]/);
    expect(logs.some((l) => /uncited lines; posting the extractive one/.test(l))).toBe(true);
  });
});

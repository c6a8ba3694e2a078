import { Client, DiscordAPIError, Events, GatewayIntentBits, REST, type Interaction, type Message } from 'discord.js';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordClient } from '../../src/bot/client.js';
import { FakeDiscord, shardOf, type FakeDiscordOptions } from '../helpers/fake-discord.js';
import type { RuleBreak } from '../helpers/rule-breaks.js';

// The fake Discord must refuse what Discord refuses, with Discord's status and JSON error, as the
// real discord.js REST client parses them; and record every refusal and policy break so the bot
// tests fail on them. Each test here breaks rules on purpose and takes its breaks.

type Body = Record<string, unknown>;
const NO_MENTIONS = { parse: [] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let fake: FakeDiscord;
let client: Client | null = null;

async function startFake(options: FakeDiscordOptions = {}): Promise<REST> {
  fake = new FakeDiscord(options);
  await fake.start();
  return new REST({ api: fake.apiUrl, retries: 0 }).setToken('test-token');
}

/** A real discord.js Client logged in to the fake; `onInteraction` handles every interaction. */
async function startClient(onInteraction: (i: Interaction) => Promise<void>): Promise<Client> {
  client = createDiscordClient({ apiUrl: fake.apiUrl, ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) } });
  client.on(Events.InteractionCreate, (i) => void onInteraction(i).catch(() => {}));
  const ready = new Promise<void>((resolve) => client!.once(Events.ClientReady, () => resolve()));
  await client.login('test-token');
  await ready;
  return client;
}

/** The DiscordAPIError a call fails with. */
async function refusal(call: Promise<unknown>): Promise<DiscordAPIError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DiscordAPIError);
  return error as DiscordAPIError;
}

const rules = (breaks: RuleBreak[]) => breaks.map((b) => b.rule);

afterEach(async () => {
  await client?.destroy();
  client = null;
  await fake.stop();
});

describe('the fake Discord holds interactions to Discord timing', () => {
  it('refuses an acknowledgement after the deadline with 404 / 10062 Unknown interaction', async () => {
    await startFake({ ackDeadlineMs: 300 });
    const errors: unknown[] = [];
    await startClient(async (i) => {
      if (!i.isChatInputCommand()) return;
      await sleep(450);
      await i.deferReply().catch((e: unknown) => errors.push(e));
    });
    const { id, at } = fake.interaction('ask', { question: 'late?' });
    expect(fake.dispatchedAt(id)).toBe(at);
    const end = Date.now() + 5_000;
    while (errors.length === 0 && Date.now() < end) await sleep(20);
    const error = errors[0] as DiscordAPIError;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect([error.status, error.code, error.message]).toEqual([404, 10062, 'Unknown interaction']);
    // The deadline passing unanswered is itself recorded (the user saw "This interaction failed"),
    // unless the late callback arrived before the fake's timer did.
    const breaks = fake.takeRuleBreaks();
    expect(rules(breaks).filter((r) => r !== 'no-acknowledgement')).toEqual(['ack-deadline']);
    expect(breaks.find((b) => b.rule === 'ack-deadline')!.detail).toMatch(/acknowledged \d+ ms after dispatch; Discord allows 300 ms/);
  });

  it('gives interactions real snowflake ids: discord.js reads the time each was made from its id', async () => {
    await startFake();
    const created: number[] = [];
    await startClient(async (i) => {
      created.push(i.createdTimestamp);
      if (i.isChatInputCommand()) await i.deferReply();
    });
    const { at } = fake.interaction('ask', { question: 'when?' });
    const end = Date.now() + 5_000;
    while (created.length === 0 && Date.now() < end) await sleep(20);
    expect(Math.abs(created[0]! - at)).toBeLessThan(1_000);
  });

  it('records an interaction nobody acknowledged ("This interaction failed")', async () => {
    await startFake({ ackDeadlineMs: 200 });
    await startClient(async () => {});
    fake.interaction('ask', { question: 'anyone?' });
    await sleep(500);
    expect(rules(fake.takeRuleBreaks())).toEqual(['no-acknowledgement']);
  });

  it('accepts one acknowledgement; a second gets 400 / 40060', async () => {
    const rest = await startFake();
    const { id, token } = fake.interaction('ask', { question: 'twice?' });
    await rest.post(`/interactions/${id}/${token}/callback`, { body: { type: 5, data: { flags: 64 } }, auth: false });
    const error = await refusal(rest.post(`/interactions/${id}/${token}/callback`, { body: { type: 4, data: { content: 'again', flags: 64, allowed_mentions: NO_MENTIONS } }, auth: false }));
    expect([error.status, error.code, error.message]).toEqual([400, 40060, 'Interaction has already been acknowledged.']);
    const unknown = await refusal(rest.post(`/interactions/1/nope/callback`, { body: { type: 5 }, auth: false }));
    expect([unknown.status, unknown.code]).toEqual([404, 10062]);
    expect(rules(fake.takeRuleBreaks())).toEqual(['already-acknowledged', 'unknown-interaction']);
  });

  it('answers the InteractionCallbackResponse when asked with_response', async () => {
    const rest = await startFake();
    const { id, token } = fake.interaction('ask', { question: 'q' });
    const response = (await rest.post(`/interactions/${id}/${token}/callback`, { body: { type: 5, data: { flags: 64 } }, auth: false, query: new URLSearchParams({ with_response: 'true' }) })) as Body;
    expect(response).toMatchObject({ interaction: { id, type: 2, response_message_loading: true, response_message_ephemeral: true }, resource: { type: 5, message: { flags: 64 | 128 } } });
  });

  it('a component update (type 7) edits the message holding the button, which becomes @original', async () => {
    const rest = await startFake();
    const components = [{ type: 1, components: [{ type: 2, style: 2, label: 'More', custom_id: 'more:1' }] }];
    const posted = (await rest.post(`/channels/${fake.channelId}/messages`, { body: { content: 'answer', components, allowed_mentions: NO_MENTIONS } })) as Body;
    const { id, token } = fake.button('more:1', posted);
    await rest.post(`/interactions/${id}/${token}/callback`, { body: { type: 7, data: { content: 'updated', components: [], allowed_mentions: NO_MENTIONS } }, auth: false });
    expect(await rest.get(`/webhooks/${fake.appId}/${token}/messages/@original`, { auth: false })).toMatchObject({ id: posted['id'], content: 'updated', components: [] });
  });

  it('refuses the webhook before acknowledgement (404 / 10015) and after the token expires (401 / 50027)', async () => {
    const rest = await startFake({ tokenTtlMs: 400 });
    const { id, token } = fake.interaction('ask', { question: 'q' });
    const early = await refusal(rest.patch(`/webhooks/${fake.appId}/${token}/messages/@original`, { body: { content: 'x', allowed_mentions: NO_MENTIONS }, auth: false }));
    expect([early.status, early.code]).toEqual([404, 10015]);
    await rest.post(`/interactions/${id}/${token}/callback`, { body: { type: 5 }, auth: false });
    await rest.patch(`/webhooks/${fake.appId}/${token}/messages/@original`, { body: { content: 'in time', allowed_mentions: NO_MENTIONS }, auth: false });
    await sleep(450);
    for (const call of [
      rest.patch(`/webhooks/${fake.appId}/${token}/messages/@original`, { body: { content: 'late', allowed_mentions: NO_MENTIONS }, auth: false }),
      rest.post(`/webhooks/${fake.appId}/${token}`, { body: { content: 'late', allowed_mentions: NO_MENTIONS }, auth: false }),
      rest.delete(`/webhooks/${fake.appId}/${token}/messages/@original`, { auth: false }),
    ]) {
      const expired = await refusal(call);
      expect([expired.status, expired.code, expired.message]).toEqual([401, 50027, 'Invalid Webhook Token']);
    }
    expect(rules(fake.takeRuleBreaks())).toEqual(['not-acknowledged', 'token-expired', 'token-expired', 'token-expired']);
  });

  it('answers Unknown Message for a deleted original', async () => {
    const rest = await startFake();
    const { id, token } = fake.interaction('ask', { question: 'q' });
    await rest.post(`/interactions/${id}/${token}/callback`, { body: { type: 5 }, auth: false });
    await rest.delete(`/webhooks/${fake.appId}/${token}/messages/@original`, { auth: false });
    const gone = await refusal(rest.patch(`/webhooks/${fake.appId}/${token}/messages/@original`, { body: { content: 'x', allowed_mentions: NO_MENTIONS }, auth: false }));
    expect([gone.status, gone.code]).toEqual([404, 10008]);
    expect(rules(fake.takeRuleBreaks())).toEqual(['unknown-message']);
  });
});

describe('the fake Discord holds messages to Discord limits (400 / 50035 Invalid Form Body)', () => {
  const button = (customId: string) => ({ type: 2, style: 2, label: 'b', custom_id: customId });
  const row = (...ids: string[]) => ({ type: 1, components: ids.map(button) });
  const channelPost = (rest: REST, body: Body) => rest.post(`/channels/${fake.channelId}/messages`, { body: { allowed_mentions: NO_MENTIONS, ...body } });

  it('content: 2,000 characters pass, 2,001 fail with the errors tree discord.js prints', async () => {
    const rest = await startFake();
    await channelPost(rest, { content: 'x'.repeat(2000) });
    const error = await refusal(channelPost(rest, { content: 'x'.repeat(2001) }));
    expect(error.status).toBe(400);
    expect(error.code).toBe(50035);
    expect(error.rawError).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
    });
    expect(error.message).toBe('Invalid Form Body\ncontent[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.');
    const empty = await refusal(channelPost(rest, { content: '   ' }));
    expect([empty.status, empty.code]).toEqual([400, 50006]);
    expect(rules(fake.takeRuleBreaks())).toEqual(['invalid-form-body', 'empty-message']);
  });

  it('components: at most 5 rows of 5 buttons, custom_id 1..100 and unique', async () => {
    const rest = await startFake();
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    await channelPost(rest, { content: 'ok', components: ids('r', 5).map((r) => row(...ids(r, 5))) });
    await channelPost(rest, { content: 'ok', components: [row('x'.repeat(100))] });
    const cases: [Body, string][] = [
      [{ components: ids('r', 6).map((r) => row(r)) }, 'components[BASE_TYPE_MAX_LENGTH]: Must be 5 or fewer in length.'],
      [{ components: [row(...ids('b', 6))] }, 'components[0].components[BASE_TYPE_BAD_LENGTH]: Must be between 1 and 5 in length.'],
      [{ components: [row('x'.repeat(101))] }, 'components[0].components[0].custom_id[BASE_TYPE_BAD_LENGTH]: Must be between 1 and 100 in length.'],
      [{ components: [row('same', 'same')] }, 'components[0].components[1].custom_id[COMPONENT_CUSTOM_ID_DUPLICATED]: Component custom id cannot be duplicated'],
      [{ components: [{ type: 1, components: [{ ...button('a'), label: 'l'.repeat(81) }] }] }, 'components[0].components[0].label[BASE_TYPE_MAX_LENGTH]: Must be 80 or fewer in length.'],
    ];
    for (const [body, line] of cases) {
      const error = await refusal(channelPost(rest, { content: 'x', ...body }));
      expect(error.code).toBe(50035);
      expect(error.message.split('\n')).toContain(line);
    }
    expect(rules(fake.takeRuleBreaks())).toEqual(cases.map(() => 'invalid-form-body'));
  });

  it('embeds: at most 10, description 4,096, 6,000 characters in all', async () => {
    const rest = await startFake();
    await channelPost(rest, { embeds: [{ title: 't', description: 'd'.repeat(4096) }] });
    const cases: [Body, string][] = [
      [{ embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, 'embeds[BASE_TYPE_MAX_LENGTH]: Must be 10 or fewer in length.'],
      [{ embeds: [{ description: 'd'.repeat(4097) }] }, 'embeds[0].description[BASE_TYPE_MAX_LENGTH]: Must be 4096 or fewer in length.'],
      [{ embeds: [{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(2001) }] }, 'embeds[MAX_EMBED_SIZE_EXCEEDED]: Embed size exceeds maximum size of 6000'],
      [{ embeds: [{ fields: [{ name: 'n', value: 'v'.repeat(1025) }] }] }, 'embeds[0].fields[0].value[BASE_TYPE_MAX_LENGTH]: Must be 1024 or fewer in length.'],
    ];
    for (const [body, line] of cases) expect((await refusal(channelPost(rest, body))).message.split('\n')).toContain(line);
    expect(fake.takeRuleBreaks()).toHaveLength(cases.length);
  });

  it('threads: name 1..100, one thread per message, none inside a thread', async () => {
    const rest = await startFake();
    const post = async () => String(((await channelPost(rest, { content: 'answer' })) as Body)['id']);
    const first = await post();
    const thread = (await rest.post(`/channels/${fake.channelId}/messages/${first}/threads`, { body: { name: 'n'.repeat(100) } })) as Body;
    expect(thread).toMatchObject({ id: first, type: 11, name: 'n'.repeat(100) });
    const again = await refusal(rest.post(`/channels/${fake.channelId}/messages/${first}/threads`, { body: { name: 'again' } }));
    expect([again.status, again.code]).toEqual([400, 160004]);
    const second = await post();
    for (const name of ['', 'n'.repeat(101)]) {
      const error = await refusal(rest.post(`/channels/${fake.channelId}/messages/${second}/threads`, { body: { name } }));
      expect(error.message).toContain('name[BASE_TYPE_BAD_LENGTH]: Must be between 1 and 100 in length.');
    }
    const inThread = String(((await rest.post(`/channels/${first}/messages`, { body: { content: 'in thread', allowed_mentions: NO_MENTIONS } })) as Body)['id']);
    const nested = await refusal(rest.post(`/channels/${first}/messages/${inThread}/threads`, { body: { name: 'nested' } }));
    expect(nested.code).toBe(50024);
    const unknown = await refusal(rest.post(`/channels/999/messages`, { body: { content: 'x', allowed_mentions: NO_MENTIONS } }));
    expect([unknown.status, unknown.code]).toEqual([404, 10003]);
    expect(rules(fake.takeRuleBreaks())).toEqual(['thread-exists', 'invalid-form-body', 'invalid-form-body', 'channel-type', 'unknown-channel']);
  });

  it('reactions: 204 for an emoji on a known message, 10014 for a bad emoji, 10008 for an unknown message', async () => {
    const rest = await startFake();
    const userMessage = fake.message('hello');
    await rest.put(`/channels/${fake.channelId}/messages/${userMessage}/reactions/${encodeURIComponent('⏳')}/@me`);
    await rest.put(`/channels/${fake.channelId}/messages/${userMessage}/reactions/${encodeURIComponent('news:123456789012345678')}/@me`);
    expect(fake.reactions.map((r) => [r.messageId, r.emoji])).toEqual([[userMessage, '⏳'], [userMessage, 'news:123456789012345678']]);
    expect((await refusal(rest.put(`/channels/${fake.channelId}/messages/${userMessage}/reactions/${encodeURIComponent('not an emoji')}/@me`))).code).toBe(10014);
    expect((await refusal(rest.put(`/channels/${fake.channelId}/messages/1234/reactions/${encodeURIComponent('⏳')}/@me`))).code).toBe(10008);
    expect(rules(fake.takeRuleBreaks())).toEqual(['unknown-emoji', 'unknown-message']);
  });
});

describe('the fake Discord records breaks of the bot policy that Discord would accept', () => {
  it('a message that can ping, a reply that pings its author, a public part of a private answer, a public notice', async () => {
    const rest = await startFake();
    const userMessage = fake.message('question');
    await rest.post(`/channels/${fake.channelId}/messages`, { body: { content: 'no allowed_mentions' } });
    await rest.post(`/channels/${fake.channelId}/messages`, { body: { content: 'parses users', allowed_mentions: { parse: ['users'] } } });
    await rest.post(`/channels/${fake.channelId}/messages`, { body: { content: 'reply', allowed_mentions: NO_MENTIONS, message_reference: { message_id: userMessage } } });
    const priv = fake.interaction('ask', { question: 'q', private: true });
    await rest.post(`/interactions/${priv.id}/${priv.token}/callback`, { body: { type: 5, data: { flags: 64 } }, auth: false });
    await rest.post(`/webhooks/${fake.appId}/${priv.token}`, { body: { content: 'part 2', allowed_mentions: NO_MENTIONS }, auth: false });
    await rest.post(`/webhooks/${fake.appId}/${priv.token}`, { body: { content: 'part 3', allowed_mentions: NO_MENTIONS, flags: 64 }, auth: false });
    const notice = fake.interaction('ask', { question: 'q' });
    await rest.post(`/interactions/${notice.id}/${notice.token}/callback`, { body: { type: 4, data: { content: 'busy', allowed_mentions: NO_MENTIONS } }, auth: false });
    const failed = fake.interaction('search', { query: 'q' });
    await rest.post(`/interactions/${failed.id}/${failed.token}/callback`, { body: { type: 5 }, auth: false });
    await rest.delete(`/webhooks/${fake.appId}/${failed.token}/messages/@original`, { auth: false });
    await rest.post(`/webhooks/${fake.appId}/${failed.token}`, { body: { content: 'error', allowed_mentions: NO_MENTIONS }, auth: false });
    const breaks = fake.takeRuleBreaks();
    expect(breaks.every((b) => b.kind === 'policy')).toBe(true);
    expect(rules(breaks)).toEqual(['allowed-mentions', 'allowed-mentions', 'replied-user', 'private-follow-up', 'private-notice', 'private-notice']);
  });
});

describe('the fake Discord gateway', () => {
  it('sends the heartbeat interval it was given and records every heartbeat', async () => {
    await startFake({ heartbeatIntervalMs: 150 });
    await startClient(async () => {});
    const end = Date.now() + 5_000;
    while (fake.heartbeatTimes.length < 3 && Date.now() < end) await sleep(20);
    expect(fake.heartbeatTimes.length).toBeGreaterThanOrEqual(3);
    const gaps = fake.heartbeatTimes.slice(1).map((t, i) => t - fake.heartbeatTimes[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThan(50);
  });
});

describe('the fake Discord shards as Discord does', () => {
  const shardClients: Client[] = [];
  afterEach(async () => {
    for (const c of shardClients.splice(0)) await c.destroy();
  });

  /** A real discord.js Client connected as one shard of `count`, recording the interactions and mentions it receives. */
  async function startShard(id: number, count: number): Promise<{ client: Client; received: string[] }> {
    const c = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
      rest: { api: fake.apiUrl },
      shards: [id],
      shardCount: count,
      ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) },
    });
    shardClients.push(c);
    const received: string[] = [];
    c.on(Events.InteractionCreate, (i) => void received.push(`interaction ${i.guildId}`));
    c.on(Events.MessageCreate, (m: Message) => void received.push(`message ${m.guildId}`));
    const ready = new Promise<void>((resolve) => c.once(Events.ClientReady, () => resolve()));
    await c.login('test-token');
    await ready;
    return { client: c, received };
  }

  it('puts each guild on shard (id >> 22) % count and routes its events to that shard only', async () => {
    await startFake({ recommendedShards: 2 });
    const first = shardOf(fake.guildId, 2);
    const other = fake.addGuild({ onShard: [1 - first, 2] });
    expect(shardOf(other.id, 2)).toBe(1 - first);
    expect(Number(BigInt(other.id) >> 22n) % 2).toBe(1 - first);
    const rest = new REST({ api: fake.apiUrl }).setToken('test-token');
    expect(await rest.get('/gateway/bot')).toMatchObject({ shards: 2 });

    const shards = [await startShard(0, 2), await startShard(1, 2)];
    expect(fake.identified.map((i) => i.shard)).toEqual([[0, 2], [1, 2]]);
    expect(fake.connectedShards()).toEqual([[0, 2], [1, 2]]);
    const byGuild = new Map([[fake.guildId, shards[first]!], [other.id, shards[1 - first]!]]);
    for (const [guildId, shard] of byGuild) {
      const end = Date.now() + 5_000;
      while (!shard.client.guilds.cache.has(guildId) && Date.now() < end) await sleep(20);
      expect([...shard.client.guilds.cache.keys()]).toEqual([guildId]);
    }

    for (const guildId of byGuild.keys()) {
      fake.interaction('status', {}, { guildId });
      fake.message('hello', { guildId });
    }
    const end = Date.now() + 5_000;
    while (shards.some((s) => s.received.length < 2) && Date.now() < end) await sleep(20);
    await sleep(100);
    for (const [guildId, shard] of byGuild) expect(shard.received.sort()).toEqual([`interaction ${guildId}`, `message ${guildId}`]);
    // Nobody acknowledged those interactions on purpose.
    await sleep(3_200);
    expect(rules(fake.takeRuleBreaks())).toEqual(['no-acknowledgement', 'no-acknowledgement']);
  });

  it('sends nothing for a guild whose shard is not connected, and closes an IDENTIFY for a shard out of range with 4010', async () => {
    await startFake();
    const other = fake.addGuild({ onShard: [1 - shardOf(fake.guildId, 2), 2] });
    const only = await startShard(shardOf(fake.guildId, 2), 2);
    fake.message('to the missing shard', { guildId: other.id });
    fake.message('to the connected one');
    await sleep(300);
    expect(only.received).toEqual([`message ${fake.guildId}`]);

    const ws = new WebSocket(fake.gatewayUrl);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('open', () => ws.send(JSON.stringify({ op: 2, d: { token: 'test-token', intents: 0, properties: {}, shard: [2, 2] } })));
    expect(await closed).toBe(4010);
  });
});


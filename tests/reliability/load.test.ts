import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';
import type { RestCall } from '../helpers/fake-discord.js';

type Body = Record<string, unknown>;
const QUESTION = 'What did Starmer ask Trump for?';
const content = (c: RestCall) => String((c.body as Body | null)?.['content'] ?? '');
const repliesTo = (c: RestCall) => String(((c.body as Body | null)?.['message_reference'] as Body | undefined)?.['message_id'] ?? '');

/**
 * What the bot did about a set of mentions since `since`: answers (cited), notice messages (any other
 * message) and reactions on those mentions. Notices may be messages or reactions, as the design wants.
 */
function outcome(h: BotHarness, mentions: string[], since: number) {
  const posts = h.fake.calls.slice(since).filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path));
  const answers = posts.filter((c) => /\[1\]/.test(content(c)));
  return {
    answers,
    notices: posts.filter((c) => !answers.includes(c)),
    reactions: h.fake.reactions.filter((r) => mentions.includes(r.messageId)),
  };
}

describe('load: 50 concurrent /ask interactions', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot({ settings: { rateLimitPerMinute: 3, maxConcurrent: 4, maxQueued: 100 } });
  });
  afterAll(() => h.stop());

  it('acknowledges every one within 3 s, answers all, and memory stays bounded', async () => {
    const rssBefore = process.memoryUsage().rss;
    const since = h.fake.calls.length;
    const sent = Array.from({ length: 50 }, (_, i) => {
      const at = Date.now();
      const user = { id: String(700000000000000000n + BigInt(i)), username: `user${i}` };
      return { ...h.fake.interaction('ask', { question: i % 2 ? 'What did Starmer ask Trump for?' : 'Who will Starmer meet on Thursday?' }, { user }), at };
    });
    for (const s of sent) {
      const callback = await h.fake.waitFor('POST', new RegExp(`^/interactions/${s.id}/${s.token}/callback$`), { since, timeoutMs: 10_000 });
      expect((callback.body as Body)['type']).toBe(5);
      expect(callback.at - s.at).toBeLessThan(3_000);
    }
    for (const s of sent) {
      const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${s.token}/messages/@original$`), { since, timeoutMs: 30_000 });
      expect(String((edit.body as Body)['content'])).toMatch(/\[1\]/);
    }
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1048576;
    expect(growthMb).toBeLessThan(200);
  });

  it('holds the per-user limit: the 4th question in a minute gets a polite private notice', async () => {
    const user = { id: '800000000000000001', username: 'eager' };
    const since = h.fake.calls.length;
    const calls = Array.from({ length: 5 }, () => h.fake.interaction('ask', { question: 'What did Starmer ask Trump for?' }, { user }));
    const bodies: Body[] = [];
    for (const c of calls) bodies.push((await h.fake.waitFor('POST', new RegExp(`^/interactions/${c.id}/${c.token}/callback$`), { since })).body as Body);
    expect(bodies.filter((b) => b['type'] === 5)).toHaveLength(3);
    const refused = bodies.filter((b) => b['type'] === 4);
    expect(refused).toHaveLength(2);
    for (const b of refused) expect(b).toMatchObject({ data: { flags: 64, content: expect.stringMatching(/^You're asking faster than I can read\. Please try again in \d+ s\.$/) } });
  });
});

describe('load: a burst of mentions from one user', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot({ settings: { rateLimitPerMinute: 2 } });
  });
  afterAll(() => h.stop());

  it('answers at most the allowed questions, with at most one notice message for the burst', async () => {
    const user = { id: '820000000000000001', username: 'burst' };
    const since = h.fake.calls.length;
    const burst = Array.from({ length: 6 }, () => h.fake.message(QUESTION, { user }));
    await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since, where: (c) => /\[1\]/.test(content(c)) });
    await h.fake.settle(500);
    const { answers, notices, reactions } = outcome(h, burst, since);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.length).toBeLessThanOrEqual(2);
    expect(notices.length).toBeLessThanOrEqual(1);
    // The user learns the rest were seen: a reaction on them or one short notice.
    expect(notices.length + reactions.length).toBeGreaterThan(0);
    for (const c of [...answers, ...notices]) expect(burst).toContain(repliesTo(c));
    for (const n of notices) expect(content(n).length).toBeLessThanOrEqual(200);
    // Another user is not held back by the first one's burst.
    const other = h.fake.message(QUESTION, { user: { id: '820000000000000002', username: 'calm' } });
    const reply = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since, where: (c) => repliesTo(c) === other });
    expect(content(reply)).toMatch(/\[1\]/);
  });
});

describe('load: a full queue', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot({ settings: { maxConcurrent: 1, maxQueued: 0 } });
  });
  afterAll(() => h.stop());

  it('turns away work beyond the queue with a polite private notice', async () => {
    const since = h.fake.calls.length;
    const calls = Array.from({ length: 6 }, (_, i) => h.fake.interaction('ask', { question: 'What did Starmer ask Trump for?' }, { user: { id: String(810000000000000000n + BigInt(i)), username: `u${i}` } }));
    const bodies: Body[] = [];
    for (const c of calls) bodies.push((await h.fake.waitFor('POST', new RegExp(`^/interactions/${c.id}/${c.token}/callback$`), { since })).body as Body);
    const busy = bodies.filter((b) => b['type'] === 4);
    expect(busy.length).toBeGreaterThan(0);
    for (const b of busy) expect(b).toMatchObject({ data: { flags: 64, content: "I'm answering a lot of questions right now. Please try again in a minute." } });
    expect(bodies.filter((b) => b['type'] === 5).length).toBeGreaterThan(0);
  });

  it('turns away mentions beyond the queue without answering them or flooding the channel', async () => {
    await h.fake.settle(500);
    // The first mention holds the only slot: its typing indicator is rate limited for 0.8 s.
    h.fake.rateLimit((c) => c.path.endsWith('/typing'), 0.8);
    const since = h.fake.calls.length;
    const mentions = Array.from({ length: 4 }, (_, i) => h.fake.message(QUESTION, { user: { id: String(830000000000000000n + BigInt(i)), username: `m${i}` } }));
    await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since, where: (c) => /\[1\]/.test(content(c)) });
    await h.fake.settle(500);
    const { answers, notices, reactions } = outcome(h, mentions, since);
    expect(answers.map(repliesTo)).toEqual([mentions[0]]);
    expect(notices.length).toBeLessThanOrEqual(1);
    for (const n of notices) expect(mentions.slice(1)).toContain(repliesTo(n));
    expect(notices.length + reactions.length).toBeGreaterThan(0);
    expect(reactions.every((r) => mentions.slice(1).includes(r.messageId))).toBe(true);
  });
});

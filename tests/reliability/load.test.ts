import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';

type Body = Record<string, unknown>;

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
      return { ...h.fake.interaction('ask', { question: i % 2 ? 'What did Starmer ask Trump for?' : 'What will Zelensky sign in Washington?' }, { user }), at };
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
});

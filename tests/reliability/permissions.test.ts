import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';

type Body = Record<string, unknown>;
const ALL_BUT_MANAGE_GUILD = ((1n << 41n) - 1n) & ~(1n << 5n) & ~(1n << 3n); // everything except Manage Server and Administrator
const ADMINISTRATOR = 1n << 3n;

describe('moderator commands are checked by the bot, whatever Discord lets through', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot();
  });
  afterAll(() => h.stop());

  const run = async (name: string, as: Parameters<BotHarness['fake']['interaction']>[2]) => {
    const since = h.fake.calls.length;
    const { id, token } = h.fake.interaction(name, {}, as);
    const callback = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
    return callback.body as Body;
  };

  it.each(['ingest', 'reingest'])('/%s is refused to members without Manage Server or a moderator role', async (name) => {
    for (const as of [{}, { roles: ['999000000000000001'] }, { permissions: ALL_BUT_MANAGE_GUILD }]) {
      const body = await run(name, as);
      expect(body).toMatchObject({ type: 4, data: { flags: 64, content: `Only moderators can use /${name}.` } });
    }
    expect(h.logs.some((l) => l.includes('moderator command refused') && l.includes(name))).toBe(true);
  });

  it.each(['ingest', 'reingest'])('/%s runs for Manage Server, Administrator and moderator roles', async (name) => {
    for (const as of [{ permissions: (1n << 5n) | 1024n }, { permissions: ADMINISTRATOR }, { roles: [h.fake.moderatorRoleId] }]) {
      const body = await run(name, as);
      expect(body).toMatchObject({ type: 5, data: { flags: 64 } });
    }
  });

  it('ordinary commands stay open to everyone', async () => {
    const body = await run('status', {});
    expect(body).toMatchObject({ type: 5 });
  });
});

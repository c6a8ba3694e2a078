import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';

type Body = Record<string, unknown>;
const text = (b: unknown) => String((b as Body | null)?.['content'] ?? ((b as Body | null)?.['data'] as Body | undefined)?.['content'] ?? '');

describe('bad questions get a polite answer or refusal, never a crash or a ping', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot();
  });
  afterAll(() => h.stop());

  /** Sends /ask and returns what the user finally sees (the reply or the last edit). */
  const ask = async (question: string): Promise<{ content: string; ephemeral: boolean; body: Body }> => {
    const since = h.fake.calls.length;
    const { id, token } = h.fake.interaction('ask', { question });
    const callback = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
    if ((callback.body as Body)['type'] === 4) return { content: text(callback.body), ephemeral: true, body: callback.body as Body };
    const followUp = h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${token}$`), { since, timeoutMs: 5_000 }).catch(() => null);
    const edit = h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 5_000 }).catch(() => null);
    const first = await Promise.race([followUp, edit]);
    if (!first) throw new Error('no answer');
    const flags = Number(((first.body as Body)['flags'] as number | undefined) ?? 0);
    return { content: text(first.body), ephemeral: (flags & 64) === 64, body: first.body as Body };
  };

  it.each([
    ['empty', '   ', /The question is empty\./],
    ['10,000 characters', 'why '.repeat(2_500), /The question is too long \(\d+ characters; the limit is 2000\)\./],
  ])('%s: a short private explanation', async (_name, question, expected) => {
    const reply = await ask(question);
    expect(reply.content).toMatch(expected);
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).not.toMatch(/Error:|at .*\.ts:\d+|stack/);
  });

  it.each([
    ['only emoji', '🔥🔥🔥 🤔'],
    ['markdown and code blocks', '**bold** _x_ ```js\nprocess.exit(1)\n``` `rm -rf /`'],
  ])('%s: says it found nothing', async (_name, question) => {
    const reply = await ask(question);
    expect(reply.content).toMatch(/couldn't find anything about that in the news I have/);
  });

  it('zero-width characters are removed before searching', async () => {
    const reply = await ask('What\u200B did Star\u200Bmer ask\u2060 Trump\uFEFF for?');
    expect(reply.content).toMatch(/backstop/);
  });

  it('text that tries to ping is answered without pinging', async () => {
    const reply = await ask('@everyone @here <@555555555555555555> <@&444444444444444444> what did Starmer ask Trump for?');
    expect(reply.content).toMatch(/backstop/);
    expect(reply.content).not.toMatch(/@everyone|@here|<@\d|<@&\d/);
    expect(reply.body['allowed_mentions']).toMatchObject({ parse: [] });
  });

  it('a mention with a ping attempt and a huge question is refused politely in the channel', async () => {
    const since = h.fake.calls.length;
    h.fake.message(`@everyone ${'please '.repeat(1_500)}`);
    const reply = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since });
    expect(text(reply.body)).toMatch(/too long/);
    expect((reply.body as Body)['allowed_mentions']).toMatchObject({ parse: [] });
    const since2 = h.fake.calls.length;
    h.fake.message('   ');
    const hint = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since: since2 });
    expect(text(hint.body)).toMatch(/Ask me about the news/);
  });
});

import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../../src/app/context.js';
import { IngestService } from '../../src/app/ingest-service.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';
import { tempDir } from '../helpers/env.js';

type Body = Record<string, unknown>;
const text = (b: unknown) => String((b as Body | null)?.['content'] ?? ((b as Body | null)?.['data'] as Body | undefined)?.['content'] ?? '');

describe('bad questions get a polite answer or refusal, never a crash or a ping', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot();
  });
  afterAll(() => h.stop());

  /** Sends /ask and returns what the user finally sees (the reply or the last edit). */
  const ask = async (question: string): Promise<{ content: string; ephemeral: boolean; body: Body; immediate: boolean }> => {
    const since = h.fake.calls.length;
    const { id, token } = h.fake.interaction('ask', { question });
    const callback = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
    if ((callback.body as Body)['type'] === 4) {
      const flags = Number((((callback.body as Body)['data'] as Body)['flags'] as number | undefined) ?? 0);
      return { content: text(callback.body), ephemeral: (flags & 64) === 64, body: callback.body as Body, immediate: true };
    }
    const followUp = h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${token}$`), { since, timeoutMs: 5_000 }).catch(() => null);
    const edit = h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 5_000 }).catch(() => null);
    const first = await Promise.race([followUp, edit]);
    if (!first) throw new Error('no answer');
    const flags = Number(((first.body as Body)['flags'] as number | undefined) ?? 0);
    return { content: text(first.body), ephemeral: (flags & 64) === 64, body: first.body as Body, immediate: false };
  };

  it.each([
    ['empty', '   ', /The question is empty\./],
    ['10,000 characters', 'why '.repeat(2_500), /The question is too long \(\d+ characters; the limit is 2000\)\./],
  ])('%s: a short private explanation', async (_name, question, expected) => {
    const reply = await ask(question);
    expect(reply.content).toMatch(expected);
    expect(reply.ephemeral).toBe(true);
    // Told at once, privately: no public "thinking…" that is then deleted.
    expect(reply.immediate).toBe(true);
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

  it('logs user mistakes as one info line without a stack, real faults with one', async () => {
    const mistakes = [
      () => ask('   '),
      async () => {
        // The bot's real ingest service, which checks the URL (the harness's stand-in ingests the corpus).
        const { dir, cleanup } = tempDir();
        const app = await createApp(loadConfig({ DATA_DIR: dir, CORPUS_DIR: dir }), silentLogger, { embedder: null });
        const ingest = h.services.ingest;
        h.services.ingest = (request) => new IngestService(app).run(request);
        onTestFinished(async () => {
          h.services.ingest = ingest;
          await app.close();
          cleanup();
        });
        const since = h.fake.calls.length;
        const { token } = h.fake.interaction('ingest', { url: 'ftp://example.com/feed' }, { roles: [h.fake.moderatorRoleId] });
        // A private reply: the refusal replaces the "thinking…" message.
        const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
        expect(text(edit.body)).toBe('Only http and https URLs can be ingested.');
      },
    ];
    for (const mistake of mistakes) {
      const before = h.logs.length;
      await mistake();
      const lines = h.logs.slice(before);
      expect(lines.some((l) => /^info {2}\/(ask|ingest) refused: (The question is empty\.|Only http and https URLs can be ingested\.)/.test(l)), lines.join('\n')).toBe(true);
      expect(lines.filter((l) => l.startsWith('error')), lines.join('\n')).toEqual([]);
      expect(lines.join('\n')).not.toMatch(/\bat .*\.ts:\d+|Error: /);
    }
    // A real fault still reaches the log with its stack.
    const search = h.services.search;
    h.services.search = () => Promise.reject(new Error('disk on fire'));
    try {
      const before = h.logs.length;
      const since = h.fake.calls.length;
      const { token } = h.fake.interaction('search', { query: 'backstop' });
      await h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${token}$`), { since });
      expect(h.logs.slice(before).find((l) => l.startsWith('error /search failed'))).toMatch(/Error: disk on fire\\n\s+at /);
    } finally {
      h.services.search = search;
    }
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

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArticleParseError } from '../../src/core/errors.js';
import type { IngestSummary } from '../../src/core/ingest.js';
import type { Answer } from '../../src/core/types.js';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';

const QUESTION = 'What did Starmer ask Trump for?';
const SEED_TITLE = 'Starmer pushes Trump for Ukraine guarantees against Putin';
type Body = Record<string, unknown>;
/** A model answer of 40 sentences (~4,600 characters): three messages with its sources. */
const LONG_ANSWER = Array.from(
  { length: 40 },
  (_, i) => `Sentence number ${i} repeats what the article says about the backstop and the ceasefire talks in Washington [1].`,
).join(' ');

function content(body: unknown): string {
  return String((body as Body | null)?.['content'] ?? '');
}

describe('Discord bot (extractive answers) through the real discord.js Client', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot();
  });
  afterAll(() => h.stop());

  it('logs in through GET /gateway/bot and registers its slash commands in the guild', async () => {
    const put = await h.fake.waitFor('PUT', /^\/applications\/\d+\/guilds\/\d+\/commands$/);
    expect(put.path).toBe(`/applications/${h.fake.appId}/guilds/${h.fake.guildId}/commands`);
    expect(put.authorization).toBe('Bot test-token');
    const names = (put.body as Body[]).map((c) => c['name']);
    expect(names).toEqual(['ask', 'search', 'latest', 'status', 'ingest', 'reingest', 'sources', 'feeds', 'brief', 'watch']);
    const ingest = (put.body as Body[]).find((c) => c['name'] === 'ingest')!;
    expect(ingest['default_member_permissions']).toBe('32');
    // Moderator commands are offered in servers only, never in DMs.
    for (const name of ['ingest', 'reingest', 'sources', 'feeds', 'brief']) {
      expect((put.body as Body[]).find((c) => c['name'] === name), name).toMatchObject({ contexts: [0], dm_permission: false, default_member_permissions: '32' });
    }
    expect((put.body as Body[]).find((c) => c['name'] === 'ask')!['contexts']).toBeUndefined();
    expect(h.fake.find('GET', /^\/gateway\/bot$/)).toHaveLength(1);
    expect(h.fake.identifies).toBe(1);
  });

  it('/ask defers at once, then edits in the answer with citations, sources and buttons', async () => {
    const since = h.fake.calls.length;
    const { id, token, at } = h.fake.interaction('ask', { question: QUESTION });
    const callback = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
    expect(callback.body).toMatchObject({ type: 5 });
    expect(callback.authorization).toBeUndefined();
    // Acknowledged within the product's 1 s (Discord's hard limit, 3 s, the fake enforces itself).
    expect(h.fake.dispatchedAt(id)).toBe(at);
    expect(callback.at - at).toBeLessThan(1_000);
    const edit = await h.fake.waitFor('PATCH', new RegExp(`^/webhooks/${h.fake.appId}/${token}/messages/@original$`), { since });
    const text = content(edit.body);
    expect(text).toMatch(/plead for a US backstop[^\n]*\[1\]/);
    expect(text).toContain('**Sources**');
    expect(text).toContain(`**[1]** ${SEED_TITLE} (2025-02-27, corpus)`);
    const buttons = ((edit.body as Body)['components'] as { components: { custom_id: string }[] }[])[0]!.components.map((c) => c.custom_id);
    expect(buttons).toEqual([expect.stringMatching(/^sources:/), expect.stringMatching(/^feedback:.*:up$/), expect.stringMatching(/^feedback:.*:down$/)]);
  });

  it('while the first reading of the news runs, a question it cannot answer yet is told so with the progress, never "couldn\'t find"', async () => {
    const ask = async (question: string) => {
      const since = h.fake.calls.length;
      const { token } = h.fake.interaction('ask', { question });
      return content((await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since })).body);
    };
    const offStore = 'Who won the 2024 Intergalactic Chess Open in Reykjavik?';
    expect(await ask(offStore)).toMatch(/couldn't find anything about/);
    h.services.firstReading = () => '33 of 300 articles';
    try {
      const reply = await ask(offStore);
      expect(reply).toMatch(/^I'm still reading the news for the first time \\?\(33 of 300 articles\\?\); ask again in a minute\.$/);
      // What it has read already is answered as usual.
      expect(await ask(QUESTION)).toMatch(/plead for a US backstop[^\n]*\[1\]/);
    } finally {
      delete h.services.firstReading;
    }
  });

  it('the Sources button shows the cited passages privately and feedback is stored', async () => {
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction('ask', { question: QUESTION });
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
    const components = (edit.body as Body)['components'] as { components: { custom_id: string }[] }[];
    const [sourcesId, upId] = components[0]!.components.map((c) => c.custom_id);
    const message = { id: '777000000000000001', content: content(edit.body), author: { id: h.fake.bot.id, username: 'newsbot', discriminator: '0' }, timestamp: new Date().toISOString(), type: 0, attachments: [], embeds: [], mentions: [], mention_roles: [], pinned: false, tts: false, mention_everyone: false, flags: 0, components: [] };
    const click = h.fake.button(sourcesId!, message);
    const reply = await h.fake.waitFor('POST', new RegExp(`^/interactions/${click.id}/${click.token}/callback$`));
    expect(reply.body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(content((reply.body as Body)['data'])).toContain(SEED_TITLE);
    expect(content((reply.body as Body)['data'])).toContain('> ');
    const vote = h.fake.button(upId!, message);
    await h.fake.waitFor('POST', new RegExp(`^/interactions/${vote.id}/${vote.token}/callback$`));
    const answerId = upId!.split(':')[1]!;
    expect(h.services.log.feedbackCounts(answerId)).toEqual({ helpful: 1, notHelpful: 0 });
  });

  it('/ask private defers ephemerally', async () => {
    const since = h.fake.calls.length;
    const { id, token } = h.fake.interaction('ask', { question: QUESTION, private: true });
    const callback = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
    expect(callback.body).toMatchObject({ type: 5, data: { flags: 64 } });
  });

  it('/search lists the best passages with title and a snippet', async () => {
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction('search', { query: 'backstop ceasefire' });
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
    expect(content(edit.body)).toMatch(/^Top passages for “backstop ceasefire”:\n\*\*1\.\*\* Starmer pushes Trump/);
    expect(content(edit.body)).toMatch(/\n> .*backstop/);
  });

  it('/status and /latest answer', async () => {
    const since = h.fake.calls.length;
    const status = h.fake.interaction('status', {});
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${status.token}/messages/@original$`), { since });
    expect(content(edit.body)).toMatch(/Articles: 1 · passages: \d+/);
    expect(content(edit.body)).toMatch(/Answers: extractive quotes/);
    const latest = h.fake.interaction('latest', {});
    const edit2 = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${latest.token}/messages/@original$`), { since });
    expect(content(edit2.body)).toContain('Latest headlines:\n**1.** Starmer pushes Trump');
  });

  it('refuses moderator commands to a plain member, server-side, and runs them for moderators', async () => {
    const since = h.fake.calls.length;
    // A plain member, even if a server admin had removed the default permission gate in Discord.
    const plain = h.fake.interaction('ingest', {});
    const refused = await h.fake.waitFor('POST', new RegExp(`^/interactions/${plain.id}/${plain.token}/callback$`), { since });
    expect(refused.body).toMatchObject({ type: 4, data: { flags: 64, content: 'Only moderators can use /ingest.' } });
    const plainRe = h.fake.interaction('reingest', {});
    const refusedRe = await h.fake.waitFor('POST', new RegExp(`^/interactions/${plainRe.id}/${plainRe.token}/callback$`), { since });
    expect(refusedRe.body).toMatchObject({ type: 4, data: { content: 'Only moderators can use /reingest.' } });

    const byRole = h.fake.interaction('ingest', {}, { roles: [h.fake.moderatorRoleId] });
    const deferred = await h.fake.waitFor('POST', new RegExp(`^/interactions/${byRole.id}/${byRole.token}/callback$`), { since });
    expect(deferred.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const done = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${byRole.token}/messages/@original$`), { since });
    expect(content(done.body)).toMatch(/^Ingest of the corpus finished in [\d.]+ s: 0 added, 0 updated, 1 unchanged/);

    const byPermission = h.fake.interaction('reingest', {}, { permissions: FakeDiscord.MANAGE_GUILD });
    const done2 = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${byPermission.token}/messages/@original$`), { since });
    expect(content(done2.body)).toMatch(/^Ingest of the corpus and feeds finished/);
  });

  it('/ingest keeps a long summary within one message', async () => {
    const long = (i: number, n: number) => `https://news.example/${i}/${'p'.repeat(n)}`;
    const summary: IngestSummary = {
      added: 0, updated: 0, unchanged: 1, removed: 0, passages: 0, embedded: 0, vectors: false, durationMs: 1_200, skippedCount: 8,
      skipped: Array.from({ length: 8 }, (_, i) => ({ origin: long(i, 150), reason: `HTTP 404 fetching ${long(i, 300)}` })),
    };
    const ingest = h.services.ingest;
    h.services.ingest = () => Promise.resolve(summary);
    try {
      const since = h.fake.calls.length;
      const { token } = h.fake.interaction('ingest', {}, { roles: [h.fake.moderatorRoleId] });
      const done = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
      expect(content(done.body)).toMatch(/^Ingest of the corpus finished in 1\.2 s: 0 added, 0 updated, 1 unchanged, 0 removed, 8 skipped\.\n- skipped /);
      expect(content(done.body).length).toBeLessThanOrEqual(2_000);
    } finally {
      h.services.ingest = ingest;
    }
  });

  it('tells a moderator privately why an ingest failed, even when the reason quotes a 2,000-character URL', async () => {
    const url = `https://news.example/${'a'.repeat(1_980)}`;
    const ingest = h.services.ingest;
    h.services.ingest = () => Promise.reject(new ArticleParseError(`HTTP 404 fetching ${url}`));
    try {
      const since = h.fake.calls.length;
      const { token } = h.fake.interaction('ingest', { url }, { roles: [h.fake.moderatorRoleId] });
      const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
      expect(content(edit.body)).toMatch(/^That could not be ingested: HTTP 404 fetching https:\/\/news\.example\/a+…$/);
      expect(content(edit.body).length).toBeLessThanOrEqual(2_000);
    } finally {
      h.services.ingest = ingest;
    }
  });

  it('replaces a public reply with a private notice when a command fails', async () => {
    const search = h.services.search;
    h.services.search = () => Promise.reject(new Error('index exploded at retriever.ts:42'));
    try {
      const since = h.fake.calls.length;
      const { id, token } = h.fake.interaction('search', { query: 'backstop' });
      const deferred = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
      expect(deferred.body).toMatchObject({ type: 5 });
      expect(Number(((deferred.body as Body)['data'] as Body | undefined)?.['flags'] ?? 0) & 64).toBe(0);
      await h.fake.waitFor('DELETE', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
      const notice = await h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${token}$`), { since });
      expect(notice.body).toMatchObject({ flags: 64, content: 'Sorry, something went wrong while answering. The error was logged for the operators.', allowed_mentions: { parse: [] } });
    } finally {
      h.services.search = search;
    }
  });

  it('answers a mention in the channel and opens a thread on the answer', async () => {
    const since = h.fake.calls.length;
    const userMessage = h.fake.message(QUESTION);
    await h.fake.waitFor('POST', /^\/channels\/\d+\/typing$/, { since });
    const reply = await h.fake.waitFor('POST', new RegExp(`^/channels/${h.fake.channelId}/messages$`), { since });
    expect((reply.body as Body)['message_reference']).toMatchObject({ message_id: userMessage });
    expect(content(reply.body)).toMatch(/backstop[^\n]*\[1\]/);
    const thread = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages\/\d+\/threads$/, { since });
    expect((thread.body as Body)['name']).toBe(QUESTION);
  });

  it('answers "thanks!" with a reaction, not a search, a reply or a thread', async () => {
    const since = h.fake.calls.length;
    const thanks = h.fake.message('thanks! 🙏');
    const reaction = await h.fake.waitFor('PUT', /\/reactions\/[^/]+\/@me$/, { since });
    expect(reaction.path).toBe(`/channels/${h.fake.channelId}/messages/${thanks}/reactions/👍/@me`);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.calls.slice(since).filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('ignores messages that do not mention it and messages from bots', async () => {
    const since = h.fake.calls.length;
    h.fake.message('What did Starmer ask Trump for?', { mention: false });
    h.fake.message('What did Starmer ask Trump for?', { user: { id: '666666666666666666', username: 'otherbot', bot: true } });
    await new Promise((r) => setTimeout(r, 400));
    expect(h.fake.find('POST', /^\/channels\/\d+\/messages$/).filter((c) => h.fake.calls.indexOf(c) >= since)).toHaveLength(0);
  });

  it('retries a REST call answered with 429 and Retry-After', async () => {
    const since = h.fake.calls.length;
    h.fake.rateLimit((c) => c.method === 'PATCH' && c.path.endsWith('@original'), 0.4);
    const { token } = h.fake.interaction('ask', { question: QUESTION });
    const pattern = new RegExp(`/webhooks/\\d+/${token}/messages/@original$`);
    const first = await h.fake.waitFor('PATCH', pattern, { since });
    const second = await h.fake.waitFor('PATCH', pattern, { since: h.fake.calls.indexOf(first) + 1 });
    expect(second.at - first.at).toBeGreaterThanOrEqual(350);
    expect(content(second.body)).toContain('backstop');
  });

  it('resumes after the gateway connection drops, and keeps answering', async () => {
    h.fake.dropGateway();
    const end = Date.now() + 15_000;
    while (h.fake.resumes < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(h.fake.resumes).toBe(1);
    expect(h.fake.identifies).toBe(1);
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction('ask', { question: QUESTION });
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
    expect(content(edit.body)).toContain('backstop');
  });

  it('never allows a mention in anything it sends', () => {
    const sent = h.fake.calls.filter(
      (c) =>
        (c.method === 'PATCH' && c.path.includes('/webhooks/')) ||
        (c.method === 'POST' && (/^\/webhooks\//.test(c.path) || /^\/channels\/\d+\/messages$/.test(c.path))),
    );
    expect(sent.length).toBeGreaterThan(10);
    for (const c of sent) expect((c.body as Body)['allowed_mentions'], `${c.method} ${c.path}`).toMatchObject({ parse: [] });
    const replies = h.fake.calls.filter((c) => c.path.endsWith('/callback') && (c.body as Body)['type'] === 4);
    expect(replies.length).toBeGreaterThan(2);
    for (const c of replies) expect(((c.body as Body)['data'] as Body)['allowed_mentions']).toMatchObject({ parse: [] });
  });
});

describe('Discord bot with a streaming language model', () => {
  const llm = new FakeOpenAI();
  let h: BotHarness;
  /** Edits of an interaction's reply since `since`, once one carries the source list (the final answer). */
  const editsUntilFinal = async (token: string, since: number) => {
    const pattern = new RegExp(`/webhooks/\\d+/${token}/messages/@original$`);
    const end = Date.now() + 10_000;
    for (;;) {
      const edits = h.fake.find('PATCH', pattern).filter((c) => h.fake.calls.indexOf(c) >= since);
      if (edits.some((e) => content(e.body).includes('**Sources**')) || Date.now() > end) return edits;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  beforeAll(async () => {
    const baseURL = await llm.start();
    h = await startBot({ llmBaseURL: baseURL });
  });
  afterAll(async () => {
    await h.stop();
    await llm.stop();
  });

  it('streams by throttled edits, then posts the checked answer', async () => {
    llm.reply({ kind: 'stream', deltas: ['Starmer asked ', 'Trump for a US ', 'backstop [1]', ' to deter Putin [1].'], chunkDelayMs: 150 });
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction('ask', { question: QUESTION });
    const edits = await editsUntilFinal(token, since);
    const final = edits[edits.length - 1]!;
    expect(content(final.body)).toBe(`Starmer asked Trump for a US backstop [1] to deter Putin [1].\n\n**Sources**\n**[1]** ${SEED_TITLE} (2025-02-27, corpus)`);
    const previews = edits.slice(0, -1);
    expect(previews.length).toBeGreaterThanOrEqual(1);
    expect(content(previews[0]!.body)).toMatch(/ ▌$/);
    for (let i = 1; i < previews.length; i++) expect(previews[i]!.at - previews[i - 1]!.at).toBeGreaterThanOrEqual(200);
  });

  it('splits an answer over 2,000 characters at sentence boundaries, never inside a citation', async () => {
    llm.reply({ kind: 'stream', deltas: [LONG_ANSWER] });
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction('ask', { question: QUESTION });
    // 40 sentences of ~115 characters plus sources: three messages.
    await h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${token}$`), { since, where: (c) => content(c.body).includes('**Sources**') });
    const followUps = h.fake.find('POST', new RegExp(`^/webhooks/\\d+/${token}$`));
    const edits = h.fake.find('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`));
    const first = content(edits[edits.length - 1]!.body);
    const parts = [first, ...followUps.map((f) => content(f.body))];
    expect(parts).toHaveLength(3);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    for (const p of parts.slice(0, -1)) expect(p).toMatch(/\[1\]\.$/);
    for (const p of parts.slice(1)) expect(p).toMatch(/^Sentence number \d+/);
    expect(parts.join(' ')).toContain(LONG_ANSWER);
    // Buttons go under the last part only.
    expect((edits[edits.length - 1]!.body as Body)['components']).toEqual([]);
    expect((followUps[0]!.body as Body)['components']).toEqual([]);
    expect(((followUps[1]!.body as Body)['components'] as unknown[]).length).toBe(1);
  });

  it('keeps every part of a private long answer private', async () => {
    llm.reply({ kind: 'stream', deltas: [LONG_ANSWER] });
    const since = h.fake.calls.length;
    const { id, token } = h.fake.interaction('ask', { question: QUESTION, private: true });
    const defer = await h.fake.waitFor('POST', new RegExp(`^/interactions/${id}/${token}/callback$`), { since });
    expect(defer.body).toMatchObject({ type: 5, data: { flags: 64 } });
    await h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${token}$`), { since, where: (c) => content(c.body).includes('**Sources**') });
    const followUps = h.fake.find('POST', new RegExp(`^/webhooks/\\d+/${token}$`));
    expect(followUps).toHaveLength(2);
    for (const f of followUps) {
      expect(Number((f.body as Body)['flags']) & 64).toBe(64);
      expect(content(f.body).length).toBeLessThanOrEqual(2000);
    }
  });

  it('answers a long mention as a reply and then the rest in the channel, no part of which can ping', async () => {
    llm.reply({ kind: 'stream', deltas: [LONG_ANSWER] });
    const since = h.fake.calls.length;
    const channelPosts = () => h.fake.find('POST', new RegExp(`^/channels/${h.fake.channelId}/messages$`)).filter((c) => h.fake.calls.indexOf(c) >= since);
    const userMessage = h.fake.message(QUESTION);
    await h.fake.waitFor('POST', new RegExp(`^/channels/${h.fake.channelId}/messages$`), { since, where: (c) => content(c.body).includes('**Sources**') });
    await h.fake.waitFor('POST', /^\/channels\/\d+\/messages\/\d+\/threads$/, { since });
    const [reply, ...rest] = channelPosts();
    expect(rest).toHaveLength(2);
    expect((reply!.body as Body)['message_reference']).toMatchObject({ message_id: userMessage });
    for (const part of rest) expect((part.body as Body)['message_reference']).toBeUndefined();
    const parts = [reply!, ...rest];
    for (const part of parts) {
      expect((part.body as Body)['allowed_mentions'], content(part.body).slice(0, 40)).toMatchObject({ parse: [] });
      expect(content(part.body).length).toBeLessThanOrEqual(2000);
    }
    expect(parts.map((p) => content(p.body)).join(' ')).toContain(LONG_ANSWER);
    // Buttons go under the last part only.
    expect(parts.map((p) => ((p.body as Body)['components'] as unknown[]).length)).toEqual([0, 0, 1]);
  });

  it('understands a follow-up in the answer thread with the earlier question and answer', async () => {
    llm.reply(
      { kind: 'stream', deltas: ['Starmer asked for a US backstop [1].'] },
      { kind: 'json', content: 'Why does Keir Starmer want a US backstop?' },
      { kind: 'stream', deltas: ['Because it would deter Putin [1].'] },
    );
    const since = h.fake.calls.length;
    h.fake.message(QUESTION);
    const thread = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages\/\d+\/threads$/, { since });
    const threadId = /\/messages\/(\d+)\/threads$/.exec(thread.path)![1]!;
    await new Promise((r) => setTimeout(r, 100)); // THREAD_CREATE reaches the client
    h.fake.message('Why does he want that?', { channelId: threadId });
    const reply = await h.fake.waitFor('POST', new RegExp(`^/channels/${threadId}/messages$`), { since });
    expect(content(reply.body)).toContain('Because it would deter Putin [1].');
    // One short call rewrites the follow-up into a standalone question for the search...
    expect(llm.requests[1]!.body.messages[1]!.content).toContain('Last question: Why does he want that?');
    // ...and the answer is written for the question as asked, with the thread's earlier turn.
    const request = llm.requests[2]!;
    const roles = request.body.messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'user']);
    expect(request.body.messages[1]!.content).toBe(QUESTION);
    expect(request.body.messages[2]!.content).toBe('Starmer asked for a US backstop [1].');
    // The follow-up alone names nobody; retrieval still found the Starmer article.
    expect(request.body.messages[3]!.content).toContain('<passage id="1" title="Starmer pushes Trump');
    expect(request.body.messages[3]!.content).toContain('Question: Why does he want that?');
    // No second thread inside the thread.
    expect(h.fake.find('POST', /\/threads$/).filter((c) => h.fake.calls.indexOf(c) >= since)).toHaveLength(1);
  });

  it('still ends with an answer when the language model fails mid-stream', async () => {
    llm.reply({ kind: 'stream', deltas: ['Starmer asked ', 'for a', ' backstop [1].'], cutAfter: 1, chunkDelayMs: 50 });
    const edits = await editsUntilFinal(h.fake.interaction('ask', { question: QUESTION }).token, h.fake.calls.length);
    const last = content(edits[edits.length - 1]?.body);
    expect(last).toMatch(/plead for a US backstop[^\n]*\[1\]/);
    expect(last).toMatch(/-# The language model was unavailable/);
  });

  it('closes a code fence the model left open, so the sources still show', async () => {
    llm.reply({ kind: 'stream', deltas: ['Starmer asked for a backstop [1]. Code:\n```js\n', 'alert(1)'] });
    const edits = await editsUntilFinal(h.fake.interaction('ask', { question: QUESTION }).token, h.fake.calls.length);
    const final = content(edits[edits.length - 1]!.body);
    const beforeSources = final.slice(0, final.indexOf('**Sources**'));
    expect(beforeSources).toMatch(/alert\(1\)\n```\n\n$/);
    expect((beforeSources.match(/```/g) ?? []).length).toBe(2);
    expect(final).toContain(`**[1]** ${SEED_TITLE} (2025-02-27, corpus)`);
  });

  it('keeps a model answer from pinging anyone', async () => {
    llm.reply({ kind: 'stream', deltas: ['@everyone look: <@555555555555555555> and <@&444444444444444444> asked for a backstop [1].'] });
    const edits = await editsUntilFinal(h.fake.interaction('ask', { question: QUESTION }).token, h.fake.calls.length);
    expect(edits.length).toBeGreaterThan(0);
    for (const e of edits) {
      expect(content(e.body)).not.toMatch(/@everyone|<@\d|<@&\d/);
      expect((e.body as Body)['allowed_mentions']).toMatchObject({ parse: [] });
    }
  });
});

describe('Discord rendering of article text (Markdown, long lists, many sources)', () => {
  let h: BotHarness;
  const MARKDOWN_TITLE = '**Golden** taps: ||council|| scandal';
  /** Words for texts that differ from article to article (the same text twice is one story). */
  const WORDS = 'library parking school bridge harbour tram museum market pool park road tower clinic station garden festival square stadium ferry canal theatre airport hospital bakery orchard'.split(' ');
  beforeAll(async () => {
    h = await startBot({
      articles: (corpus) => {
        fs.writeFileSync(
          path.join(corpus, 'markdown.txt'),
          `date 2025-03-02 ${MARKDOWN_TITLE}\n\n# BREAKING\n\nThe council spent [four million pounds](http://evil.example/phish) on **golden** taps for the town hall, ||a secret|| the mayor kept.\n\n> Critics called the golden taps a ~~scandal~~ waste.\n`,
        );
        const records = Array.from({ length: 12 }, (_, i) => ({
          id: `long-${i}`,
          title: `Headline ${i + 1}: ${'the council budget debate goes on and on '.repeat(5).trim()}`,
          url: `https://news.example/${'politics/local/'.repeat(8)}story-${i + 1}`,
          published: `2025-03-${String(10 + i).padStart(2, '0')}`,
          text: `Story ${i + 1}. The council budget debate went on. ${WORDS.map((_, j) => WORDS[(j * (i + 2) + i) % WORDS.length]).join(' ')}.`,
        }));
        fs.writeFileSync(path.join(corpus, 'long.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
      },
    });
  });
  afterAll(() => h.stop());

  const reply = async (name: string, options: Record<string, string>) => {
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction(name, options);
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
    await new Promise((r) => setTimeout(r, 200)); // follow-ups, if any
    const followUps = h.fake.find('POST', new RegExp(`^/webhooks/\\d+/${token}$`));
    return [content(edit.body), ...followUps.map((f) => content(f.body))];
  };
  /** Markdown that Discord would render: an unescaped marker. */
  const RENDERED = [/(?<!\\)\*\*golden/i, /(?<!\\)\|\|/, /(?<!\\)\[four million pounds(?<!\\)\]\(/, /^# /m, /(?<!\\)~~/];

  it('quotes an article full of Markdown as written in an answer', async () => {
    const [text] = await reply('ask', { question: 'How much did the council spend on golden taps?' });
    expect(text).toContain('The council spent \\[four million pounds\\]\\(<http://evil.example/phish>\\) on \\*\\*golden\\*\\* taps');
    expect(text).toContain(`**[1]** \\*\\*Golden\\*\\* taps: \\|\\|council\\|\\| scandal (2025-03-02, corpus)`);
    expect(text).toMatch(/\n\n\*\*Sources\*\*\n/);
    for (const pattern of RENDERED) expect(text).not.toMatch(pattern);
  });

  it('/search and /latest escape titles and snippets too', async () => {
    const search = (await reply('search', { query: 'golden taps **council**' })).join('\n');
    expect(search).toContain('Top passages for “golden taps \\*\\*council\\*\\*”:');
    expect(search).toMatch(/\n> .*\\\*\\\*golden\\\*\\\* taps/);
    for (const pattern of RENDERED) expect(search).not.toMatch(pattern);
    const latest = (await reply('latest', { topic: 'golden taps' })).join('\n');
    expect(latest).toContain('\\*\\*Golden\\*\\* taps: \\|\\|council\\|\\| scandal');
  });

  it('/latest splits between headlines, never inside a link', async () => {
    const parts = await reply('latest', {});
    expect(parts.length).toBeGreaterThan(1);
    const lines = parts.flatMap((p) => p.split('\n'));
    expect(lines[0]).toBe('Latest headlines:');
    expect(lines).toHaveLength(11);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\*\*\d+\.\*\* Headline \d+: .* <https:\/\/news\.example\/[^>\s]+\/story-\d+>$/);
  });

  it('/search splits between items, never between an item and its quote', async () => {
    const parts = await reply('search', { query: 'council budget debate' });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      const lines = p.split('\n').filter((l) => !l.startsWith('Top passages'));
      expect(lines.length % 2).toBe(0);
      for (let i = 0; i < lines.length; i += 2) {
        expect(lines[i]).toMatch(/^\*\*\d\.\*\* /);
        expect(lines[i + 1]).toMatch(/^> /);
      }
    }
  });

  it('the Sources button lists every cited source of an 8-source answer, in private follow-ups when needed', async () => {
    const citations = Array.from({ length: 8 }, (_, i) => ({
      n: i + 1, articleId: `long-${i}`, title: `Headline ${i + 1}: ${'the council budget debate goes on '.repeat(4)}`, date: '2025-03-10', source: 'wire',
      url: `https://news.example/${'politics/local/'.repeat(8)}story-${i + 1}`, passage: `Source ${i + 1}: Vladimir Putin ${'met the delegation in Moscow again and again '.repeat(10)}`,
    }));
    const answer: Answer = { text: citations.map((c) => `Claim ${c.n} [${c.n}].`).join(' '), mode: 'llm', citations, notes: [] };
    const id = h.services.log.record('Eight sources?', answer, { userId: '555555555555555555', guildId: h.fake.guildId, channelId: h.fake.channelId });
    const message = { id: '777000000000000002', content: 'x', author: { id: h.fake.bot.id, username: 'newsbot', discriminator: '0' }, timestamp: new Date().toISOString(), type: 0, attachments: [], embeds: [], mentions: [], mention_roles: [], pinned: false, tts: false, mention_everyone: false, flags: 0, components: [] };
    const click = h.fake.button(`sources:${id}`, message);
    const first = await h.fake.waitFor('POST', new RegExp(`^/interactions/${click.id}/${click.token}/callback$`));
    expect(first.body).toMatchObject({ type: 4, data: { flags: 64 } });
    await h.fake.waitFor('POST', new RegExp(`^/webhooks/\\d+/${click.token}$`));
    await new Promise((r) => setTimeout(r, 200));
    const followUps = h.fake.find('POST', new RegExp(`^/webhooks/\\d+/${click.token}$`));
    for (const f of followUps) expect((f.body as Body)['flags']).toBe(64);
    const parts = [content((first.body as Body)['data']), ...followUps.map((f) => content(f.body))];
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    const all = parts.join('\n');
    for (let n = 1; n <= 8; n++) expect(all).toMatch(new RegExp(`\\*\\*\\[${n}\\]\\*\\* Headline ${n}:[^\\n]+\\n> Source ${n}: Vladimir Putin met`));
    // Snippets end on a whole word.
    for (const quote of all.split('\n').filter((l) => l.startsWith('> '))) expect(quote).toMatch(/ (met|the|delegation|in|Moscow|again|and)…$/);
  });
});

describe('mentions: one notice per burst, a notice during shutdown, plain thread names', () => {
  const llm = new FakeOpenAI();
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot({ llmBaseURL: await llm.start(), settings: { rateLimitPerMinute: 3, maxConcurrent: 1, maxQueued: 0 } });
  });
  afterAll(async () => {
    await h.stop();
    await llm.stop();
  });
  const channelMessages = (since: number) => h.fake.find('POST', /^\/channels\/\d+\/messages$/).filter((c) => h.fake.calls.indexOf(c) >= since);
  const reactions = (since: number) => h.fake.find('PUT', /\/reactions\/[^/]+\/@me$/).filter((c) => h.fake.calls.indexOf(c) >= since);
  const settle = async (since: number, count: number) => {
    const end = Date.now() + 10_000;
    while (channelMessages(since).length + reactions(since).length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
  };

  it('names the thread with the question\'s plain text, without mention syntax, within 100 characters', async () => {
    llm.reply({ kind: 'stream', deltas: ['Starmer asked for a backstop [1].'] });
    const since = h.fake.calls.length;
    h.fake.message('@everyone what did <@123456789012345678> and <@&444444444444444444> say in <#333333333333333333> about Starmer <:party:123456789012345678> @here?');
    const thread = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages\/\d+\/threads$/, { since });
    expect((thread.body as Body)['name']).toBe('what did and say in about Starmer ?');
    const since2 = h.fake.calls.length;
    h.fake.message(`What did Starmer ask Trump for ${'and why does it matter to Ukraine and Europe '.repeat(5)}?`, { user: { id: '565656565656565656', username: 'other' } });
    const long = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages\/\d+\/threads$/, { since: since2 });
    const name = String((long.body as Body)['name']);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^What did Starmer ask Trump for and why does it matter to Ukraine .*\w…$/);
  });

  it('when the queue is full, one busy reply per channel and reactions after it', async () => {
    llm.reply({ kind: 'stream', deltas: ['Starmer asked ', 'for a backstop [1].'], chunkDelayMs: 1_500 });
    const since = h.fake.calls.length;
    for (let i = 0; i < 4; i++) h.fake.message(QUESTION, { user: { id: `58585858585858585${i}`, username: `u${i}` } });
    await settle(since, 4);
    const busy = channelMessages(since).filter((c) => /answering a lot of questions/.test(content(c.body)));
    expect(busy).toHaveLength(1);
    expect(reactions(since).length).toBeGreaterThanOrEqual(2);
    expect(h.logs.some((l) => l.startsWith('warn  answer queue full; mention refused'))).toBe(true);
    expect(h.logs.filter((l) => l.startsWith('error')).join('\n')).not.toMatch(/queue full/);
  });

  it('answers a burst of 20 mentions with at most one rate-limit reply and quiet reactions', async () => {
    // (The busy notice of this channel was given by the test before: queue-full refusals react too.)
    llm.reply({ kind: 'stream', deltas: ['Starmer asked for a backstop [1].'] });
    const user = { id: '575757575757575757', username: 'eager' };
    const since = h.fake.calls.length;
    for (let i = 0; i < 20; i++) {
      h.fake.message(`${QUESTION} (${i})`, { user });
      await new Promise((r) => setTimeout(r, 30));
    }
    await settle(since, 20);
    const replies = channelMessages(since).map((c) => content(c.body));
    const notices = replies.filter((r) => /asking faster than I can read/.test(r));
    expect(notices).toHaveLength(1);
    // 3 a minute are answered; the next 3 are kept for their turn (⏳); the rest get a reaction, not a message.
    expect(reactions(since).filter((c) => c.path.includes('/reactions/⏳/@me'))).toHaveLength(3);
    expect(reactions(since).filter((c) => c.path.includes('/reactions/🚫/@me')).length).toBeGreaterThanOrEqual(12);
    expect(h.logs.some((l) => /^info {2}rate limited .*user="575757575757575757"/.test(l))).toBe(true);
  });

  it('a mention during shutdown gets the same "restarting" notice as /ask', async () => {
    llm.reply({ kind: 'stream', deltas: ['Starmer asked ', 'for a backstop [1].'], chunkDelayMs: 800 });
    await new Promise((r) => setTimeout(r, 3_000)); // answers of the tests before are done
    h.fake.interaction('ask', { question: QUESTION }, { user: { id: '595959595959595959', username: 'asker' } });
    await h.fake.waitFor('POST', /\/callback$/, { since: h.fake.calls.length - 1 });
    const since = h.fake.calls.length;
    const stopping = h.bot.stop(5_000);
    h.fake.message(QUESTION, { user: { id: '606060606060606060', username: 'late' } });
    const slash = h.fake.interaction('ask', { question: QUESTION }, { user: { id: '616161616161616161', username: 'late2' } });
    const notice = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since });
    const refused = await h.fake.waitFor('POST', new RegExp(`^/interactions/${slash.id}/${slash.token}/callback$`), { since });
    expect(content(notice.body)).toBe('I am restarting; please ask again in a moment.');
    expect(content((refused.body as Body)['data'])).toBe(content(notice.body));
    await stopping;
  });
});

describe('mentions refused by the rate limit are answered when their turn comes', () => {
  const user = { id: '646464646464646464', username: 'quick' };
  const replyTo = (id: string) => (c: { body: unknown }) => ((c.body as Body)['message_reference'] as Body | undefined)?.['message_id'] === id;

  it('keeps up to 3 waiting (⏳), answers each in the order asked and removes its ⏳; a 5th is told when to ask again', async () => {
    // One question per 1.5 s a user (the limit's window shortened from a minute).
    const h = await startBot({ settings: { rateLimitPerMinute: 1, rateWindowMs: 1_500 } });
    try {
      const since = h.fake.calls.length;
      const ids = [0, 1, 2, 3, 4].map((i) => h.fake.message(`${QUESTION} (${i})`, { user }));
      const replies = await Promise.all(ids.slice(0, 4).map((id) => h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since, timeoutMs: 30_000, where: replyTo(id) })));
      for (const reply of replies) expect(content(reply.body)).toMatch(/backstop[^\n]*\[1\]/);
      // In the order asked: each kept mention waits for the one before it.
      const order = replies.map((r) => h.fake.calls.indexOf(r as never));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const fifth = h.fake.find('POST', /^\/channels\/\d+\/messages$/).find(replyTo(ids[4]!));
      expect(content(fifth?.body)).toMatch(/^You're asking faster than I can read\. Please try again in \d+ s\.$/);
      const waited = h.fake.find('PUT', /\/reactions\/[^/]+\/@me$/).filter((c) => h.fake.calls.indexOf(c) >= since);
      expect(waited.map((c) => c.path.split('/')[4])).toEqual(ids.slice(1, 4));
      for (const id of ids.slice(1, 4)) await h.fake.waitFor('DELETE', new RegExp(`/messages/${id}/reactions/⏳/@me$`), { since, timeoutMs: 5_000 });
      expect(h.logs.filter((l) => l.startsWith('info  mention kept for its turn'))).toHaveLength(3);
    } finally {
      await h.stop();
    }
  });

  it('shutdown tells each mention still waiting that the bot is restarting, instead of leaving its ⏳', async () => {
    // A minute's window: the kept mentions are still waiting when the bot stops.
    const h = await startBot({ settings: { rateLimitPerMinute: 1 } });
    try {
      const since = h.fake.calls.length;
      const ids = [0, 1, 2].map((i) => h.fake.message(`${QUESTION} (${i})`, { user }));
      await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since, timeoutMs: 15_000, where: replyTo(ids[0]!) });
      await h.fake.waitFor('PUT', new RegExp(`/messages/${ids[2]}/reactions/`), { since, timeoutMs: 5_000 });
      const before = h.fake.calls.length;
      await h.bot.stop(2_000);
      for (const id of ids.slice(1)) {
        const told = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since: before, timeoutMs: 5_000, where: replyTo(id) });
        expect(content(told.body)).toBe('I am restarting; please ask again in a moment.');
        await h.fake.waitFor('DELETE', new RegExp(`/messages/${id}/reactions/⏳/@me$`), { since: before, timeoutMs: 5_000 });
      }
    } finally {
      await h.stop();
    }
  });
});

describe('an ingest that outlives its reply (Discord lets a reply be edited for 15 minutes)', () => {
  let h: BotHarness;
  // The fake's interaction tokens last 2 s here; the bot stops relying on them after 1.2 s.
  beforeAll(async () => {
    h = await startBot({ discord: { tokenTtlMs: 2_000 }, settings: { replyEditWindowMs: 1_200 } });
  });
  // The harness fails the test if any call used an expired token (rule "token-expired").
  afterAll(() => h.stop());

  it('says so in the reply while it can, then sends the summary by direct message, pinging no one', async () => {
    const ingest = h.services.ingest;
    h.services.ingest = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      return ingest(...args);
    };
    try {
      const since = h.fake.calls.length;
      const { token } = h.fake.interaction('reingest', {}, { roles: [h.fake.moderatorRoleId] });
      const notice = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
      expect(content(notice.body)).toMatch(/^Still ingesting the corpus and feeds\. Discord lets me edit this reply for 15 minutes only: I will send you the summary by direct message when it ends\.$/);
      const post = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages$/, { since });
      // Opened the moderator's DM channel, and sent there: private, as the reply was.
      expect(h.fake.dmChannels.get(post.path.split('/')[2]!)).toBe('555555555555555555');
      expect(content(post.body)).toMatch(/^Your ingest ended\. Ingest of the corpus and feeds finished in [\d.]+ s: /);
      expect((post.body as Body)['allowed_mentions']).toMatchObject({ parse: [] });
      // The reply was not edited again once its token could have expired.
      const edits = h.fake.calls.slice(since).filter((c) => c.method === 'PATCH' && c.path.includes(token));
      expect(edits).toHaveLength(1);
    } finally {
      h.services.ingest = ingest;
    }
  });

  it('a moderator who takes no direct messages is told in the channel, with counts only and no ping', async () => {
    const ingest = h.services.ingest;
    h.services.ingest = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      return ingest(...args);
    };
    h.fake.dmsClosed.add('555555555555555555');
    try {
      const since = h.fake.calls.length;
      h.fake.interaction('reingest', {}, { roles: [h.fake.moderatorRoleId] });
      const post = await h.fake.waitFor('POST', new RegExp(`^/channels/${h.fake.channelId}/messages$`), { since });
      expect(content(post.body)).toMatch(/^<@555555555555555555>, your ingest ended \(I could not send you the details by direct message\)\. Ingest of the corpus and feeds finished in [\d.]+ s: [^\n]*$/);
      expect((post.body as Body)['allowed_mentions']).toMatchObject({ parse: [] });
    } finally {
      h.fake.dmsClosed.clear();
      h.services.ingest = ingest;
    }
  });

  it('a fault after that is logged as one warning, with no attempt to edit the expired reply', async () => {
    h.logs.length = 0;
    const ingest = h.services.ingest;
    h.services.ingest = async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      throw new Error('disk on fire');
    };
    try {
      const since = h.fake.calls.length;
      const { token } = h.fake.interaction('ingest', {}, { roles: [h.fake.moderatorRoleId] });
      await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since });
      await until(() => h.logs.some((l) => l.includes('the user could not be told of the failure')));
      expect(h.logs.some((l) => l.includes('/ingest failed') && l.includes('disk on fire'))).toBe(true);
      expect(h.logs.some((l) => l.includes('could not tell the user about an error'))).toBe(false);
      expect(h.fake.calls.slice(since).filter((c) => c.path.includes(token))).toHaveLength(2); // the defer and the one notice
    } finally {
      h.services.ingest = ingest;
    }
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

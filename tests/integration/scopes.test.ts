import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { runIngestRequest } from '../../src/ingest/request.js';
import { tempDir } from '../helpers/env.js';
import { openTestStore } from '../helpers/test-store.js';
import { startBot, threadKnown, type BotHarness } from '../helpers/bot-harness.js';
import { FakeDiscord, type FakeGuild } from '../helpers/fake-discord.js';
import { NewsServer, articlePage } from '../helpers/news-server.js';
import { postgresStores, sqliteStores, NO_POSTGRES_REASON } from '../helpers/stores.js';

type Body = Record<string, unknown>;
const content = (body: unknown) => String((body as Body | null)?.['content'] ?? '');
/** A /search or /latest reply without its first line (which repeats the query). */
const listed = (text: string) => text.split('\n').slice(1).join('\n');

/** A page a member of server B adds, claiming what the news never said. */
const B_PAGE_TITLE = 'Starmer asked Trump for nothing, says the Quillfeather memo';
const B_PAGE = articlePage(B_PAGE_TITLE, '2026-12-01', [
  'Keir Starmer asked Trump for nothing at all, according to the Quillfeather memo circulated on Monday.',
  'The Quillfeather memo says the prime minister asked for nothing in Washington and made no request about Ukraine.',
  'Officials quoted in the Quillfeather memo said Starmer asked Trump for nothing and left the meeting early.',
]);
/** The item of the feed B's moderator adds. */
const B_FEED_TITLE = 'Glimmerton council bans hedgehogs from the marmalade festival';
const B_FEED_TEXT = 'Glimmerton council voted to ban hedgehogs from the marmalade festival after a complaint about prickles. '.repeat(8);
/** A page the operator's server adds: every server sees it. */
const OWNER_TITLE = 'Ferrywick harbour reopens after the storm';
const OWNER_PAGE = articlePage(OWNER_TITLE, '2026-12-02', [
  'Ferrywick harbour reopened on Tuesday after the storm damaged its breakwater.',
  'The Ferrywick harbour master said fishing boats could return to their moorings at once.',
  'Repairs to the Ferrywick breakwater cost less than feared, the council said.',
]);

const backends = [sqliteStores, postgresStores];

describe.each(backends)('servers see global and their own articles only ($backend)', (stores) => {
  let h: BotHarness;
  let news: NewsServer;
  let a: FakeGuild;
  let b: FakeGuild;
  const bModerator = { id: '600000000000000001', username: 'bmod' };
  const bReader = { id: '600000000000000002', username: 'breader' };
  const aReader = { id: '600000000000000003', username: 'areader' };
  const ownerModerator = { id: '600000000000000004', username: 'operator' };

  beforeAll(async () => {
    if (!stores.available) return;
    news = new NewsServer();
    const base = await news.start();
    news.set('/memo.html', B_PAGE);
    news.set('/owner.html', OWNER_PAGE);
    news.set(
      '/b-feed.xml',
      `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Glimmerton Gazette</title>
        <item><title>${B_FEED_TITLE}</title><link>${base}/hedgehogs.html</link><pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate><content:encoded><![CDATA[<p>${B_FEED_TEXT}</p>]]></content:encoded></item>
      </channel></rss>`,
      { type: 'application/rss+xml' },
    );
    h = await startBot({
      realIngest: true,
      stores,
      beforeConnect: (fake) => {
        a = fake.addGuild();
        b = fake.addGuild();
      },
    });
  });
  afterAll(async () => {
    if (!stores.available) return;
    await h.stop();
    await news.stop();
  });

  /** Runs a command and returns its reply's final text (waiting for one that matches `until`). */
  const run = async (name: string, options: Record<string, string | boolean | number>, as: Parameters<FakeDiscord['interaction']>[2], until = /[\s\S]/) => {
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction(name, options, as);
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 20_000, where: (c) => until.test(content(c.body)) });
    return { text: content(edit.body), body: edit.body as Body };
  };
  const inA = { guildId: '', user: aReader };
  const inB = { guildId: '', user: bReader };
  const bMod = (subcommand?: string) => ({ guildId: b.id, user: bModerator, permissions: FakeDiscord.MANAGE_GUILD, ...(subcommand ? { subcommand } : {}) });

  /** A mention in a server's channel: the reply, then a follow-up in the thread opened on it. */
  const mentionAndFollowUp = async (guild: FakeGuild, question: string, followUp: string, user: { id: string; username: string }) => {
    const since = h.fake.calls.length;
    h.fake.message(question, { guildId: guild.id, user });
    const reply = await h.fake.waitFor('POST', new RegExp(`^/channels/${guild.channelId}/messages$`), { since });
    const thread = await h.fake.waitFor('POST', new RegExp(`^/channels/${guild.channelId}/messages/\\d+/threads$`), { since });
    const threadId = /\/messages\/(\d+)\/threads$/.exec(thread.path)![1]!;
    await threadKnown(h.services, threadId);
    const sinceThread = h.fake.calls.length;
    h.fake.message(followUp, { channelId: threadId, user });
    const inThread = await h.fake.waitFor('POST', new RegExp(`^/channels/${threadId}/messages$`), { since: sinceThread });
    return [content(reply.body), content(inThread.body)];
  };

  it.skipIf(!stores.available)("B's moderator adds a page and a feed; A never sees them, B's users do", async () => {
    inA.guildId = a.id;
    inB.guildId = b.id;
    const ingested = await run('ingest', { url: `${news.url}/memo.html` }, bMod(), /^Ingest of/);
    expect(ingested.text).toMatch(/1 added/);
    const fed = await run('feeds', { url: `${news.url}/b-feed.xml` }, bMod('add'), /^Ingest of/);
    expect(fed.text).toMatch(/1 added/);
    // Stored in B's scope, with who added them.
    const stored = await h.store.listArticles([b.id], 10, 0);
    expect(stored.items.map((i) => i.title).sort()).toEqual([B_FEED_TITLE, B_PAGE_TITLE].sort());
    expect(stored.items.every((i) => i.addedBy === bModerator.id && i.scope === b.id)).toBe(true);
    expect(await h.store.listFeeds()).toMatchObject([{ url: `${news.url}/b-feed.xml`, scope: b.id, addedBy: bModerator.id }]);

    // Server A: /ask, /search, /latest, a mention and its thread never show either.
    // Listings: not a word of either. Answers (a refusal repeats the question): nothing only the two articles say.
    const leaks = /Quillfeather|nothing at all|Glimmerton|hedgehog/i;
    const said = /nothing at all|circulated on Monday|prickles|marmalade/i;
    const askA = await run('ask', { question: 'What did Starmer ask Trump for?' }, inA);
    expect(askA.text).not.toMatch(leaks);
    expect(askA.text).toMatch(/backstop/);
    expect(listed((await run('search', { query: 'Quillfeather memo Starmer nothing' }, inA)).text)).not.toMatch(leaks);
    expect(listed((await run('search', { query: 'Glimmerton hedgehogs marmalade' }, inA)).text)).not.toMatch(leaks);
    expect((await run('latest', {}, inA)).text).not.toMatch(leaks);
    expect(listed((await run('latest', { topic: 'hedgehogs' }, inA)).text)).not.toMatch(leaks);
    expect((await run('ask', { question: 'Why did Glimmerton council ban hedgehogs?' }, inA)).text).not.toMatch(said);
    for (const text of await mentionAndFollowUp(a, 'What did the Quillfeather memo say Starmer asked Trump for?', 'And why did Glimmerton council ban hedgehogs?', aReader)) {
      expect(text).not.toMatch(said);
    }

    // Server B's users see both.
    expect(listed((await run('search', { query: 'Quillfeather memo' }, inB)).text)).toContain('Quillfeather');
    const latestB = (await run('latest', {}, inB)).text;
    expect(latestB).toContain('Quillfeather');
    expect(latestB).toContain('Glimmerton');
    expect((await run('ask', { question: 'Why did Glimmerton council ban hedgehogs?' }, inB)).text).toMatch(/prickles/);
    const [mention, followUp] = await mentionAndFollowUp(b, 'What does the Quillfeather memo say?', 'Where did the prime minister ask for nothing?', bReader);
    expect(mention).toMatch(/nothing/);
    expect(followUp).toMatch(/Washington|nothing/);
  });

  it.skipIf(!stores.available)("A's /reingest and /sources do not touch B's articles; B's /sources remove takes the page out of the store and B's answers", async () => {
    const aMod = (subcommand?: string) => ({ guildId: a.id, user: { id: '600000000000000005', username: 'amod' }, permissions: FakeDiscord.MANAGE_GUILD, ...(subcommand ? { subcommand } : {}) });
    const reingested = await run('reingest', {}, aMod(), /^Ingest of/);
    expect(reingested.text).toMatch(/^Ingest of this server's feeds finished/);
    expect((await run('sources', {}, aMod('list'))).text).toMatch(/^No articles have been added here/);
    const pageId = (await h.store.listArticles([b.id], 10, 0)).items.find((i) => i.title === B_PAGE_TITLE)!.id;
    // A's moderator cannot remove B's article, even knowing its id.
    expect((await run('sources', { id: pageId }, aMod('remove'))).text).toMatch(/^No article or feed of this server/);
    expect(await h.store.articleScope(pageId)).toBe(b.id);

    const list = await run('sources', {}, bMod('list'));
    expect(list.text).toContain(pageId);
    expect(list.text).toContain(`<@${bModerator.id}>`);
    const removed = await run('sources', { id: pageId }, bMod('remove'));
    expect(removed.text).toMatch(/^Removed the article/);
    expect(await h.store.articleScope(pageId)).toBeUndefined();
    expect(await h.store.lexicalSearch(['quillfeather'], 10)).toEqual([]);
    const consistency = await h.store.checkConsistency();
    expect(consistency.problems).toEqual([]);
    expect(listed((await run('search', { query: 'Quillfeather memo' }, inB)).text)).not.toContain('Quillfeather');
    expect((await run('latest', {}, inB)).text).toContain('Glimmerton');

    // The feed: removed by its URL; the audit trail has every add and remove, with who and when.
    expect((await run('sources', { what: 'feeds' }, bMod('list'))).text).toContain('b-feed.xml');
    expect((await run('feeds', { url: `${news.url}/b-feed.xml` }, bMod('remove'))).text).toMatch(/^Removed the feed/);
    expect(await h.store.listFeeds()).toEqual([]);
    const trail = await h.store.auditTrail(b.id, 10);
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['feed.remove', bModerator.id],
      ['article.remove', bModerator.id],
      ['feed.add', bModerator.id],
      ['article.add', bModerator.id],
    ]);
    expect(trail.find((e) => e.action === 'article.remove')!.target).toBe(pageId);
    expect(trail.every((e) => /^\d{4}-\d\d-\d\dT/.test(e.at))).toBe(true);
    expect(await h.store.auditTrail(a.id, 10)).toEqual([]);
  });

  it.skipIf(!stores.available)("an owner server's /ingest reaches every server", async () => {
    const done = await run('ingest', { url: `${news.url}/owner.html` }, { user: ownerModerator, permissions: FakeDiscord.MANAGE_GUILD }, /^Ingest of/);
    expect(done.text).toMatch(/1 added/);
    expect((await h.store.listArticles(['global'], 50, 0)).items.map((i) => i.title)).toContain(OWNER_TITLE);
    expect(listed((await run('search', { query: 'Ferrywick harbour' }, inA)).text)).toContain('Ferrywick');
    expect(listed((await run('search', { query: 'Ferrywick harbour' }, inB)).text)).toContain('Ferrywick');
    expect((await h.store.auditTrail('global', 5))[0]).toMatchObject({ action: 'article.add', actor: ownerModerator.id, target: `${news.url}/owner.html` });
    // A server that is not an owner cannot re-scan the corpus.
    expect((await run('ingest', {}, bMod())).text).toMatch(/^Only the operator's servers can re-scan the corpus/);
  });

  it.skipIf(!stores.available)('a Sources or feedback press from another server, or on a private answer from another user, is refused', async () => {
    const answered = await run('ask', { question: 'What did Starmer ask Trump for?' }, inA);
    const ids = ((answered.body['components'] as { components: { custom_id: string }[] }[])[0]!.components).map((c) => c.custom_id);
    const [sourcesId, upId] = ids;
    const messageIn = (guild: FakeGuild) => ({ id: '777000000000000009', channel_id: guild.channelId, content: answered.text, author: { id: h.fake.bot.id, username: 'newsbot', discriminator: '0' }, timestamp: new Date().toISOString(), type: 0, attachments: [], embeds: [], mentions: [], mention_roles: [], pinned: false, tts: false, mention_everyone: false, flags: 0, components: [] });
    const press = async (customId: string, guild: FakeGuild, user: { id: string; username: string }) => {
      const click = h.fake.button(customId, messageIn(guild), { user });
      const reply = await h.fake.waitFor('POST', new RegExp(`^/interactions/${click.id}/${click.token}/callback$`));
      return content((reply.body as Body)['data']);
    };
    const gone = 'That answer is no longer available.';
    // From server B, with the custom ids known: refused.
    expect(await press(sourcesId!, b, bReader)).toBe(gone);
    expect(await press(upId!, b, bReader)).toBe(gone);
    expect(h.services.log.feedbackCounts(upId!.split(':')[1]!)).toEqual({ helpful: 0, notHelpful: 0 });
    // In A, a public answer's buttons work for anyone there.
    expect(await press(sourcesId!, a, { id: '600000000000000009', username: 'other' })).toContain('Starmer');

    // A private answer: only its asker.
    const secret = await run('ask', { question: 'What did Starmer ask Trump for?', private: true }, inA);
    const [secretSources, secretUp] = ((secret.body['components'] as { components: { custom_id: string }[] }[])[0]!.components).map((c) => c.custom_id);
    expect(await press(secretSources!, a, { id: '600000000000000009', username: 'other' })).toBe(gone);
    expect(await press(secretUp!, a, { id: '600000000000000009', username: 'other' })).toBe(gone);
    expect(await press(secretSources!, a, aReader)).toContain('Starmer');
  });
});

if (!postgresStores.available) console.warn(`scopes on PostgreSQL ${NO_POSTGRES_REASON}`);

describe('the feed poll reads the stored feeds, each in its own scope', () => {
  it('adds a server feed\'s items to that server only, records each poll, and never prunes them with the corpus', async () => {
    const { dir, cleanup } = tempDir('newsbot-feeds-');
    const news = new NewsServer();
    const base = await news.start();
    news.set(
      '/b.xml',
      `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Gazette</title>
        <item><title>${B_FEED_TITLE}</title><link>${base}/hedgehogs.html</link><content:encoded><![CDATA[<p>${B_FEED_TEXT}</p>]]></content:encoded></item></channel></rss>`,
      { type: 'application/rss+xml' },
    );
    const store = openTestStore(path.join(dir, 'data'));
    try {
      fs.mkdirSync(path.join(dir, 'corpus'));
      const config = loadConfig({ ALLOW_PRIVATE_FETCH: 'true', CORPUS_DIR: path.join(dir, 'corpus') }, dir);
      const ctx = { store, embedder: null, config, logger: silentLogger };
      await store.addFeed({ url: `${base}/b.xml`, scope: '900000000000000002', addedBy: '1' });
      await store.addFeed({ url: `${base}/missing.xml`, scope: '900000000000000003', addedBy: '2' });
      const polled = await runIngestRequest(ctx, { kind: 'feeds' });
      expect(polled.added).toBe(1);
      const [article] = (await store.listArticles(['900000000000000002'], 10, 0)).items;
      expect(article).toMatchObject({ title: B_FEED_TITLE, scope: '900000000000000002', id: expect.stringMatching(/^900000000000000002:url:/) });
      expect((await store.listArticles(['global'], 10, 0)).total).toBe(0);
      const feeds = await store.listFeeds();
      expect(feeds.find((f) => f.scope === '900000000000000002')).toMatchObject({ lastError: null, lastPolledAt: expect.stringMatching(/^\d{4}-/) });
      expect(feeds.find((f) => f.scope === '900000000000000003')!.lastError).toMatch(/404/);
      // The operator's /reingest re-reads the corpus (pruning what left it): a server's articles are not the corpus's.
      const all = await runIngestRequest(ctx, { kind: 'all' });
      expect(all.removed).toBe(0);
      expect((await store.listArticles(['900000000000000002'], 10, 0)).total).toBe(1);
      // Even a corpus folder that held everything (prefix '') prunes global articles only.
      expect(await store.articlesUnder('')).toEqual([]);
      // A server's /reingest reads its own feeds only.
      const own = await runIngestRequest(ctx, { kind: 'all', scope: '900000000000000003' });
      expect(own.skippedCount).toBe(1);
      expect(own.unchanged).toBe(0);
    } finally {
      await store.close();
      await news.stop();
      cleanup();
    }
  });
});

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import { runIngestRequest } from '../../src/ingest/request.js';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { REPO, tempDir } from '../helpers/env.js';
import { FakeDiscord, shardOf, type RestCall } from '../helpers/fake-discord.js';
import { NewsServer } from '../helpers/news-server.js';
import { TEST_DATABASE_URL } from '../helpers/stores.js';
import { SHARED_STORE_BACKENDS, backendMissing, startInProcessShards, stopInProcessShards, type InProcessShard } from '../helpers/in-process-shards.js';

type Body = Record<string, unknown>;
const MODERATOR = { id: '777777777777777777', username: 'mod' };
const MEMBER = { id: '888888888888888888', username: 'member' };
/** Posts per channel per check in this test. */
const CAP = 3;

/** A feed item: title, link path, date, and a text long enough to be read from the feed itself. */
interface Item {
  title: string;
  path: string;
  date: string;
  text: string;
}

/** Words made from a seed: every burst item tells its own story (no shared titles or word triples). */
function words(seed: string, n: number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'te', 'vo', 'zu', 'pi', 'do', 'gre', 'bli', 'tor', 'wen', 'qua'];
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const h = createHash('sha256').update(`${seed}:${i}`).digest();
    out.push(syllables[h[0]! % 16]! + syllables[h[1]! % 16]! + syllables[h[2]! % 16]!);
  }
  return out;
}

/** `n` sentences of ten made-up words, none shared with another seed's. */
const sentences = (seed: string, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const [first, ...rest] = words(`${seed}-${i}`, 10);
    return `${first!.charAt(0).toUpperCase()}${first!.slice(1)} ${rest.join(' ')}.`;
  }).join(' ');

const story = (title: string, slug: string, date: string, lede: string): Item => ({
  title,
  path: `/${slug}.html`,
  date,
  // Long enough to be read from the feed (no page fetch); the rest of each story is its own.
  text: `${lede} ${sentences(slug, 11)}`,
});

function rss(base: string, title: string, items: readonly Item[]): string {
  const entries = items
    .map(
      (i) =>
        `<item><title>${i.title}</title><link>${base}${i.path}</link><pubDate>${new Date(i.date).toUTCString()}</pubDate><content:encoded><![CDATA[<p>${i.text}</p>]]></content:encoded></item>`,
    )
    .join('\n');
  return `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>${title}</title>${entries}</channel></rss>`;
}


describe.each(SHARED_STORE_BACKENDS)('feed deliveries through the fake Discord, 2 shards on $name', ({ postgres, available }) => {
  if (backendMissing(available)) return;
  const schema = `t_feeds_${randomBytes(5).toString('hex')}`;
  let dir: string;
  let cleanup: () => void;
  let fake: FakeDiscord;
  let news: NewsServer;
  let env: Record<string, string>;
  const logs: string[] = [];
  let shards: InProcessShard[] = [];
  /** The channels: the Gazette's and the Courier's articles in one, the forum for the filtered Tribune. */
  let newsChannel: string;
  let forum: string;
  /** What each feed holds now. */
  const feeds: Record<'gazette' | 'courier' | 'tribune', Item[]> = { gazette: [], courier: [], tribune: [] };
  const feedUrl = (name: keyof typeof feeds) => `${news.url}/${name}.xml`;
  const publish = () => {
    for (const name of Object.keys(feeds) as (keyof typeof feeds)[]) {
      news.set(`/${name}.xml`, rss(news.url, name === 'gazette' ? 'Port Ellis Gazette' : name === 'courier' ? 'Courier Wire' : 'Tribune', feeds[name]), { type: 'application/rss+xml' });
    }
  };

  const startShards = async () => {
    shards = await startInProcessShards(fake, env, dir, logs);
  };
  const stopShards = async () => {
    await stopInProcessShards(shards);
    shards = [];
  };
  /** A feed poll (what the ingest worker runs), then both shards check at once, as their timers would. */
  const pollAndCheck = async () => {
    publish();
    const app = shards[0]!.app;
    await runIngestRequest({ store: app.store, embedder: null, config: app.config, logger: silentLogger }, { kind: 'feeds' });
    await Promise.all(shards.map((s) => s.runtime.deliveries.check()));
    await fake.settle(200);
  };
  /** Runs a command and returns the text of its (private) reply, once it matches `until`. */
  const command = async (name: string, options: Parameters<FakeDiscord['interaction']>[1], as: Parameters<FakeDiscord['interaction']>[2], until = /[\s\S]/) => {
    const since = fake.calls.length;
    const { token } = fake.interaction(name, options, as);
    const edit = await fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), {
      since,
      timeoutMs: 30_000,
      where: (c) => until.test(String((c.body as Body)['content'])),
    });
    return String((edit.body as Body)['content']);
  };
  const moderator = { user: MODERATOR, permissions: FakeDiscord.MANAGE_GUILD };
  const content = (c: RestCall) => String((c.body as Body)['content']);
  const forumContent = (c: RestCall) => String(((c.body as Body)['message'] as Body)['content']);
  const feedsList = () => command('feeds list', {}, moderator);
  /** A command refused before it runs: the text of the interaction's private reply. */
  const commandRefusal = async (name: string, options: Parameters<FakeDiscord['interaction']>[1], as: Parameters<FakeDiscord['interaction']>[2]) => {
    const since = fake.calls.length;
    const { id } = fake.interaction(name, options, as);
    const callback = await fake.waitFor('POST', new RegExp(`^/interactions/${id}/[^/]+/callback$`), { since });
    return String(((callback.body as Body)['data'] as Body)['content']);
  };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-feed-deliveries-'));
    fake = new FakeDiscord();
    await fake.start();
    fake.addGuild({ onShard: [1 - shardOf(fake.guildId, 2), 2] });
    newsChannel = fake.addChannel();
    forum = fake.addForumChannel();
    news = new NewsServer();
    await news.start();
    // What the feeds hold when they are added: never posted.
    feeds.gazette = [story('Port Ellis library reopens after flood repairs', 'library', '2026-12-01T09:00:00Z', 'The central library in Port Ellis reopened on Wednesday after eight months of flood repairs.')];
    feeds.courier = [story('Ferry fares frozen for another year', 'ferry', '2026-12-01T10:00:00Z', 'Ferry fares between Port Ellis and the islands will stay frozen for another year, the operator said.')];
    feeds.tribune = [story('Harbour tunnel survey begins', 'survey', '2026-12-01T11:00:00Z', 'Engineers began a survey of the estuary floor for the planned harbour tunnel on Monday.')];
    publish();
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
    env = {
      DATA_DIR: path.join(dir, 'data'),
      CORPUS_DIR: corpus,
      DELIVERY_CHECK_SECONDS: '0',
      DELIVERY_SETTLE_SECONDS: '0',
      FEED_MAX_POSTS_PER_POLL: String(CAP),
      ALLOW_PRIVATE_FETCH: 'true',
      LOG_LEVEL: 'debug',
      ...(postgres ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
    };
    await startShards();
    await ingestArticles(shards[0]!.app.store, null, readArticles([corpus]));
  }, 60_000);
  afterAll(async () => {
    await stopShards();
    await news.stop();
    await fake.stop();
    if (postgres) await PostgresStore.destroy(TEST_DATABASE_URL, schema);
    cleanup();
  });

  it('adds delivering feeds (moderators only; a filter is checked); what the feeds already hold is not posted', async () => {
    expect(await commandRefusal('feeds add', { url: feedUrl('gazette'), channel: { channel: newsChannel } }, { user: MEMBER })).toBe('Only moderators can use /feeds.');
    expect(await command('feeds add', { url: feedUrl('tribune'), channel: { channel: forum }, filter: '/(a+)+/' }, moderator)).toMatch(/repeats a repeated group/);
    expect(await command('feeds add', { url: feedUrl('tribune'), filter: 'tunnel' }, moderator)).toMatch(/give `channel:` too/);
    expect(await command('feeds add', { url: feedUrl('gazette'), channel: { channel: newsChannel } }, moderator, /^Ingest of .* finished/)).toMatch(/1 added/);
    expect(await command('feeds add', { url: feedUrl('courier'), channel: { channel: newsChannel } }, moderator, /^Ingest of .* finished/)).toMatch(/1 added/);
    expect(await command('feeds add', { url: feedUrl('tribune'), channel: { channel: forum }, filter: 'tunnel "night market"' }, moderator, /^Ingest of .* finished/)).toMatch(/1 added/);
    await pollAndCheck();
    expect(fake.postedIn(newsChannel)).toHaveLength(0);
    expect(fake.forumPosts(forum)).toHaveLength(0);
    expect(fake.takeRuleBreaks()).toEqual([]);
  }, 90_000);

  it('posts a new article once in its channel, however many feeds syndicate it, as Discord shows it', async () => {
    const tunnel = story(
      'Harbour tunnel approved by the Port Ellis council',
      'tunnel',
      '2026-12-02T09:00:00Z',
      'The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary that will cost 410 million pounds.',
    );
    feeds.gazette.push(tunnel);
    // The Courier carries the same item (same link), and the wire copy of it under its own link.
    feeds.courier.push(tunnel, { ...tunnel, title: 'Harbour tunnel approved by Port Ellis council', path: '/wire/tunnel.html', text: `${tunnel.text} (Courier Wire)` });
    await pollAndCheck();
    const posts = fake.postedIn(newsChannel);
    expect(posts).toHaveLength(1);
    const post = content(posts[0]!);
    console.log(`a feed delivery as posted:\n${post}`);
    expect(post).toBe(
      [
        '**Harbour tunnel approved by the Port Ellis council**',
        '-# Port Ellis Gazette · 2026-12-02',
        'The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary that will cost 410 million pounds.',
        `<${news.url}/tunnel.html>`,
      ].join('\n'),
    );
    expect((posts[0]!.body as Body)['allowed_mentions']).toEqual({ parse: [] });
    const list = await feedsList();
    console.log(`/feeds list:\n${list}`);
    expect(list).toContain(`posts to <#${newsChannel}>`);
    expect(list).toMatch(/gazette\.xml>?: last poll [\d-]+ [\d:]+ UTC, read\n {2}posts to <#\d+>\n {2}1 posted, 0 skipped/);
    expect(list).toMatch(/courier\.xml>?: last poll .*\n.*\n {2}0 posted, 2 skipped \(2 already posted in the channel\)/);
    expect(list).toContain('“Harbour tunnel approved by the Port Ellis council”: already posted in the channel\n');
    expect(list).toContain('“Harbour tunnel approved by Port Ellis council”: already posted in the channel (same story as “Harbour tunnel approved by the Port Ellis council”)');
    expect(fake.takeRuleBreaks()).toEqual([]);
  }, 30_000);

  it("holds a feed's filter, and posts to a forum channel one post per article", async () => {
    feeds.tribune.push(
      story('Night market returns to the quay', 'market', '2026-12-03T09:00:00Z', 'The night market returns to the quay on Friday with forty stalls and a brass band.'),
      story('School term dates changed', 'school', '2026-12-03T10:00:00Z', 'Schools in Port Ellis will start the spring term a day later than planned, the council said.'),
      story('Tunnel boring machine named Ada', 'boring', '2026-12-03T11:00:00Z', "Pupils named the harbour tunnel's boring machine Ada after the town's mayor, Ada Quint."),
    );
    await pollAndCheck();
    const posts = fake.forumPosts(forum);
    expect(posts.map((p) => (p.body as Body)['name'])).toEqual(['Night market returns to the quay', 'Tunnel boring machine named Ada']);
    expect(forumContent(posts[1]!)).toMatch(/^\*\*Tunnel boring machine named Ada\*\*\n-# Tribune · 2026-12-03\nPupils named/);
    expect(fake.postedIn(newsChannel)).toHaveLength(1);
    const list = await feedsList();
    expect(list).toContain(`posts to <#${forum}> (one forum post per article) when they match \`tunnel "night market"\``);
    expect(list).toMatch(/2 posted, 1 skipped \(1 did not match the filter\)\n.*“School term dates changed”: did not match the filter/);
    expect(fake.takeRuleBreaks()).toEqual([]);
  }, 30_000);

  it(`posts ${CAP} articles of a burst of 50 and lists the rest in one summary, once across both shards`, async () => {
    const before = fake.postedIn(newsChannel).length;
    for (let i = 0; i < 50; i++) {
      const w = words(`burst-${i}`, 40);
      feeds.gazette.push(story(`${w[0]} ${w[1]} ${w[2]}`, `burst/${i}`, new Date(Date.parse('2026-12-04T00:00:00Z') + i * 60_000).toISOString(), `Burst ${w.slice(3, 20).join(' ')}.`));
    }
    await pollAndCheck();
    const posts = fake.postedIn(newsChannel).slice(before).map(content);
    expect(posts).toHaveLength(CAP + 1);
    // Oldest first, each posted once.
    for (const [i, post] of posts.slice(0, CAP).entries()) expect(post).toContain(`${news.url}/burst/${i}.html`);
    const summary = posts[CAP]!;
    expect(summary).toMatch(new RegExp(`^\\*\\*${50 - CAP} more new articles\\*\\* \\(${CAP} posted on their own this time\\):\\n\\*\\*•\\*\\* `));
    expect(summary.length).toBeLessThanOrEqual(2000);
    const listed = [...summary.matchAll(/\/burst\/(\d+)\.html/g)].map((m) => Number(m[1]));
    const more = Number(/…and (\d+) more\.$/.exec(summary)?.[1] ?? 0);
    expect(listed[0]).toBe(CAP);
    expect(listed.length + more).toBe(50 - CAP);
    // One shard delivered: every post was claimed once, and a second check posts nothing.
    expect(logs.filter((l) => l.includes('feed article posted')).length).toBe(1 + 2 + CAP);
    await Promise.all(shards.map((s) => s.runtime.deliveries.check()));
    await fake.settle(200);
    expect(fake.postedIn(newsChannel).length).toBe(before + CAP + 1);
    expect(await feedsList()).toMatch(new RegExp(`gazette\\.xml>?: .*\\n.*\\n {2}${1 + CAP} posted, ${50 - CAP} skipped \\(${50 - CAP} over the per-check limit`));
    expect(fake.takeRuleBreaks()).toEqual([]);
  }, 60_000);

  it('after a restart, nothing is posted again; a new article is', async () => {
    const before = { channel: fake.postedIn(newsChannel).length, forum: fake.forumPosts(forum).length };
    await stopShards();
    await startShards();
    await pollAndCheck();
    expect(fake.postedIn(newsChannel).length).toBe(before.channel);
    expect(fake.forumPosts(forum).length).toBe(before.forum);
    feeds.courier.push(story('Lighthouse keeper retires after forty years', 'lighthouse', '2026-12-05T09:00:00Z', 'The keeper of the Port Ellis lighthouse retired on Friday after forty years.'));
    await pollAndCheck();
    const posts = fake.postedIn(newsChannel).slice(before.channel).map(content);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatch(/^\*\*Lighthouse keeper retires after forty years\*\*\n-# Courier Wire · 2026-12-05\n/);
  }, 60_000);

  it('a channel the bot can no longer post to is reported in /feeds list and skipped; the others still get theirs', async () => {
    fake.lockChannel(newsChannel);
    const before = fake.forumPosts(forum).length;
    feeds.gazette.push(story('Harbour master warns of winter storms', 'storms', '2026-12-06T09:00:00Z', 'The harbour master warned of winter storms on Saturday.'));
    feeds.tribune.push(story('Tunnel protest draws a crowd', 'protest', '2026-12-06T10:00:00Z', 'Hundreds marched against the harbour tunnel on Saturday.'));
    await pollAndCheck();
    expect(fake.forumPosts(forum).length).toBe(before + 1);
    const list = await feedsList();
    expect(list).toMatch(/gazette\.xml>?: .*\n {2}posts to <#\d+>\n {2}⚠ cannot post there: cannot post in channel \d+: .*Missing Permissions/);
    expect(list).toContain('“Harbour master warns of winter storms”: the channel could not be posted to');
    // The next check goes on (nothing retried, nothing crashed).
    await Promise.all(shards.map((s) => s.runtime.deliveries.check()));
    expect(logs.filter((l) => /delivery check failed/.test(l))).toEqual([]);
  }, 60_000);

  it("a feed's channel and filter change with /feeds add again; a channel posted to again loses its error", async () => {
    // Both feeds of the locked channel say so, until something is posted there again.
    expect(await feedsList()).toMatch(/courier\.xml>?: .*\n {2}posts to <#\d+>\n {2}⚠ cannot post there/);
    fake.unlockChannel(newsChannel);
    expect(await command('feeds add', { url: feedUrl('gazette'), channel: { channel: newsChannel }, filter: 'storm' }, moderator)).toBe(
      `The feed <${feedUrl('gazette')}> now posts its new articles in <#${newsChannel}> when they match \`storm\`.`,
    );
    const before = fake.postedIn(newsChannel).length;
    feeds.gazette.push(
      story('Storm closes the ferry terminal', 'terminal', '2026-12-07T09:00:00Z', 'The ferry terminal closed on Sunday as the first winter storm reached Port Ellis.'),
      story('Choir wins regional contest', 'choir', '2026-12-07T10:00:00Z', 'The Port Ellis choir won the regional contest on Sunday evening.'),
    );
    await pollAndCheck();
    const posts = fake.postedIn(newsChannel).slice(before).map(content);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatch(/^\*\*Storm closes the ferry terminal\*\*\n/);
    const list = await feedsList();
    expect(list).not.toContain('cannot post there');
    expect(list).toMatch(/gazette\.xml>?: .*\n {2}posts to <#\d+> when they match `storm`\n {2}1 posted, 1 skipped \(1 did not match the filter\)/);
    expect(fake.takeRuleBreaks()).toEqual([]);
  }, 60_000);
});

import { ledeSentences, type BriefArticle } from '../answer/brief.js';
import { clip } from '../answer/sentences.js';
import { LEDE_CHARS } from '../answer/topic.js';
import { ErrorCodes, NewsBotError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ArticleMeta } from '../core/types.js';
import { containment, NEAR_DUPLICATE_SHARE, shingles, storyKey } from '../retrieval/dedupe.js';
import type { FeedDeliveryLog, FeedRecord, FeedSkipReason, NewsStore } from '../store/ports.js';
import { parseFeedFilter, type FeedFilter } from './feed-filter.js';

/** Feed items one feed delivers per check (a longer backlog is taken at the next checks). */
const FEED_BATCH = 200;
/** Skipped articles a feed's log keeps with their reason. */
const RECENT_SKIPS = 8;
/** Articles a feed remembers having posted, for telling a syndicated copy of a story from a new one. */
const RECENT_POSTED = 30;
/** Longest lede quoted in a post. */
const LEDE_MAX_CHARS = 300;

/** An article of a feed to post in its channel. */
export interface FeedArticlePost {
  article: ArticleMeta;
  /** One sentence from its lede, or null when it has none worth quoting. */
  lede: string | null;
}

/** The articles over a channel's per-check cap, listed in one message. */
export interface FeedSummaryPost {
  articles: ArticleMeta[];
  /** How many were posted on their own before these. */
  posted: number;
}

/** Where a feed's articles go. */
export interface FeedTarget {
  channelId: string;
  /** A forum channel: each article is a post (thread) of its own. */
  forum: boolean;
}

/** What posts feed deliveries (src/bot/poster.ts); throws DeliveryUnreachableError as DeliveryPoster does. */
export interface FeedPoster {
  postFeedArticle(target: FeedTarget, post: FeedArticlePost): Promise<{ messageIds: string[]; threadId: string | null }>;
  postFeedSummary(target: FeedTarget, post: FeedSummaryPost): Promise<{ messageIds: string[]; threadId: string | null }>;
}

/** What the feed deliveries read and write. */
export type FeedDeliveryStore = Pick<NewsStore, 'deliveries' | 'articleText' | 'getArticle' | 'listFeeds'>;

/** The one sentence of an article a post quotes: the first quotable sentence of its lede, else its start. */
export function feedLede(article: ArticleMeta, text: string): string | null {
  const sentence = ledeSentences({ article, text })[0] ?? text.replace(/\s+/g, ' ').trim();
  return sentence ? clip(sentence, LEDE_MAX_CHARS) : null;
}

/**
 * True when two articles are one story told twice (a syndicated copy): the same headline key, or
 * ledes that mostly repeat each other (word triples, as near-duplicate results are told apart).
 * A follow-up on the same subject (other facts, a title sharing words) is a story of its own.
 */
export function sameStory(a: BriefArticle, b: BriefArticle): boolean {
  return storyKey(a.article) === storyKey(b.article) || containment(shingles(a.text.slice(0, LEDE_CHARS)), shingles(b.text.slice(0, LEDE_CHARS))) > NEAR_DUPLICATE_SHARE;
}

/** One feed's progress in a check. */
interface FeedState {
  feed: FeedRecord;
  filter: FeedFilter | null;
  /** Seqs read this check, and those handled (the cursor moves up to the first one not handled). */
  read: number[];
  handled: Set<number>;
  log: FeedDeliveryLog;
  lastError: string | null;
}

/** An article met by a feed, waiting for its channel's turn. */
interface Pending {
  state: FeedState;
  seq: number;
  article: BriefArticle;
}

/** A passing failure (not an unreachable channel): the check stops and the rest wait for the next one. */
class PassingFailure extends Error {}

/** Records on its feed why an article was not posted on its own. */
function note(state: FeedState, title: string, reason: FeedSkipReason, detail?: string): void {
  const { log } = state;
  log.skipped[reason] = (log.skipped[reason] ?? 0) + 1;
  log.recent = [...log.recent, { at: new Date().toISOString(), title, reason, ...(detail ? { detail } : {}) }].slice(-RECENT_SKIPS);
}

/**
 * Delivers the new articles of every feed that has a channel: per channel, in the order they were
 * published, each article once however many of its feeds carry it (claimed in the store under
 * `feed:<channel>:<article>`), near-duplicates of a story already posted there left out, filters
 * applied, at most `maxPosts` posts per channel per check and the rest listed in one summary. An
 * unreachable channel is recorded on its feeds and its articles skipped; a passing failure leaves
 * the rest for the next check. Each feed's cursor, last error and log are saved in the store.
 */
export async function deliverFeeds(store: FeedDeliveryStore, poster: FeedPoster, maxPosts: number, logger: Logger): Promise<void> {
  const byChannel = new Map<string, FeedRecord[]>();
  for (const feed of await store.listFeeds()) {
    if (!feed.delivery) continue;
    byChannel.set(feed.delivery.channelId, [...(byChannel.get(feed.delivery.channelId) ?? []), feed]);
  }
  for (const [channelId, feeds] of byChannel) {
    await deliverChannel(store, poster, channelId, feeds, maxPosts, logger).catch((error: unknown) =>
      logger.warn('feed deliveries to a channel failed; trying again at the next check', { channel: channelId, error: describeError(error) }),
    );
  }
}

async function deliverChannel(store: FeedDeliveryStore, poster: FeedPoster, channelId: string, feeds: FeedRecord[], maxPosts: number, logger: Logger): Promise<void> {
  const states: FeedState[] = [];
  const pending: Pending[] = [];
  for (const feed of feeds) {
    const delivery = feed.delivery!;
    let filter: FeedFilter | null = null;
    try {
      filter = delivery.filter ? parseFeedFilter(delivery.filter) : null;
    } catch {
      filter = () => false; // checked when set; a filter no longer valid matches nothing
    }
    const state: FeedState = { feed, filter, read: [], handled: new Set(), log: structuredClone(delivery.log), lastError: delivery.lastError };
    states.push(state);
    for (const item of await store.deliveries.feedItems(feed.scope, feed.url, delivery.cursor, FEED_BATCH)) {
      state.read.push(item.seq);
      const article = item.initial ? undefined : await store.getArticle(item.articleId);
      const text = article ? await store.articleText(article.id) : undefined;
      if (article && text !== undefined) pending.push({ state, seq: item.seq, article: { article, text } });
      else {
        if (!item.initial) note(state, item.articleId, 'gone', 'removed from the store before it was posted');
        state.handled.add(item.seq);
      }
    }
  }
  // Oldest first by publication (undated ones by when the feed met them).
  pending.sort((a, b) => (a.article.article.date ?? '\uffff').localeCompare(b.article.article.date ?? '\uffff') || a.seq - b.seq);
  const target: FeedTarget = { channelId, forum: feeds.some((f) => f.delivery!.forum) };
  const posted: BriefArticle[] = [];
  const recent = pending.length > 0 ? await recentlyPosted(store, feeds) : [];
  const overCap: { pending: Pending; claim: string }[] = [];
  let unreachable: string | null = null;
  try {
    for (const p of pending) {
      const { state } = p;
      const { article } = p.article;
      if (unreachable !== null) {
        note(state, article.title, 'unreachable', unreachable);
      } else if (state.filter && !state.filter(article.title, p.article.text)) {
        note(state, article.title, 'filter');
      } else {
        const twin = [...recent, ...posted].find((q) => q.article.id !== article.id && sameStory(q, p.article));
        const claim = `feed:${channelId}:${article.id}`;
        if (twin) note(state, article.title, 'duplicate', `same story as “${clip(twin.article.title, 80)}”`);
        else if (!(await store.deliveries.claimDelivery({ key: claim, channelId, articleIds: [article.id] }))) note(state, article.title, 'duplicate');
        else if (posted.length >= maxPosts) {
          overCap.push({ pending: p, claim });
          posted.push(p.article);
        } else {
          const outcome = await postOne(store, poster, target, claim, p, logger);
          if (outcome === 'posted') {
            posted.push(p.article);
            state.log.delivered++;
            state.log.posted = [...(state.log.posted ?? []), article.id].slice(-RECENT_POSTED);
            state.lastError = null;
          } else {
            unreachable = outcome;
            note(state, article.title, 'unreachable', outcome);
          }
        }
      }
      state.handled.add(p.seq);
    }
    if (overCap.length > 0) await postSummary(store, poster, target, overCap, posted.length - overCap.length, logger);
  } catch (error) {
    if (!(error instanceof PassingFailure)) throw error;
    logger.warn('a feed delivery could not be posted; the rest wait for the next check', { channel: channelId, error: error.message });
  } finally {
    // The channel's state is its feeds': unreachable for all, or posted to again (the error is over).
    const reached = states.some((s) => s.log.delivered > s.feed.delivery!.log.delivered);
    if (unreachable !== null) for (const s of states) s.lastError = unreachable;
    else if (reached) for (const s of states) s.lastError = null;
    for (const s of states) {
      if (s.read.length === 0 && s.lastError === s.feed.delivery!.lastError) continue; // nothing new: no write
      const open = s.read.filter((seq) => !s.handled.has(seq));
      const cursor = open.length > 0 ? Math.min(...open) - 1 : (s.read.at(-1) ?? s.feed.delivery!.cursor);
      await store.deliveries.saveFeedDelivery(s.feed.scope, s.feed.url, { cursor: Math.max(cursor, s.feed.delivery!.cursor), lastError: s.lastError, log: s.log });
    }
  }
}

/** The articles the channel's feeds posted lately (for telling a syndicated copy from a new story). */
async function recentlyPosted(store: FeedDeliveryStore, feeds: FeedRecord[]): Promise<BriefArticle[]> {
  const ids = [...new Set(feeds.flatMap((f) => f.delivery!.log.posted ?? []))];
  const out: BriefArticle[] = [];
  for (const id of ids) {
    const article = await store.getArticle(id);
    const text = article ? await store.articleText(id) : undefined;
    if (article && text !== undefined) out.push({ article, text });
  }
  return out;
}

/** Posts one claimed article: 'posted', or why the channel cannot be posted to. A passing failure gives the claim up and throws. */
async function postOne(store: FeedDeliveryStore, poster: FeedPoster, target: FeedTarget, claim: string, p: Pending, logger: Logger): Promise<'posted' | string> {
  const { article, text } = p.article;
  try {
    const result = await poster.postFeedArticle(target, { article, lede: feedLede(article, text) });
    await store.deliveries.finishDelivery(claim, { ...result, error: null });
    logger.info('feed article posted', { channel: target.channelId, feed: p.state.feed.url, article: article.id });
    return 'posted';
  } catch (error) {
    if (error instanceof NewsBotError && error.code === ErrorCodes.DeliveryUnreachable) {
      logger.warn('cannot post feed articles in a channel; skipped', { channel: target.channelId, reason: error.message });
      await store.deliveries.finishDelivery(claim, { messageIds: [], threadId: null, error: error.message });
      return error.message;
    }
    await store.deliveries.releaseDelivery(claim);
    throw new PassingFailure(describeError(error));
  }
}

/** Lists the articles over the cap in one message (each claimed, so none is posted again later). */
async function postSummary(store: FeedDeliveryStore, poster: FeedPoster, target: FeedTarget, overCap: { pending: Pending; claim: string }[], posted: number, logger: Logger): Promise<void> {
  const key = `feed-summary:${overCap[0]!.claim}`;
  const articles = overCap.map((o) => o.pending.article.article);
  if (!(await store.deliveries.claimDelivery({ key, channelId: target.channelId, articleIds: articles.map((a) => a.id) }))) return;
  try {
    const result = await poster.postFeedSummary(target, { articles, posted });
    await store.deliveries.finishDelivery(key, { ...result, error: null });
    for (const o of overCap) note(o.pending.state, o.pending.article.article.title, 'cap', 'listed in the summary message');
    logger.info('feed summary posted', { channel: target.channelId, articles: articles.length });
  } catch (error) {
    const reason = error instanceof NewsBotError && error.code === ErrorCodes.DeliveryUnreachable ? error.message : null;
    if (reason !== null) {
      await store.deliveries.finishDelivery(key, { messageIds: [], threadId: null, error: reason });
      for (const o of overCap) note(o.pending.state, o.pending.article.article.title, 'unreachable', reason);
      for (const o of overCap) o.pending.state.lastError = reason;
      return;
    }
    // Nothing was listed: the claims are given up and the articles wait for the next check.
    await store.deliveries.releaseDelivery(key);
    for (const o of overCap) {
      await store.deliveries.releaseDelivery(o.claim);
      o.pending.state.handled.delete(o.pending.seq);
    }
    throw new PassingFailure(describeError(error));
  }
}

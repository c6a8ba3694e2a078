import { randomBytes } from 'node:crypto';
import { extractiveBrief, modelBrief, type Brief, type BriefArticle } from '../answer/brief.js';
import type { ChatModel } from '../answer/chat-model.js';
import { isAbout, topicKeys } from '../answer/topic.js';
import { articleFacts, novelty, remember } from '../answer/watch-news.js';
import type { DeliverySettings } from '../config/defaults.js';
import { localTime, type Clock } from '../core/clock.js';
import { coalescing } from '../core/coalesce.js';
import { ErrorCodes, NewsBotError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { contentTerms } from '../core/text.js';
import type { Answer } from '../core/types.js';
import { visibleScopes, type BriefSchedule, type IngestedArticle, type NewsStore, type Watch } from '../store/ports.js';
import { deliverFeeds, type FeedDeliveryStore, type FeedPoster } from './feed-deliveries.js';
import { leaseHolderName, type IngestLease } from './ingest/lease.js';

/** Held by the one process (shard) that posts scheduled briefs and watch alerts for the deployment. */
export const DELIVERY_LEASE = 'deliveries';
/** A brief's first period when none came before: the last day. */
const FIRST_PERIOD_MS = 24 * 3_600_000;
/** Articles compared with when a watch is added, so that rewrites of what is already out do not alert. */
const SEED_ARTICLES = 5;
/** Newest articles looked through for those seeds. */
const SEED_SCAN = 300;
/** Articles a watch reads per check (the cursor takes the rest at the next check). */
const WATCH_BATCH = 100;

/** Where a delivery goes: a channel, or a member by direct message. */
export type DeliveryTarget = { channelId: string } | { userId: string };

/** A brief to post. */
export interface BriefPost {
  guildId: string;
  brief: Brief;
  /** When the brief is for, and the time zone its day is told in. */
  at: number;
  timeZone: string;
}

/** A watch alert to post. */
export interface AlertPost {
  watchId: number;
  topic: string;
  /** The new sentences, each with its [n], and the cited article. */
  answer: Answer;
}

/** What a post left in Discord. */
export interface Posted {
  messageIds: string[];
  threadId: string | null;
}

/**
 * Posts what the service delivers (src/bot/poster.ts on Discord). Throws DeliveryUnreachableError
 * when the target cannot be posted to (the channel is gone, the bot may not post there, the
 * member's DMs are closed); other errors are passing ones.
 */
export interface DeliveryPoster extends FeedPoster {
  postBrief(channelId: string, post: BriefPost): Promise<Posted>;
  postAlert(target: DeliveryTarget, post: AlertPost): Promise<Posted>;
}

/** What a brief delivery did. */
export type BriefOutcome =
  | { kind: 'posted'; channelId: string; stories: number; articles: number; posted: Posted }
  | { kind: 'unreachable'; channelId: string; reason: string }
  | { kind: 'taken' };

/** What the service is built from. */
export interface DeliveryServiceOptions {
  store: Pick<NewsStore, 'deliveries' | 'articleText' | 'termIdf' | 'articleScope'> & FeedDeliveryStore;
  poster: DeliveryPoster;
  settings: DeliverySettings;
  clock: Clock;
  /** The deployment's lease (null: this process delivers alone). */
  lease: IngestLease | null;
  /** A language model writes the briefs when given (checked, with the extractive brief as fallback). */
  model?: { model: ChatModel; timeoutMs: number } | null;
  logger: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Pages of `limit` read to find a server's articles among other servers' (newest first: each read ten times deeper). */
const VISIBLE_SCAN_FACTOR = 10;
/** Most rows one newest-first read goes through. */
const MAX_VISIBLE_SCAN = 5_000;

/**
 * The articles a server's briefs and watches read: those written in a period, by ingest time,
 * that the server sees (global and its own; a direct-message watch: global only). The one place
 * that chooses them. Other servers' articles are read past, page after page, so a busy server
 * never hides the rest: `lastRead` is the last row read, visible or not, for a cursor to move past.
 */
export async function deliverableArticles(
  store: Pick<NewsStore, 'deliveries' | 'articleScope'>,
  guildId: string | null,
  query: { after?: { at: string; id: string } | null; until?: string; limit: number; newestFirst?: boolean },
): Promise<{ rows: IngestedArticle[]; lastRead: { at: string; id: string } | null }> {
  const visible = new Set(visibleScopes(guildId));
  const keep = async (rows: IngestedArticle[]) => {
    const scopes = await Promise.all(rows.map((r) => store.articleScope(r.article.id)));
    return rows.filter((_, i) => scopes[i] !== undefined && visible.has(scopes[i]!));
  };
  if (query.newestFirst) {
    // Deeper reads (ten times as many rows each, up to MAX_VISIBLE_SCAN) until enough are visible.
    for (let n = query.limit * VISIBLE_SCAN_FACTOR; ; n *= VISIBLE_SCAN_FACTOR) {
      const rows = await store.deliveries.articlesIngested({ ...query, limit: Math.min(n, MAX_VISIBLE_SCAN) });
      const kept = await keep(rows);
      const last = rows.at(-1);
      if (kept.length >= query.limit || rows.length < Math.min(n, MAX_VISIBLE_SCAN) || n >= MAX_VISIBLE_SCAN) {
        return { rows: kept.slice(0, query.limit), lastRead: last ? { at: last.ingestedAt, id: last.article.id } : null };
      }
    }
  }
  const out: IngestedArticle[] = [];
  let after = query.after ?? null;
  for (let page = 0; page < VISIBLE_SCAN_FACTOR && out.length < query.limit; page++) {
    const rows = await store.deliveries.articlesIngested({ ...query, after });
    const last = rows.at(-1);
    if (!last) break;
    for (const row of await keep(rows)) if (out.length < query.limit) out.push(row);
    // A cut page ends at the last row kept, so nothing after it is skipped by the cursor.
    after = out.length >= query.limit ? { at: out.at(-1)!.ingestedAt, id: out.at(-1)!.article.id } : { at: last.ingestedAt, id: last.article.id };
    if (rows.length < query.limit) break;
  }
  return { rows: out, lastRead: after };
}

/** True when a brief is due now: its local time has come today and today's brief was not posted. */
export function briefDue(schedule: BriefSchedule, now: number): string | null {
  const local = localTime(now, schedule.timeZone);
  return local.time >= schedule.time && schedule.lastBriefDay !== local.day ? local.day : null;
}

/**
 * Briefs and watches: posts each server's daily brief at its local time and alerts watches when
 * a new article adds something to their story. Everything it knows lives in the store (schedules,
 * watch cursors and what they delivered, a claim per delivery), so shards and restarts agree; the
 * scheduled work runs in the one process holding the delivery lease, and each delivery is claimed
 * in the store before it is posted, so nothing is posted twice.
 */
export class DeliveryService {
  private readonly store: DeliveryServiceOptions['store'];
  private readonly poster: DeliveryPoster;
  private readonly settings: DeliverySettings;
  private readonly clock: Clock;
  private readonly lease: IngestLease | null;
  private readonly model: DeliveryServiceOptions['model'];
  private readonly logger: Logger;
  private readonly holder = leaseHolderName(`deliveries-${randomBytes(4).toString('hex')}`);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: DeliveryServiceOptions) {
    this.store = options.store;
    this.poster = options.poster;
    this.settings = options.settings;
    this.clock = options.clock;
    this.lease = options.lease;
    this.model = options.model ?? null;
    this.logger = options.logger;
  }

  /** Checks every `checkIntervalMs` (none when 0). */
  start(): void {
    if (this.settings.checkIntervalMs <= 0) return;
    this.timer = setInterval(() => void this.check(), this.settings.checkIntervalMs);
    this.timer.unref();
  }

  /**
   * One check, now (also after each ingest): due briefs, watches, then feed deliveries, when this process holds
   * (or takes) the delivery lease. A check asked for while one runs runs once after it.
   */
  readonly check: () => Promise<void> = coalescing(() => this.round());

  /** Stops checking and gives the lease up (after the check in progress). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    await this.check().catch(() => {}); // waits for the check in progress; no other runs
    await this.lease?.release(DELIVERY_LEASE, this.holder).catch(() => {});
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      const ttl = Math.max(60_000, 3 * this.settings.checkIntervalMs);
      if (this.lease && !(await this.lease.acquire(DELIVERY_LEASE, this.holder, ttl))) return;
      const now = this.clock.now();
      // Shutdown ends a round between two deliveries (what is left is delivered after the restart).
      for (const schedule of await this.store.deliveries.briefSchedules()) {
        if (this.stopped) return;
        const day = briefDue(schedule, now);
        if (day) await this.scheduledBrief(schedule, day, now);
      }
      for (const watch of await this.store.deliveries.watches()) {
        if (this.stopped) return;
        await this.checkWatch(watch, now).catch((error: unknown) => this.logger.warn('a watch could not be checked; trying again at the next check', { watch: watch.id, error: describeError(error) }));
      }
      if (!this.stopped) await deliverFeeds(this.store, this.poster, this.settings.feedMaxPostsPerPoll, this.logger);
    } catch (error) {
      this.logger.warn('delivery check failed; trying again at the next one', { error: describeError(error) });
    }
  }

  private async scheduledBrief(schedule: BriefSchedule, day: string, now: number): Promise<void> {
    try {
      const outcome = await this.deliverBrief(schedule, schedule.channelId, `brief:${schedule.guildId}:${day}`, now);
      if (outcome.kind === 'taken') this.logger.info('brief already posted by another process', { guild: schedule.guildId, day });
      await this.store.deliveries.saveBriefState(schedule.guildId, { lastBriefDay: day, ...(outcome.kind === 'taken' ? {} : this.afterBrief(outcome, now)) });
    } catch (error) {
      this.logger.warn('the brief could not be posted; trying again at the next check', { guild: schedule.guildId, error: describeError(error) });
    }
  }

  /** The schedule's fields after a brief: the period it covered, and the channel's problem if it could not be posted. */
  private afterBrief(outcome: BriefOutcome, now: number): Partial<Pick<BriefSchedule, 'lastBriefAt' | 'lastError'>> {
    if (outcome.kind === 'unreachable') return { lastError: outcome.reason };
    return { lastBriefAt: iso(now - this.settings.settleMs), lastError: null };
  }

  /**
   * Composes and posts a brief of what is new since the last one (the last day for the first),
   * claimed under `key` first. An unreachable channel is reported (logged, and in the outcome).
   */
  private async deliverBrief(schedule: Pick<BriefSchedule, 'guildId' | 'timeZone' | 'topics' | 'lastBriefAt'>, channelId: string, key: string, now: number): Promise<BriefOutcome> {
    const brief = await this.composeBrief(schedule, now);
    if (!(await this.store.deliveries.claimDelivery({ key, channelId, articleIds: brief.answer.citations.map((c) => c.articleId) }))) return { kind: 'taken' };
    try {
      const posted = await this.poster.postBrief(channelId, { guildId: schedule.guildId, brief, at: now, timeZone: schedule.timeZone });
      await this.store.deliveries.finishDelivery(key, { ...posted, error: null });
      this.logger.info('brief posted', { guild: schedule.guildId, channel: channelId, stories: brief.stories.length, articles: brief.articles });
      return { kind: 'posted', channelId, stories: brief.stories.length, articles: brief.articles, posted };
    } catch (error) {
      if (error instanceof NewsBotError && error.code === ErrorCodes.DeliveryUnreachable) {
        this.logger.warn('cannot post the brief; skipped', { guild: schedule.guildId, channel: channelId, reason: error.message });
        await this.store.deliveries.finishDelivery(key, { messageIds: [], threadId: null, error: error.message });
        return { kind: 'unreachable', channelId, reason: error.message };
      }
      await this.store.deliveries.releaseDelivery(key);
      throw error;
    }
  }

  /** The brief of a server's period: its articles (about its topics, when it has some), grouped and quoted, or written by the model. */
  async composeBrief(schedule: Pick<BriefSchedule, 'guildId' | 'topics' | 'lastBriefAt'>, now: number): Promise<Brief> {
    const until = now - this.settings.settleMs;
    const since = schedule.lastBriefAt ?? iso(until - FIRST_PERIOD_MS);
    const { rows } = await deliverableArticles(this.store, schedule.guildId, { after: { at: since, id: '' }, until: iso(until), limit: this.settings.briefMaxArticles, newestFirst: true });
    const keys = schedule.topics ? await Promise.all(schedule.topics.map(async (t) => topicKeys(t, await this.store.termIdf(contentTerms(t))))) : null;
    const articles: BriefArticle[] = [];
    for (const { article } of rows.reverse()) {
      const text = await this.store.articleText(article.id);
      if (text === undefined) continue;
      if (keys && !keys.some((k) => isAbout(article.title, text, k))) continue;
      articles.push({ article, text });
    }
    const extractive = extractiveBrief(articles, this.settings.briefMaxItems);
    if (!this.model) return extractive;
    return (await modelBrief(this.model.model, extractive, { timeoutMs: this.model.timeoutMs, logger: this.logger })) ?? extractive;
  }

  /** Sets (or changes) a server's brief; one whose time has passed today starts tomorrow. */
  async setBrief(input: Pick<BriefSchedule, 'guildId' | 'channelId' | 'time' | 'timeZone' | 'topics'>): Promise<BriefSchedule> {
    const existing = await this.store.deliveries.briefSchedule(input.guildId);
    const local = localTime(this.clock.now(), input.timeZone);
    const schedule: BriefSchedule = {
      ...input,
      lastBriefAt: existing?.lastBriefAt ?? null,
      lastBriefDay: local.time >= input.time ? local.day : (existing?.lastBriefDay ?? null),
      lastError: null,
    };
    await this.store.deliveries.putBriefSchedule(schedule);
    return schedule;
  }

  brief(guildId: string): Promise<BriefSchedule | null> {
    return this.store.deliveries.briefSchedule(guildId);
  }

  removeBrief(guildId: string): Promise<boolean> {
    return this.store.deliveries.removeBriefSchedule(guildId);
  }

  /**
   * Posts a brief at once (/brief now): in the server's brief channel, else in `channelId`; the
   * schedule's next brief covers what comes after it. `requestId` makes it one delivery however
   * often it is retried.
   */
  async briefNow(guildId: string, channelId: string, requestId: string): Promise<BriefOutcome> {
    const schedule = await this.store.deliveries.briefSchedule(guildId);
    const now = this.clock.now();
    const target = schedule?.channelId ?? channelId;
    const outcome = await this.deliverBrief(schedule ?? { guildId, timeZone: 'UTC', topics: null, lastBriefAt: null }, target, `brief:${guildId}:now:${requestId}`, now);
    if (schedule && outcome.kind !== 'taken') await this.store.deliveries.saveBriefState(guildId, this.afterBrief(outcome, now));
    return outcome;
  }

  /**
   * Adds a watch: it starts after the newest article, knowing the facts of the latest few articles
   * about its topic (so a rewrite of what is already out does not alert). Null when the member
   * has as many watches as allowed.
   */
  async addWatch(input: Pick<Watch, 'guildId' | 'channelId' | 'userId' | 'topic'>): Promise<Watch | null> {
    const own = (await this.store.deliveries.watches()).filter((w) => w.userId === input.userId);
    if (own.length >= this.settings.maxWatchesPerUser) return null;
    const { rows: recent } = await deliverableArticles(this.store, input.guildId, { limit: SEED_SCAN, newestFirst: true });
    const keys = topicKeys(input.topic, await this.store.termIdf(contentTerms(input.topic)));
    let known: Watch['known'] = { facts: [], articles: [] };
    let seeds = 0;
    for (const { article } of recent) {
      if (seeds >= SEED_ARTICLES) break;
      const text = await this.store.articleText(article.id);
      if (text === undefined || !isAbout(article.title, text, keys)) continue;
      known = remember(known, article.id, articleFacts(article.title, text));
      seeds++;
    }
    const newest = recent[0];
    return this.store.deliveries.addWatch({ ...input, cursor: newest ? { at: newest.ingestedAt, id: newest.article.id } : null, known });
  }

  /** A member's watches in a server (with their direct-message ones), or in a DM. */
  watches(guildId: string | null, userId: string): Promise<Watch[]> {
    return this.store.deliveries.watches({ guildId, userId });
  }

  removeWatch(id: number): Promise<boolean> {
    return this.store.deliveries.removeWatch(id);
  }

  /**
   * Reads the articles written since a watch's cursor: each one about its topic that adds a fact
   * (and is no near-duplicate of what it delivered) is alerted, up to maxAlertsPerCheck; every one
   * about it is remembered. A passing failure to post leaves the cursor before that article.
   */
  private async checkWatch(watch: Watch, now: number): Promise<void> {
    const until = iso(now - this.settings.settleMs);
    const { rows, lastRead } = await deliverableArticles(this.store, watch.guildId, { after: watch.cursor, until, limit: WATCH_BATCH });
    if (rows.length === 0) {
      // Only other servers' articles came: move past them.
      if (lastRead && (lastRead.at !== watch.cursor?.at || lastRead.id !== watch.cursor?.id)) {
        await this.store.deliveries.saveWatchState(watch.id, { cursor: lastRead, known: watch.known, lastError: watch.lastError });
      }
      return;
    }
    const keys = topicKeys(watch.topic, await this.store.termIdf(contentTerms(watch.topic)));
    let { cursor, known, lastError } = watch;
    let alerts = 0;
    for (const { article, ingestedAt } of rows) {
      const text = await this.store.articleText(article.id);
      if (text !== undefined && isAbout(article.title, text, keys)) {
        const knownTexts = (await Promise.all(known.articles.filter((id) => id !== article.id).map((id) => this.store.articleText(id)))).filter((t): t is string => t !== undefined);
        const news = alerts < this.settings.maxAlertsPerCheck ? novelty({ title: article.title, text }, new Set(known.facts), knownTexts) : null;
        if (news) {
          const answer: Answer = {
            text: news.sentences.map((s) => `• ${s} [1]`).join('\n'),
            mode: 'extractive',
            citations: [{ n: 1, articleId: article.id, title: article.title, date: article.date, url: article.url, source: article.source, passage: news.sentences.join(' ') }],
            notes: [],
          };
          try {
            const result = await this.alert(watch, `watch:${watch.id}:${article.id}:${article.contentHash}`, answer);
            if (result !== 'taken') alerts++;
            if (result === 'posted') lastError = null;
            else if (result !== 'taken') lastError = result;
          } catch (error) {
            this.logger.warn('a watch alert could not be posted; trying again at the next check', { watch: watch.id, error: describeError(error) });
            break;
          }
        }
        known = remember(known, article.id, articleFacts(article.title, text));
      }
      cursor = { at: ingestedAt, id: article.id };
    }
    await this.store.deliveries.saveWatchState(watch.id, { cursor, known, lastError });
  }

  /** Claims and posts one alert: 'posted', 'taken' (claimed before), or the reason the target is unreachable. */
  private async alert(watch: Watch, key: string, answer: Answer): Promise<'posted' | 'taken' | string> {
    const target: DeliveryTarget = watch.channelId ? { channelId: watch.channelId } : { userId: watch.userId };
    if (!(await this.store.deliveries.claimDelivery({ key, channelId: watch.channelId, articleIds: answer.citations.map((c) => c.articleId) }))) return 'taken';
    try {
      const posted = await this.poster.postAlert(target, { watchId: watch.id, topic: watch.topic, answer });
      await this.store.deliveries.finishDelivery(key, { ...posted, error: null });
      this.logger.info('watch alert posted', { watch: watch.id, article: answer.citations[0]?.articleId });
      return 'posted';
    } catch (error) {
      if (error instanceof NewsBotError && error.code === ErrorCodes.DeliveryUnreachable) {
        this.logger.warn('cannot post a watch alert; skipped', { watch: watch.id, reason: error.message });
        await this.store.deliveries.finishDelivery(key, { messageIds: [], threadId: null, error: error.message });
        return error.message;
      }
      await this.store.deliveries.releaseDelivery(key);
      throw error;
    }
  }
}

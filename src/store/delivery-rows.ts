import type { BriefSchedule, DeliveryRecord, FeedDeliveryLog, FeedRecord, Watch } from './ports.js';

/*
 * Briefs, watches and deliveries as both SQL stores keep them: snake_case columns, lists as JSON
 * text. One mapping, so that the two backends read them back the same way.
 */

/** A brief schedule row. */
export interface BriefRow {
  guild_id: string;
  channel_id: string;
  time: string;
  time_zone: string;
  topics: string | null;
  last_brief_at: string | null;
  last_brief_day: string | null;
  last_error: string | null;
}

/** A watch row. */
export interface WatchRow {
  id: number | string;
  guild_id: string | null;
  channel_id: string | null;
  user_id: string;
  topic: string;
  cursor_at: string | null;
  cursor_id: string | null;
  known: string;
  last_error: string | null;
  created_at: string;
}

/** A delivery row. */
export interface DeliveryRow {
  key: string;
  channel_id: string | null;
  message_ids: string;
  thread_id: string | null;
  article_ids: string;
  error: string | null;
}

/** The columns of a brief schedule, in the order `briefValues` gives them. */
export const BRIEF_COLUMNS = ['guild_id', 'channel_id', 'time', 'time_zone', 'topics', 'last_brief_at', 'last_brief_day', 'last_error'] as const;

/** A schedule's column values, in BRIEF_COLUMNS order. */
export function briefValues(s: BriefSchedule): (string | null)[] {
  return [s.guildId, s.channelId, s.time, s.timeZone, s.topics ? JSON.stringify(s.topics) : null, s.lastBriefAt, s.lastBriefDay, s.lastError];
}

export function toBriefSchedule(r: BriefRow): BriefSchedule {
  return {
    guildId: r.guild_id,
    channelId: r.channel_id,
    time: r.time,
    timeZone: r.time_zone,
    topics: r.topics ? (JSON.parse(r.topics) as string[]) : null,
    lastBriefAt: r.last_brief_at,
    lastBriefDay: r.last_brief_day,
    lastError: r.last_error,
  };
}

export function toWatch(r: WatchRow): Watch {
  return {
    id: Number(r.id),
    guildId: r.guild_id,
    channelId: r.channel_id,
    userId: r.user_id,
    topic: r.topic,
    cursor: r.cursor_at !== null && r.cursor_id !== null ? { at: r.cursor_at, id: r.cursor_id } : null,
    known: JSON.parse(r.known) as Watch['known'],
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}

export function toDelivery(r: DeliveryRow): DeliveryRecord {
  return {
    key: r.key,
    channelId: r.channel_id,
    messageIds: JSON.parse(r.message_ids) as string[],
    threadId: r.thread_id,
    articleIds: JSON.parse(r.article_ids) as string[],
    error: r.error,
  };
}

/** The columns and values of a brief's state to save (only those given). */
export function briefStateColumns(state: { lastBriefAt?: string | null; lastBriefDay?: string | null; lastError?: string | null }): [string, string | null][] {
  const out: [string, string | null][] = [];
  if (state.lastBriefAt !== undefined) out.push(['last_brief_at', state.lastBriefAt]);
  if (state.lastBriefDay !== undefined) out.push(['last_brief_day', state.lastBriefDay]);
  if (state.lastError !== undefined) out.push(['last_error', state.lastError]);
  return out;
}

/** A stored feed row (times as text or, from PostgreSQL, as dates). */
export interface FeedRow {
  url: string;
  scope: string;
  added_by: string;
  added_at: string | Date;
  last_polled_at: string | Date | null;
  last_error: string | null;
  channel_id: string | null;
  channel_forum: number | boolean | null;
  filter: string | null;
  delivered_seq: number | string | null;
  delivery_error: string | null;
  delivery_log: string | null;
}

/** The columns listFeeds reads. */
export const FEED_COLUMNS = 'url, scope, added_by, added_at, last_polled_at, last_error, channel_id, channel_forum, filter, delivered_seq, delivery_error, delivery_log';

/** A delivering feed's log before anything was delivered. */
export const EMPTY_FEED_LOG: FeedDeliveryLog = { delivered: 0, skipped: {}, recent: [] };

const isoTime = (t: string | Date) => (typeof t === 'string' ? t : t.toISOString());

/** A stored feed as the store gives it: its delivery null when it posts nowhere. */
export function toFeed(r: FeedRow): FeedRecord {
  return {
    url: r.url,
    scope: r.scope,
    addedBy: r.added_by,
    addedAt: isoTime(r.added_at),
    lastPolledAt: r.last_polled_at === null ? null : isoTime(r.last_polled_at),
    lastError: r.last_error,
    delivery:
      r.channel_id === null
        ? null
        : {
            channelId: r.channel_id,
            forum: Boolean(r.channel_forum),
            filter: r.filter,
            cursor: Number(r.delivered_seq ?? 0),
            lastError: r.delivery_error,
            log: r.delivery_log ? (JSON.parse(r.delivery_log) as FeedDeliveryLog) : EMPTY_FEED_LOG,
          },
  };
}

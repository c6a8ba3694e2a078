import type pg from 'pg';
import { toMeta, type ArticleRow } from '../article-rows.js';
import { BRIEF_COLUMNS, EMPTY_FEED_LOG, briefStateColumns, briefValues, toBriefSchedule, toDelivery, toWatch, type BriefRow, type DeliveryRow, type WatchRow } from '../delivery-rows.js';
import type { DeliveryStore, IngestedArticle } from '../ports.js';

/** Runs one statement; the store turns its failures into clear errors. */
type Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;

/** An ingest time as text with every microsecond PostgreSQL keeps, so that a cursor compares exactly. */
const INGESTED_AT = `to_char(a.ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ingested_at`;

/** Briefs, watches and deliveries in the PostgreSQL store (tables in pg-schema.ts), schema `s` (quoted). */
export function pgDeliveries(s: string, query: Query): DeliveryStore {
  const placeholders = BRIEF_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  const updates = BRIEF_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ');
  return {
    async putBriefSchedule(schedule) {
      await query(`INSERT INTO ${s}.brief_schedules (${BRIEF_COLUMNS.join(', ')}) VALUES (${placeholders}) ON CONFLICT (guild_id) DO UPDATE SET ${updates}`, briefValues(schedule));
    },
    async saveBriefState(guildId, state) {
      const columns = briefStateColumns(state);
      if (columns.length === 0) return;
      await query(`UPDATE ${s}.brief_schedules SET ${columns.map(([c], i) => `${c} = $${i + 1}`).join(', ')} WHERE guild_id = $${columns.length + 1}`, [...columns.map(([, v]) => v), guildId]);
    },
    async briefSchedule(guildId) {
      const [row] = await query<BriefRow>(`SELECT * FROM ${s}.brief_schedules WHERE guild_id = $1`, [guildId]);
      return row ? toBriefSchedule(row) : null;
    },
    async briefSchedules() {
      return (await query<BriefRow>(`SELECT * FROM ${s}.brief_schedules ORDER BY guild_id`)).map(toBriefSchedule);
    },
    async removeBriefSchedule(guildId) {
      return (await query(`DELETE FROM ${s}.brief_schedules WHERE guild_id = $1 RETURNING guild_id`, [guildId])).length > 0;
    },
    async addWatch(w) {
      const [row] = await query<WatchRow>(
        `INSERT INTO ${s}.watches (guild_id, channel_id, user_id, topic, cursor_at, cursor_id, known, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [w.guildId, w.channelId, w.userId, w.topic, w.cursor?.at ?? null, w.cursor?.id ?? null, JSON.stringify(w.known), new Date().toISOString()],
      );
      return toWatch(row!);
    },
    async watches(filter = {}) {
      if (filter.guildId === undefined) return (await query<WatchRow>(`SELECT * FROM ${s}.watches ORDER BY id`)).map(toWatch);
      return (
        await query<WatchRow>(`SELECT * FROM ${s}.watches WHERE guild_id IS NOT DISTINCT FROM $1 OR (guild_id IS NULL AND user_id = $2) ORDER BY id`, [filter.guildId, filter.userId ?? null])
      ).map(toWatch);
    },
    async saveWatchState(id, state) {
      await query(`UPDATE ${s}.watches SET cursor_at = $1, cursor_id = $2, known = $3, last_error = $4 WHERE id = $5`, [
        state.cursor?.at ?? null,
        state.cursor?.id ?? null,
        JSON.stringify(state.known),
        state.lastError,
        id,
      ]);
    },
    async removeWatch(id) {
      return (await query(`DELETE FROM ${s}.watches WHERE id = $1 RETURNING id`, [id])).length > 0;
    },
    async claimDelivery(record) {
      const rows = await query(`INSERT INTO ${s}.deliveries (key, channel_id, article_ids) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key`, [
        record.key,
        record.channelId,
        JSON.stringify(record.articleIds),
      ]);
      return rows.length === 1;
    },
    async finishDelivery(key, outcome) {
      await query(`UPDATE ${s}.deliveries SET message_ids = $1, thread_id = $2, error = $3, finished_at = now() WHERE key = $4`, [JSON.stringify(outcome.messageIds), outcome.threadId, outcome.error, key]);
    },
    async releaseDelivery(key) {
      await query(`DELETE FROM ${s}.deliveries WHERE key = $1`, [key]);
    },
    async delivery(key) {
      const [row] = await query<DeliveryRow>(`SELECT key, channel_id, message_ids, thread_id, article_ids, error FROM ${s}.deliveries WHERE key = $1`, [key]);
      return row ? toDelivery(row) : null;
    },
    async articlesIngested({ after = null, until, limit, newestFirst = false }) {
      const order = newestFirst ? 'DESC' : 'ASC';
      const rows = await query<ArticleRow & { ingested_at: string }>(
        `SELECT a.id, a.title, a.date, a.source, a.url, a.author, a.origin, a.content_hash, ${INGESTED_AT} FROM ${s}.articles a
         WHERE ($1::timestamptz IS NULL OR (a.ingested_at, a.id) > ($1::timestamptz, $2::text)) AND ($3::timestamptz IS NULL OR a.ingested_at <= $3::timestamptz)
         ORDER BY a.ingested_at ${order}, a.id ${order} LIMIT $4`,
        [after?.at ?? null, after?.id ?? null, until ?? null, limit],
      );
      return rows.map((r): IngestedArticle => ({ article: toMeta(r), ingestedAt: r.ingested_at }));
    },
    async feedItems(scope, url, afterSeq, limit) {
      const rows = await query<{ seq: string; article_id: string; initial: boolean }>(
        `SELECT seq, article_id, initial FROM ${s}.feed_items WHERE scope = $1 AND url = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
        [scope, url, afterSeq, limit],
      );
      return rows.map((r) => ({ seq: Number(r.seq), articleId: r.article_id, initial: r.initial }));
    },
    async saveFeedDelivery(scope, url, state) {
      await query(`UPDATE ${s}.feeds SET delivered_seq = $3, delivery_error = $4, delivery_log = $5 WHERE scope = $1 AND url = $2 AND channel_id IS NOT NULL`, [
        scope,
        url,
        state.cursor,
        state.lastError,
        JSON.stringify(state.log ?? EMPTY_FEED_LOG),
      ]);
    },
  };
}

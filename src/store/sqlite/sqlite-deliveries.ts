import type Database from 'better-sqlite3';
import { toMeta, type ArticleRow } from '../article-rows.js';
import { BRIEF_COLUMNS, EMPTY_FEED_LOG, briefStateColumns, briefValues, toBriefSchedule, toDelivery, toWatch, type BriefRow, type DeliveryRow, type WatchRow } from '../delivery-rows.js';
import type { DeliveryStore, IngestedArticle, Watch } from '../ports.js';

/**
 * Briefs, watches and deliveries in the SQLite store (tables in sqlite-schema.ts). `write` runs a
 * write the store's way (its errors made clear).
 */
export function sqliteDeliveries(db: Database.Database, write: <T>(fn: () => T) => T): DeliveryStore {
  const placeholders = BRIEF_COLUMNS.map(() => '?').join(', ');
  const updates = BRIEF_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ');
  return {
    async putBriefSchedule(schedule) {
      write(() => db.prepare(`INSERT INTO brief_schedules (${BRIEF_COLUMNS.join(', ')}) VALUES (${placeholders}) ON CONFLICT (guild_id) DO UPDATE SET ${updates}`).run(...briefValues(schedule)));
    },
    async saveBriefState(guildId, state) {
      const columns = briefStateColumns(state);
      if (columns.length === 0) return;
      write(() => db.prepare(`UPDATE brief_schedules SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE guild_id = ?`).run(...columns.map(([, v]) => v), guildId));
    },
    async briefSchedule(guildId) {
      const row = db.prepare<[string], BriefRow>('SELECT * FROM brief_schedules WHERE guild_id = ?').get(guildId);
      return row ? toBriefSchedule(row) : null;
    },
    async briefSchedules() {
      return db.prepare<[], BriefRow>('SELECT * FROM brief_schedules ORDER BY guild_id').all().map(toBriefSchedule);
    },
    async removeBriefSchedule(guildId) {
      return write(() => db.prepare<[string]>('DELETE FROM brief_schedules WHERE guild_id = ?').run(guildId)).changes > 0;
    },
    async addWatch(w) {
      const createdAt = new Date().toISOString();
      const result = write(() =>
        db
          .prepare('INSERT INTO watches (guild_id, channel_id, user_id, topic, cursor_at, cursor_id, known, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(w.guildId, w.channelId, w.userId, w.topic, w.cursor?.at ?? null, w.cursor?.id ?? null, JSON.stringify(w.known), createdAt),
      );
      return { ...w, id: Number(result.lastInsertRowid), createdAt, lastError: null } satisfies Watch;
    },
    async watches(filter = {}) {
      if (filter.guildId === undefined) return db.prepare<[], WatchRow>('SELECT * FROM watches ORDER BY id').all().map(toWatch);
      return db
        .prepare<[string | null, string | null], WatchRow>('SELECT * FROM watches WHERE guild_id IS ? OR (guild_id IS NULL AND user_id = ?) ORDER BY id')
        .all(filter.guildId, filter.userId ?? null)
        .map(toWatch);
    },
    async saveWatchState(id, state) {
      write(() =>
        db
          .prepare('UPDATE watches SET cursor_at = ?, cursor_id = ?, known = ?, last_error = ? WHERE id = ?')
          .run(state.cursor?.at ?? null, state.cursor?.id ?? null, JSON.stringify(state.known), state.lastError, id),
      );
    },
    async removeWatch(id) {
      return write(() => db.prepare<[number]>('DELETE FROM watches WHERE id = ?').run(id)).changes > 0;
    },
    async claimDelivery(record) {
      const result = write(() =>
        db
          .prepare('INSERT INTO deliveries (key, channel_id, article_ids, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
          .run(record.key, record.channelId, JSON.stringify(record.articleIds), new Date().toISOString()),
      );
      return result.changes === 1;
    },
    async finishDelivery(key, outcome) {
      write(() =>
        db
          .prepare('UPDATE deliveries SET message_ids = ?, thread_id = ?, error = ?, finished_at = ? WHERE key = ?')
          .run(JSON.stringify(outcome.messageIds), outcome.threadId, outcome.error, new Date().toISOString(), key),
      );
    },
    async releaseDelivery(key) {
      write(() => db.prepare<[string]>('DELETE FROM deliveries WHERE key = ?').run(key));
    },
    async delivery(key) {
      const row = db.prepare<[string], DeliveryRow>('SELECT key, channel_id, message_ids, thread_id, article_ids, error FROM deliveries WHERE key = ?').get(key);
      return row ? toDelivery(row) : null;
    },
    async articlesIngested({ after = null, until, limit, newestFirst = false }) {
      const order = newestFirst ? 'DESC' : 'ASC';
      const rows = db
        .prepare<[{ at: string | null; id: string | null; until: string | null; limit: number }], ArticleRow & { ingested_at: string }>(
          `SELECT id, title, date, source, url, author, origin, content_hash, ingested_at FROM articles
           WHERE (@at IS NULL OR ingested_at > @at OR (ingested_at = @at AND id > @id)) AND (@until IS NULL OR ingested_at <= @until)
           ORDER BY ingested_at ${order}, id ${order} LIMIT @limit`,
        )
        .all({ at: after?.at ?? null, id: after?.id ?? null, until: until ?? null, limit });
      return rows.map((r): IngestedArticle => ({ article: toMeta(r), ingestedAt: r.ingested_at }));
    },
    async feedItems(scope, url, afterSeq, limit) {
      return db
        .prepare<[string, string, number, number], { seq: number; article_id: string; initial: number }>(
          'SELECT seq, article_id, initial FROM feed_items WHERE scope = ? AND url = ? AND seq > ? ORDER BY seq LIMIT ?',
        )
        .all(scope, url, afterSeq, limit)
        .map((r) => ({ seq: r.seq, articleId: r.article_id, initial: r.initial === 1 }));
    },
    async saveFeedDelivery(scope, url, state) {
      write(() =>
        db
          .prepare('UPDATE feeds SET delivered_seq = ?, delivery_error = ?, delivery_log = ? WHERE scope = ? AND url = ? AND channel_id IS NOT NULL')
          .run(state.cursor, state.lastError, JSON.stringify(state.log ?? EMPTY_FEED_LOG), scope, url),
      );
    },
  };
}

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openLocalDatabase } from '../store/sqlite/local-database.js';
import { addColumn } from '../store/sqlite/sqlite-schema.js';
import { redact, redactedJson } from '../core/logger.js';
import { conversationTurn, type ConversationTurn } from '../answer/conversation.js';
import type { Answer } from '../core/types.js';

/** A logged answer, as the bot needs it back (sources button, thread history). */
export interface LoggedAnswer {
  id: string;
  question: string;
  answer: Answer;
  threadId: string | null;
  /** Who asked and where (null guild: a DM). */
  userId: string;
  guildId: string | null;
  /** True when only the asker saw it (/ask private). */
  private: boolean;
}

/** Where an answer was given. */
export interface AnswerPlace {
  userId: string;
  guildId: string | null;
  channelId: string;
  threadId?: string | null;
  /** Only the asker sees the answer. */
  private?: boolean;
}

/**
 * The bot's own small database (DATA_DIR/bot.db): every answer with its question and sources,
 * the thread it lives in (conversation memory that survives restarts), and user feedback.
 */
export class AnswerLog {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(dataDir: string) {
    this.db = openLocalDatabase(path.join(dataDir, 'bot.db'), { busyTimeoutMs: 5_000 });
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS answers (
        id TEXT PRIMARY KEY,
        question TEXT NOT NULL,
        answer_json TEXT NOT NULL,
        mode TEXT NOT NULL,
        user_id TEXT NOT NULL,
        guild_id TEXT,
        channel_id TEXT NOT NULL,
        thread_id TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS answers_thread ON answers (thread_id);
      -- (private: the column is added below to logs made before it)
      CREATE TABLE IF NOT EXISTS feedback (
        answer_id TEXT NOT NULL REFERENCES answers (id),
        user_id TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (answer_id, user_id)
      );
    `);
    const columns = new Set(this.db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('answers')").all().map((c) => c.name));
    if (!columns.has('private')) addColumn(this.db, 'ALTER TABLE answers ADD COLUMN private INTEGER NOT NULL DEFAULT 0');
    // Prepared once here: the log never depends on how the database caches statements.
    this.statements = {
      insert: this.db.prepare<[string, string, string, string, string, string | null, string, string | null, string, number]>(
        'INSERT INTO answers (id, question, answer_json, mode, user_id, guild_id, channel_id, thread_id, created_at, private) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      setThread: this.db.prepare<[string, string]>('UPDATE answers SET thread_id = ? WHERE id = ?'),
      get: this.db.prepare<[string], { id: string; question: string; answer_json: string; thread_id: string | null; user_id: string; guild_id: string | null; private: number }>(
        'SELECT id, question, answer_json, thread_id, user_id, guild_id, private FROM answers WHERE id = ?',
      ),
      threadHistory: this.db.prepare<[string, number], { question: string; answer_json: string }>('SELECT question, answer_json FROM answers WHERE thread_id = ? ORDER BY rowid DESC LIMIT ?'),
      feedback: this.db.prepare<[string, string, number, string]>('INSERT OR REPLACE INTO feedback (answer_id, user_id, helpful, created_at) VALUES (?, ?, ?, ?)'),
      feedbackCounts: this.db.prepare<[string], { up: number | null; down: number | null }>('SELECT SUM(helpful) AS up, SUM(1 - helpful) AS down FROM feedback WHERE answer_id = ?'),
    };
  }

  /** Stores an answer; returns its id. */
  record(question: string, answer: Answer, place: AnswerPlace): string {
    const id = randomBytes(6).toString('hex');
    this.statements.insert.run(id, redact(question), redactedJson(answer), answer.mode, place.userId, place.guildId, place.channelId, place.threadId ?? null, new Date().toISOString(), place.private ? 1 : 0);
    return id;
  }

  /** Attaches an answer to the thread that was opened for it. */
  setThread(id: string, threadId: string): void {
    this.statements.setThread.run(threadId, id);
  }

  get(id: string): LoggedAnswer | undefined {
    const row = this.statements.get.get(id);
    return row
      ? { id: row.id, question: row.question, answer: JSON.parse(row.answer_json) as Answer, threadId: row.thread_id, userId: row.user_id, guildId: row.guild_id, private: row.private === 1 }
      : undefined;
  }

  /** The last `limit` questions of a thread with their answers and the articles they cited, oldest first. */
  threadHistory(threadId: string, limit = 4): ConversationTurn[] {
    return this.statements.threadHistory
      .all(threadId, limit)
      .reverse()
      .map((r) => conversationTurn(r.question, JSON.parse(r.answer_json) as Answer));
  }

  /** Records (or changes) a user's feedback on an answer. Returns false for an unknown answer. */
  feedback(answerId: string, userId: string, helpful: boolean): boolean {
    if (!this.get(answerId)) return false;
    this.statements.feedback.run(answerId, userId, helpful ? 1 : 0, new Date().toISOString());
    return true;
  }

  /** Feedback counts for an answer. */
  feedbackCounts(answerId: string): { helpful: number; notHelpful: number } {
    const row = this.statements.feedbackCounts.get(answerId);
    return { helpful: row?.up ?? 0, notHelpful: row?.down ?? 0 };
  }

  close(): void {
    this.db.close();
  }
}

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { processRunning } from '../core/process.js';
import { openLocalDatabase } from '../store/sqlite/local-database.js';
import { addColumn } from '../store/sqlite/sqlite-schema.js';

/** Who asked for an ingest (a moderator's command), so they can be told how it ended. */
export interface IngestRequester {
  userId: string;
  guildId: string | null;
  channelId: string;
}

/** One ingest the bot ran, as the journal holds it. */
export interface JournalEntry {
  id: string;
  /** What was ingested, in words ("the corpus and feeds", "https://…"). */
  what: string;
  requester: IngestRequester | null;
  startedAt: string;
  /** The last progress reported ("120 of 300 articles"), or null before the first. */
  progress: string | null;
  status: 'running' | 'finished' | 'failed' | 'interrupted';
  endedAt: string | null;
}

interface Row {
  id: string;
  what: string;
  user_id: string | null;
  guild_id: string | null;
  channel_id: string | null;
  started_at: string;
  progress: string | null;
  status: JournalEntry['status'];
  ended_at: string | null;
  host: string;
  pid: number;
  process_token: string | null;
}

function entryOf(row: Row): JournalEntry {
  return {
    id: row.id,
    what: row.what,
    requester: row.user_id && row.channel_id ? { userId: row.user_id, guildId: row.guild_id, channelId: row.channel_id } : null,
    startedAt: row.started_at,
    progress: row.progress,
    status: row.status,
    endedAt: row.ended_at,
  };
}

/**
 * The bot's record of the ingests it runs (DATA_DIR/bot.db, beside the answer log): each is
 * written when it starts, with its requester, its progress as it goes and how it ended. An ingest
 * still marked running whose process is gone died with the bot (killed, crashed, the machine
 * stopped): the bot that starts next takes it (`takeInterrupted`, once, whichever shard comes
 * first), tells its moderator and shows it in /status with what it stored.
 */
export class IngestJournal {
  private readonly db: Database.Database;
  private readonly host = os.hostname();
  /**
   * This process, among every one that ever used this DATA_DIR: a process id is not enough (a
   * restarted container's bot has the same pid 1, under tini the same small number).
   */
  private readonly token = randomBytes(8).toString('hex');

  constructor(dataDir: string) {
    this.db = openLocalDatabase(path.join(dataDir, 'bot.db'), { busyTimeoutMs: 5_000 });
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ingest_journal (
        id TEXT PRIMARY KEY,
        what TEXT NOT NULL,
        user_id TEXT,
        guild_id TEXT,
        channel_id TEXT,
        started_at TEXT NOT NULL,
        progress TEXT,
        status TEXT NOT NULL,
        ended_at TEXT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ingest_journal_status ON ingest_journal (status);
    `);
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(ingest_journal)').all();
    if (!columns.some((c) => c.name === 'process_token')) addColumn(this.db, 'ALTER TABLE ingest_journal ADD COLUMN process_token TEXT');
  }

  /** Records an ingest that starts now; returns its id. */
  begin(what: string, requester: IngestRequester | null): string {
    const id = randomBytes(6).toString('hex');
    this.db
      .prepare('INSERT INTO ingest_journal (id, what, user_id, guild_id, channel_id, started_at, status, host, pid, process_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, what, requester?.userId ?? null, requester?.guildId ?? null, requester?.channelId ?? null, new Date().toISOString(), 'running', this.host, process.pid, this.token);
    // Keep the journal small: the last 200 entries are plenty for /status and reports.
    this.db.prepare('DELETE FROM ingest_journal WHERE rowid <= (SELECT MAX(rowid) - 200 FROM ingest_journal)').run();
    return id;
  }

  /** Records how far a running ingest is. */
  progress(id: string, progress: string): void {
    this.db.prepare("UPDATE ingest_journal SET progress = ? WHERE id = ? AND status = 'running'").run(progress, id);
  }

  /** Forgets an ingest that never ran (refused as busy). */
  discard(id: string): void {
    this.db.prepare('DELETE FROM ingest_journal WHERE id = ?').run(id);
  }

  /** Records how an ingest ended ('interrupted': stopped by the bot's shutdown). */
  end(id: string, status: 'finished' | 'failed' | 'interrupted'): void {
    this.db.prepare("UPDATE ingest_journal SET status = ?, ended_at = ? WHERE id = ? AND status = 'running'").run(status, new Date().toISOString(), id);
  }

  /**
   * The ingests that died with a bot on this machine (still running, their process gone), each
   * marked interrupted and returned once: the caller tells their moderators.
   */
  takeInterrupted(): JournalEntry[] {
    const running = this.db.prepare<[], Row>("SELECT * FROM ingest_journal WHERE status = 'running'").all();
    const taken: JournalEntry[] = [];
    for (const row of running) {
      if (row.process_token === this.token) continue;
      // Another process on this machine that still runs (a shard, the bot beside `npm run ingest`) keeps its ingest;
      // one on another host (a recreated container has a new host name) or gone has died with its bot.
      if (row.host === this.host && row.pid !== process.pid && processRunning(row.pid)) continue;
      const now = new Date().toISOString();
      const changed = this.db.prepare("UPDATE ingest_journal SET status = 'interrupted', ended_at = ? WHERE id = ? AND status = 'running'").run(now, row.id).changes;
      if (changed === 1) taken.push({ ...entryOf(row), status: 'interrupted', endedAt: now });
    }
    return taken;
  }

  /** The most recent ingest that did not run to its end (interrupted or failed) when no later one finished, or null. */
  lastUnfinished(): JournalEntry | null {
    const row = this.db.prepare<[], Row>("SELECT * FROM ingest_journal WHERE status != 'running' ORDER BY rowid DESC LIMIT 1").get();
    return row && (row.status === 'interrupted' || row.status === 'failed') ? entryOf(row) : null;
  }

  close(): void {
    this.db.close();
  }
}

/** An interrupted ingest in words, for its moderator and /status. */
export function describeInterrupted(entry: JournalEntry): string {
  const at = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  const stored = entry.progress ? ` It had got to ${entry.progress}.` : '';
  return (
    `The ingest of ${entry.what} started ${at(entry.startedAt)} did not finish: ` +
    `${entry.status === 'interrupted' ? 'the bot stopped while it ran' : 'it failed'}.${stored} What it stored is kept; run it again to finish.`
  );
}

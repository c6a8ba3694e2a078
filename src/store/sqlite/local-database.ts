import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { keepStatements, pragma } from './kept-statements.js';

/**
 * Opens (or creates) a small SQLite database of the app's own beside the store (the bot's answer
 * log): WAL, a busy timeout, and statements kept for the life of the process the way the store
 * keeps its own (kept-statements.ts), so a caller only prepares its SQL.
 */
export function openLocalDatabase(file: string, options: { busyTimeoutMs: number }): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = keepStatements(new Database(file));
  pragma(db, 'journal_mode = WAL');
  pragma(db, `busy_timeout = ${options.busyTimeoutMs}`);
  return db;
}

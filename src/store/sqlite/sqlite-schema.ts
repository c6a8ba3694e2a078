import type Database from 'better-sqlite3';

/**
 * Creates the SQLite tables when missing: articles, passages, vectors, an FTS5 BM25 index over
 * passage title and text, ingest runs, leases, and a log of vector changes written by triggers
 * in the writer's own transaction (so every process's in-memory index can follow it).
 */
export function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS articles (
      id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      date TEXT,
      source TEXT NOT NULL,
      url TEXT,
      author TEXT,
      origin TEXT NOT NULL,
      content_hash TEXT NOT NULL,
      text TEXT NOT NULL,
      ingested_at TEXT NOT NULL,
      scope TEXT NOT NULL DEFAULT 'global',
      added_by TEXT
    );
    CREATE INDEX IF NOT EXISTS articles_hash ON articles (content_hash);
    CREATE INDEX IF NOT EXISTS articles_url ON articles (url);
    CREATE INDEX IF NOT EXISTS articles_origin ON articles (origin);
    CREATE INDEX IF NOT EXISTS articles_date ON articles (date);
    CREATE TABLE IF NOT EXISTS passages (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      start INTEGER NOT NULL,
      "end" INTEGER NOT NULL,
      text TEXT NOT NULL,
      scope TEXT NOT NULL DEFAULT 'global'
    );
    CREATE INDEX IF NOT EXISTS passages_article ON passages (article_id);
    CREATE TABLE IF NOT EXISTS vectors (
      passage_id INTEGER PRIMARY KEY REFERENCES passages (id) ON DELETE CASCADE,
      embedding BLOB NOT NULL
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5 (
      title, text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab (passages_fts, 'row');
    CREATE TABLE IF NOT EXISTS ingest_runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      finished_at TEXT NOT NULL,
      added INTEGER NOT NULL,
      updated INTEGER NOT NULL,
      removed INTEGER NOT NULL,
      unchanged INTEGER NOT NULL,
      skipped INTEGER NOT NULL
    );
    -- Vector additions (op 1) and removals (op 0) in commit order, written by triggers in the
    -- writer's own transaction (cascading deletes included). Readers replay new entries into their
    -- in-memory index instead of comparing every stored id. Trimmed after each ingest run; a
    -- reader that fell behind the trim compares ids once.
    CREATE TABLE IF NOT EXISTS vector_log (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      passage_id INTEGER NOT NULL,
      op INTEGER NOT NULL
    );
    CREATE TRIGGER IF NOT EXISTS vector_log_insert AFTER INSERT ON vectors
      BEGIN INSERT INTO vector_log (passage_id, op) VALUES (new.passage_id, 1); END;
    CREATE TRIGGER IF NOT EXISTS vector_log_update AFTER UPDATE ON vectors
      BEGIN INSERT INTO vector_log (passage_id, op) VALUES (new.passage_id, 1); END;
    CREATE TRIGGER IF NOT EXISTS vector_log_delete AFTER DELETE ON vectors
      BEGIN INSERT INTO vector_log (passage_id, op) VALUES (old.passage_id, 0); END;
    -- Who may ingest feeds right now (one process at a time across a deployment).
    CREATE TABLE IF NOT EXISTS leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    );
    -- What the bot delivers on its own (src/app/deliveries.ts), shared by every shard.
    CREATE INDEX IF NOT EXISTS articles_ingested ON articles (ingested_at, id);
    CREATE TABLE IF NOT EXISTS brief_schedules (
      guild_id TEXT PRIMARY KEY,
      channel_id TEXT NOT NULL,
      time TEXT NOT NULL,
      time_zone TEXT NOT NULL,
      topics TEXT,
      last_brief_at TEXT,
      last_brief_day TEXT,
      last_error TEXT
    );
    CREATE TABLE IF NOT EXISTS watches (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      guild_id TEXT,
      channel_id TEXT,
      user_id TEXT NOT NULL,
      topic TEXT NOT NULL,
      cursor_at TEXT,
      cursor_id TEXT,
      known TEXT NOT NULL,
      last_error TEXT,
      created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS deliveries (
      key TEXT PRIMARY KEY,
      channel_id TEXT,
      message_ids TEXT NOT NULL DEFAULT '[]',
      thread_id TEXT,
      article_ids TEXT NOT NULL,
      error TEXT,
      claimed_at TEXT NOT NULL,
      finished_at TEXT
    );
  `);
  migrateScopes(db);
  migrateFeedDeliveries(db);
}

/**
 * Scopes (one bot, many servers): adds the scope columns to a store made before them (SQLite adds
 * a column with a constant default without rewriting the table, so every existing article and
 * passage reads as global), then the tables and indexes that use them: stored feeds per scope and
 * the audit trail of every add and remove.
 */
/**
 * Adds a column to an old store. Another process opening the same old store at once (a shard, the
 * ingest worker) may add it between our look and our ALTER: its "duplicate column" is our success.
 */
export function addColumn(db: Database.Database, alter: string): void {
  try {
    db.exec(alter);
  } catch (error) {
    if (!/duplicate column name/i.test(String((error as Error).message))) throw error;
  }
}

function migrateScopes(db: Database.Database): void {
  const columns = (table: string) => new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().map((c) => c.name));
  const articles = columns('articles');
  if (!articles.has('scope')) addColumn(db, "ALTER TABLE articles ADD COLUMN scope TEXT NOT NULL DEFAULT 'global'");
  if (!articles.has('added_by')) addColumn(db, 'ALTER TABLE articles ADD COLUMN added_by TEXT');
  if (!columns('passages').has('scope')) addColumn(db, "ALTER TABLE passages ADD COLUMN scope TEXT NOT NULL DEFAULT 'global'");
  db.exec(`
    -- Only the servers' own passages are indexed: the filter of a search reads them, never the global bulk.
    CREATE INDEX IF NOT EXISTS passages_scoped ON passages (scope) WHERE scope <> 'global';
    CREATE INDEX IF NOT EXISTS articles_scope ON articles (scope, ingested_at);
    CREATE TABLE IF NOT EXISTS feeds (
      scope TEXT NOT NULL,
      url TEXT NOT NULL,
      added_by TEXT NOT NULL,
      added_at TEXT NOT NULL,
      last_polled_at TEXT,
      last_error TEXT,
      -- Feed deliveries (migrateFeedDeliveries adds these to a table made before them).
      last_read_at TEXT,
      channel_id TEXT,
      channel_forum INTEGER NOT NULL DEFAULT 0,
      filter TEXT,
      delivered_seq INTEGER NOT NULL DEFAULT 0,
      delivery_error TEXT,
      delivery_log TEXT,
      PRIMARY KEY (scope, url)
    );
    CREATE TABLE IF NOT EXISTS audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      scope TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_scope ON audit (scope, id);
  `);
}

/**
 * Feed deliveries (docs/feeds.md): a stored feed's channel, filter and delivery state (columns
 * added to a store made before them; existing feeds deliver nowhere), and the articles each feed
 * met, in order.
 */
function migrateFeedDeliveries(db: Database.Database): void {
  const feeds = new Set(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('feeds')").all().map((c) => c.name));
  const added: [string, string][] = [
    ['last_read_at', 'TEXT'],
    ['channel_id', 'TEXT'],
    ['channel_forum', 'INTEGER NOT NULL DEFAULT 0'],
    ['filter', 'TEXT'],
    ['delivered_seq', 'INTEGER NOT NULL DEFAULT 0'],
    ['delivery_error', 'TEXT'],
    ['delivery_log', 'TEXT'],
  ];
  for (const [column, type] of added) if (!feeds.has(column)) addColumn(db, `ALTER TABLE feeds ADD COLUMN ${column} ${type}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS feed_items (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      scope TEXT NOT NULL,
      url TEXT NOT NULL,
      article_id TEXT NOT NULL,
      initial INTEGER NOT NULL,
      UNIQUE (scope, url, article_id)
    );
    CREATE INDEX IF NOT EXISTS feed_items_feed ON feed_items (scope, url, seq);
  `);
}

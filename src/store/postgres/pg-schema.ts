/**
 * The PostgreSQL tables of a store, in their own schema. Lexical search needs no extension: each
 * passage's terms (stemmed as SQLite's FTS5 porter tokenizer would) are kept as postings with
 * their counts per field, with document frequencies and corpus totals beside them, so BM25 is a
 * plain aggregate over the postings of the query's terms.
 */
export function schemaSql(schema: string): string {
  const s = quoteIdent(schema);
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.articles (
      id text PRIMARY KEY,
      title text NOT NULL,
      date text,
      source text NOT NULL,
      url text,
      author text,
      origin text NOT NULL,
      content_hash text NOT NULL,
      text text NOT NULL,
      ingested_at timestamptz NOT NULL DEFAULT now(),
      scope text NOT NULL DEFAULT 'global',
      added_by text
    );
    CREATE INDEX IF NOT EXISTS articles_hash ON ${s}.articles (content_hash);
    CREATE INDEX IF NOT EXISTS articles_url ON ${s}.articles (url);
    CREATE INDEX IF NOT EXISTS articles_origin ON ${s}.articles (origin text_pattern_ops);
    CREATE INDEX IF NOT EXISTS articles_latest ON ${s}.articles ((date IS NULL), date DESC, ingested_at DESC);
    CREATE TABLE IF NOT EXISTS ${s}.passages (
      id serial PRIMARY KEY,
      article_id text NOT NULL REFERENCES ${s}.articles (id) ON DELETE CASCADE,
      position integer NOT NULL,
      start integer NOT NULL,
      "end" integer NOT NULL,
      text text NOT NULL,
      length integer NOT NULL,
      terms text[] NOT NULL,
      scope text NOT NULL DEFAULT 'global'
    );
    CREATE INDEX IF NOT EXISTS passages_article ON ${s}.passages (article_id, position);
    CREATE TABLE IF NOT EXISTS ${s}.postings (
      term text NOT NULL,
      passage_id integer NOT NULL,
      tf_title smallint NOT NULL,
      tf_text smallint NOT NULL,
      length integer NOT NULL,
      PRIMARY KEY (term, passage_id) INCLUDE (tf_title, tf_text, length)
    );
    CREATE TABLE IF NOT EXISTS ${s}.term_stats (term text PRIMARY KEY, df integer NOT NULL);
    CREATE TABLE IF NOT EXISTS ${s}.corpus_stats (
      id integer PRIMARY KEY CHECK (id = 1),
      passages bigint NOT NULL,
      tokens bigint NOT NULL
    );
    INSERT INTO ${s}.corpus_stats (id, passages, tokens) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;
    CREATE TABLE IF NOT EXISTS ${s}.vectors (
      passage_id integer PRIMARY KEY REFERENCES ${s}.passages (id) ON DELETE CASCADE,
      embedding bytea NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${s}.vector_log (
      seq bigserial PRIMARY KEY,
      passage_id integer NOT NULL,
      op "char" NOT NULL
    );
    -- Vector additions ('a') and removals ('d') in commit order, written by triggers in the
    -- writer's own transaction (cascading deletes included); readers replay it into their
    -- in-memory index, woken by NOTIFY.
    CREATE OR REPLACE FUNCTION ${s}.log_vector_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO ${s}.vector_log (passage_id, op) VALUES (OLD.passage_id, 'd');
      ELSE
        INSERT INTO ${s}.vector_log (passage_id, op) VALUES (NEW.passage_id, 'a');
      END IF;
      PERFORM pg_notify('${schema}_vectors', '');
      RETURN NULL;
    END $$;
    CREATE OR REPLACE TRIGGER vectors_log AFTER INSERT OR UPDATE OR DELETE ON ${s}.vectors
      FOR EACH ROW EXECUTE FUNCTION ${s}.log_vector_change();
    CREATE TABLE IF NOT EXISTS ${s}.ingest_runs (
      id serial PRIMARY KEY,
      finished_at timestamptz NOT NULL,
      added integer NOT NULL,
      updated integer NOT NULL,
      removed integer NOT NULL,
      unchanged integer NOT NULL,
      skipped integer NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${s}.leases (
      name text PRIMARY KEY,
      holder text NOT NULL,
      expires_at timestamptz NOT NULL
    );
    -- Scopes (one bot, many servers): a store made before them gets the columns once (a column
    -- with a constant default is added without rewriting the table: what is there reads as global).
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'articles' AND column_name = 'scope') THEN
        ALTER TABLE ${s}.articles ADD COLUMN scope text NOT NULL DEFAULT 'global';
        ALTER TABLE ${s}.articles ADD COLUMN added_by text;
        ALTER TABLE ${s}.passages ADD COLUMN scope text NOT NULL DEFAULT 'global';
      END IF;
    END $$;
    -- Only the servers' own passages are indexed: a search's filter reads them, never the global bulk.
    CREATE INDEX IF NOT EXISTS passages_scoped ON ${s}.passages (id, scope) WHERE scope <> 'global';
    CREATE INDEX IF NOT EXISTS articles_scope ON ${s}.articles (scope, ingested_at);
    CREATE TABLE IF NOT EXISTS ${s}.feeds (
      scope text NOT NULL,
      url text NOT NULL,
      added_by text NOT NULL,
      added_at timestamptz NOT NULL DEFAULT now(),
      last_polled_at timestamptz,
      last_error text,
      PRIMARY KEY (scope, url)
    );
    -- Feed deliveries (docs/feeds.md): added once to a store made before them (existing feeds
    -- deliver nowhere); checked first, so that opening a store takes no table lock.
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'feeds' AND column_name = 'channel_id') THEN
        ALTER TABLE ${s}.feeds ADD COLUMN last_read_at timestamptz, ADD COLUMN channel_id text, ADD COLUMN channel_forum boolean NOT NULL DEFAULT false,
          ADD COLUMN filter text, ADD COLUMN delivered_seq bigint NOT NULL DEFAULT 0, ADD COLUMN delivery_error text, ADD COLUMN delivery_log text;
      END IF;
    END $$;
    CREATE TABLE IF NOT EXISTS ${s}.feed_items (
      seq bigserial PRIMARY KEY,
      scope text NOT NULL,
      url text NOT NULL,
      article_id text NOT NULL,
      initial boolean NOT NULL,
      UNIQUE (scope, url, article_id)
    );
    CREATE INDEX IF NOT EXISTS feed_items_feed ON ${s}.feed_items (scope, url, seq);
    CREATE TABLE IF NOT EXISTS ${s}.audit (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      scope text NOT NULL,
      actor text NOT NULL,
      action text NOT NULL,
      target text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_scope ON ${s}.audit (scope, id);
    -- What the bot delivers on its own (src/app/deliveries.ts), shared by every shard.
    CREATE INDEX IF NOT EXISTS articles_ingested ON ${s}.articles (ingested_at, id);
    CREATE TABLE IF NOT EXISTS ${s}.brief_schedules (
      guild_id text PRIMARY KEY,
      channel_id text NOT NULL,
      time text NOT NULL,
      time_zone text NOT NULL,
      topics text,
      last_brief_at text,
      last_brief_day text,
      last_error text
    );
    CREATE TABLE IF NOT EXISTS ${s}.watches (
      id serial PRIMARY KEY,
      guild_id text,
      channel_id text,
      user_id text NOT NULL,
      topic text NOT NULL,
      cursor_at text,
      cursor_id text,
      known text NOT NULL,
      last_error text,
      created_at text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${s}.deliveries (
      key text PRIMARY KEY,
      channel_id text,
      message_ids text NOT NULL DEFAULT '[]',
      thread_id text,
      article_ids text NOT NULL,
      error text,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
  `;
}

/** A schema name that is safe to put in SQL: lowercase letters, digits and underscores. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}" (lowercase letters, digits, underscores)`);
  return schema;
}

/** Quotes an identifier already checked by checkSchemaName. */
export function quoteIdent(name: string): string {
  return `"${checkSchemaName(name)}"`;
}

/**
 * What each environment variable is for, by group: the text of docs/configuration.md's table and the
 * grouping of .env.example. Names and defaults are not written here: they come from the schema
 * (src/config/index.ts, `configVariables`), and tests/unit/config-docs.test.ts fails when the docs
 * or .env.example disagree with it.
 */

/** The groups, in the order the docs and .env.example list them. */
export const VARIABLE_GROUPS = ['Storage and logs', 'Embedding model', 'Retrieval', 'Language model', 'Ingest and feeds', 'Discord', 'Briefs and watches', 'Sharding'] as const;

/** One of VARIABLE_GROUPS. */
export type VariableGroup = (typeof VARIABLE_GROUPS)[number];

/** The hand-written part of a variable's documentation. */
export interface VariableDoc {
  group: VariableGroup;
  /** One Markdown sentence or two: what it does, and what it is for. */
  description: string;
  /** Shown instead of "(unset)" when the variable has no default, e.g. "(unset: SQLite)". */
  unset?: string;
  /** The accepted values when the schema cannot say them (a pattern rather than a range). */
  accepts?: string;
}

/**
 * Every variable's group and description, keyed by the schema's variable names (index.ts checks at
 * compile time that this has exactly the schema's keys).
 */
export const VARIABLE_DOCS = {
  DATA_DIR: { group: 'Storage and logs', accepts: 'a path', description: 'Where the SQLite store lives (`news.db`, `vectors.hnsw`), the bot\'s answer log `bot.db`, and (with `DATABASE_URL`) this machine\'s copy of the vector index.' },
  DATABASE_URL: {
    group: 'Storage and logs',
    description: 'Keep articles, passages and vectors in a shared PostgreSQL 14+ instead of SQLite (see [operating](operating.md#sqlite-or-postgresql)); the password is masked in every log line.',
    unset: '(unset: SQLite)',
    accepts: '`postgres://user:password@host:5432/database`',
  },
  DATABASE_SCHEMA: { group: 'Storage and logs', description: 'The PostgreSQL schema holding the tables (several stores can share one database).', accepts: 'lowercase letters, digits, `_`' },
  DATABASE_RETRY_SECONDS: { group: 'Storage and logs', description: 'With PostgreSQL: how long a write (an ingest batch) keeps retrying, with backoff, when the connection is lost or refused, before it fails with a clear message; reads (answers) retry at most 10 s of it. A transaction is retried only if its COMMIT was not sent, so nothing is written twice.' },
  CORPUS_DIR: { group: 'Storage and logs', accepts: 'a path', description: 'Folder ingested by `npm start` / `npm run ask` when the store is empty, and by `npm run ingest` without paths.' },
  LOG_LEVEL: { group: 'Storage and logs', description: 'Logs go to stderr, one line each.' },
  LOG_FORMAT: { group: 'Storage and logs', description: '`text` (readable lines on a terminal) or `json` (one JSON object a line through pino: `level`, `time`, `msg`, then the fields; registered secrets masked), for a log collector.' },
  HEALTH_PORT: { group: 'Storage and logs', unset: '(unset: no health server)', description: 'Serve `/healthz` (200 when the Discord gateway is connected and the store answers, else 503 with a JSON reason) and `/metrics` (Prometheus text) on this port; under `DISCORD_SHARDS` the shard manager serves them for every shard. `0` takes a free port.' },
  HEALTH_HOST: { group: 'Storage and logs', accepts: 'an address', description: 'Address the health server listens on: loopback unless set (`0.0.0.0` in a container).' },

  EMBEDDING_MODEL: { group: 'Embedding model', accepts: 'a model id', description: 'transformers.js feature-extraction model (mean pooling, normalized). Changing it needs `npm run ingest -- --rebuild`.' },
  EMBEDDING_MODEL_DIR: { group: 'Embedding model', accepts: 'a path', description: 'Local models root for offline use: `<dir>/<model id>/` with `onnx/model_quantized.onnx` and the tokenizer files.' },
  EMBEDDING_CACHE_DIR: { group: 'Embedding model', accepts: 'a path', unset: '(unset: inside `node_modules/@xenova/transformers`)', description: 'Where a model downloaded from the hub is kept. The container sets `/app/data/models`, in its data volume, since its `node_modules` is read-only (see [container](container.md#environment)).' },
  EMBEDDING_ALLOW_REMOTE: { group: 'Embedding model', description: 'Allow downloading the model from the Hugging Face hub. Offline, `false` skips the download attempt at every start.' },
  EMBEDDING_BATCH_SIZE: { group: 'Embedding model', description: 'Texts per forward pass (texts are grouped by length; small batches waste less padding and measured faster on CPU).' },
  EMBEDDING_LOAD_TIMEOUT_MS: { group: 'Embedding model', description: 'Give up loading the model after this long (then lexical search only, with one warning).' },

  RETRIEVAL_MODE: { group: 'Retrieval', description: 'How passages are found; see [choosing a mode](evaluation.md#choosing-a-retrieval-mode).' },
  TOP_K: { group: 'Retrieval', description: 'Passages retrieved per question.' },
  MAX_PASSAGES_PER_ARTICLE: { group: 'Retrieval', description: 'Most passages of one article among the top k.' },
  HNSW_EF_SEARCH: { group: 'Retrieval', description: 'HNSW query breadth (higher: more exact, slower); the eval and the bench use it too.' },
  HYBRID_VECTOR_WEIGHT: { group: 'Retrieval', description: 'Weight of the vector list in hybrid fusion (0: BM25 order, 1: vector order); see [fusion](evaluation.md#hybrid-and-vector-search).' },

  OPENAI_API_KEY: { group: 'Language model', accepts: 'the key', description: 'Key for the chat model; setting it (or `OPENAI_BASE_URL`) turns on language-model answers. Without either, answers quote the articles (extractive).' },
  OPENAI_BASE_URL: {
    group: 'Language model',
    description: 'Any OpenAI-compatible endpoint, e.g. `http://127.0.0.1:11434/v1` (Ollama) or a vLLM server; no key needed for keyless servers.',
    unset: '(unset: OpenAI)',
  },
  OPENAI_MODEL: { group: 'Language model', accepts: 'a model name', description: 'Chat model name.' },
  OPENAI_TIMEOUT_MS: { group: 'Language model', description: 'Per-request timeout, and the longest silence allowed inside a streamed answer.' },
  LLM_MAX_ATTEMPTS: { group: 'Language model', description: 'Attempts per answer on 429, 5xx, timeouts and broken streams (exponential backoff, honours Retry-After).' },
  LLM_MAX_PASSAGES: { group: 'Language model', description: 'Passages retrieved and given to the model.' },
  LLM_CONTEXT_CHARS: { group: 'Language model', description: 'Character budget for passage text in the prompt (best passages first).' },
  LLM_MAX_TOKENS: { group: 'Language model', description: 'Longest answer, in tokens.' },
  LLM_TEMPERATURE: { group: 'Language model', description: 'Sampling temperature.' },
  LLM_REWRITE_TIMEOUT_MS: { group: 'Language model', description: 'Longest wait for the model\'s standalone rewrite of a follow-up (then the heuristic alone); `0`: no rewrite call.' },
  LLM_TOTAL_TIMEOUT_MS: { group: 'Language model', description: 'Longest one answer may take however steadily the model streams (then the extractive answer, no retry).' },
  LLM_MAX_ANSWER_CHARS: { group: 'Language model', description: 'Most characters of a model\'s answer: the stream is stopped there and the answer cut at a sentence, with a note.' },

  FEEDS: { group: 'Ingest and feeds', description: 'RSS/Atom feeds read by `npm run ingest` (without paths), `/reingest` and the bot\'s poll.', accepts: 'http(s) URLs, comma or space separated' },
  FETCH_TIMEOUT_MS: { group: 'Ingest and feeds', description: 'Timeout for fetching a feed or an article page (the whole fetch with its redirects).' },
  FEED_POLL_MINUTES: { group: 'Ingest and feeds', description: 'How often the bot (and `npm run ingest -- --watch`) re-reads `FEEDS`; `0` turns polling off.' },
  ALLOW_PRIVATE_FETCH: { group: 'Ingest and feeds', description: 'Let fetches (`/ingest`, `/reingest`, the `FEEDS` poll, feed item pages, redirects) reach loopback, private-network and other non-public addresses (refused by default; the sites of `npm run ingest -- --url/--feed` are trusted).' },
  INGEST_TIMEOUT_MINUTES: { group: 'Ingest and feeds', description: 'An ingest the bot runs (in its worker process) that makes no progress (no article read, no batch stored) for this long is killed; long ingests that keep progressing are never cut.' },

  DISCORD_TOKEN: { group: 'Discord', accepts: 'the token', description: 'Bot token; when set, `npm start` runs the Discord bot instead of the console chat.' },
  DISCORD_GUILD_ID: { group: 'Discord', description: 'Register the commands in this server only (instant; global registration can take an hour).', accepts: 'a Discord id (digits)' },
  DISCORD_API_URL: { group: 'Discord', description: 'REST base URL (Discord\'s, a REST proxy, or a test server).' },
  DISCORD_REGISTER_COMMANDS: { group: 'Discord', description: 'Register the slash commands when the bot starts (else use `npm run deploy-commands`).' },
  OWNER_GUILD_IDS: { group: 'Discord', accepts: 'comma-separated server ids', unset: '(unset: no owner server)', description: 'The operator\'s own servers: `/ingest` and `/reingest` there reach every server (the global scope). Elsewhere moderators add to their own server\'s scope only (docs/servers.md).' },
  MODERATOR_ROLE_IDS: { group: 'Discord', description: 'Roles allowed to use `/ingest` and `/reingest` (members with Manage Server always are).', accepts: 'role ids, comma separated' },
  RATE_LIMIT_PER_MINUTE: { group: 'Discord', description: 'Questions per user per minute (`/ask`, `/search`, `/latest`, mentions).' },
  MAX_CONCURRENT_ANSWERS: { group: 'Discord', description: 'Answers worked on at once.' },
  MAX_QUEUED_ANSWERS: { group: 'Discord', description: 'Answers waiting beyond those; more get a polite "busy" notice.' },
  STREAM_EDIT_INTERVAL_MS: { group: 'Discord', description: 'At most one message edit per interval while an answer streams.' },

  BRIEF_MAX_ITEMS: { group: 'Briefs and watches', description: 'Most stories in a daily brief (docs/briefs.md).' },
  BRIEF_MAX_ARTICLES: { group: 'Briefs and watches', description: 'Most new articles a brief reads (the newest of its period).' },
  DELIVERY_CHECK_SECONDS: { group: 'Briefs and watches', description: 'How often due briefs and new articles for watches are checked (also after every ingest); `0` turns the timer off.' },
  DELIVERY_SETTLE_SECONDS: { group: 'Briefs and watches', description: 'Articles written less than this long ago wait for the next check, so a batch still committing is never passed over.' },
  WATCH_MAX_PER_USER: { group: 'Briefs and watches', description: 'Most watches one member may have.' },
  WATCH_MAX_ALERTS_PER_CHECK: { group: 'Briefs and watches', description: 'Most alerts one watch posts per check (more new articles are learned, not posted).' },
  FEED_MAX_POSTS_PER_POLL: { group: 'Briefs and watches', description: 'Most articles of delivering feeds (`/feeds add channel:`) posted to one channel per check; the rest are listed in one summary message (docs/feeds.md).' },
  DISCORD_SHARDS: {
    group: 'Sharding',
    description: 'Run the bot under a shard manager, one process per shard (see [operating](operating.md#sharding)); `auto` asks `GET /gateway/bot` at `DISCORD_API_URL`.',
    unset: '(unset: one process)',
    accepts: '`auto` or 1-99,999',
  },
  SHARD_COUNT: { group: 'Sharding', description: 'The total number of shards over every machine (needs `DISCORD_SHARDS`; equal to it when that is a number; with `auto`, it fixes the total instead of asking Discord).' },
  SHARD_IDS: { group: 'Sharding', description: 'The shard ids this machine runs, each below `SHARD_COUNT` (which it needs).', unset: '(unset: all)', accepts: 'ids, comma separated' },
} as const satisfies Record<string, VariableDoc>;

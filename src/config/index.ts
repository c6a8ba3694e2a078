import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { DEFAULTS, type DeliverySettings, type EmbeddingSettings, type LlmSettings, type RetrievalSettings } from './defaults.js';
import { VARIABLE_DOCS, VARIABLE_GROUPS, type VariableGroup } from './variables.js';

export { DEFAULTS, retrievalSettings, type Defaults, type DeliverySettings, type DiscordDefaults, type EmbeddingSettings, type LlmSettings, type RetrievalSettings } from './defaults.js';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().trim().optional());
const boolFlag = (fallback: boolean) =>
  z.preprocess((value) => {
    const v = emptyToUndefined(value);
    if (v === undefined) return fallback;
    if (typeof v === 'string') {
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
    }
    return v;
  }, z.boolean());
const int = (fallback: number, min: number, max: number) =>
  z.preprocess((v) => emptyToUndefined(v) ?? fallback, z.coerce.number().int().min(min).max(max));

/** Every environment variable the program reads, with its parsing, range and default. */
const variables = z.object({
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default(DEFAULTS.dataDir)),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a PostgreSQL URL (postgres://user:password@host:5432/database)')
      .optional(),
  ),
  DATABASE_SCHEMA: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase schema name (letters, digits, underscores)').default(DEFAULTS.databaseSchema)),
  DATABASE_RETRY_SECONDS: int(DEFAULTS.databaseRetrySeconds, 0, 3_600),
  CORPUS_DIR: z.preprocess(emptyToUndefined, z.string().default(DEFAULTS.corpusDir)),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['debug', 'info', 'warn', 'error', 'silent']).default(DEFAULTS.logLevel)),
  LOG_FORMAT: z.preprocess(emptyToUndefined, z.enum(['text', 'json']).default(DEFAULTS.logFormat)),
  HEALTH_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65_535).optional()),
  HEALTH_HOST: z.preprocess(emptyToUndefined, z.string().trim().default(DEFAULTS.healthHost)),

  EMBEDDING_MODEL: z.preprocess(emptyToUndefined, z.string().default(DEFAULTS.embedding.model)),
  EMBEDDING_MODEL_DIR: optionalString,
  EMBEDDING_CACHE_DIR: optionalString,
  EMBEDDING_ALLOW_REMOTE: boolFlag(DEFAULTS.embedding.allowRemote),
  EMBEDDING_BATCH_SIZE: int(DEFAULTS.embedding.batchSize, 1, 1024),
  EMBEDDING_LOAD_TIMEOUT_MS: int(DEFAULTS.embedding.loadTimeoutMs, 1_000, 3_600_000),

  FEEDS: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean) : (emptyToUndefined(v) ?? [])),
    z.array(z.url({ protocol: /^https?$/ })),
  ),
  FETCH_TIMEOUT_MS: int(DEFAULTS.fetchTimeoutMs, 1_000, 300_000),
  FEED_POLL_MINUTES: int(DEFAULTS.feedPollMinutes, 0, 10_080),
  ALLOW_PRIVATE_FETCH: boolFlag(DEFAULTS.allowPrivateFetch),
  INGEST_TIMEOUT_MINUTES: int(DEFAULTS.ingestTimeoutMinutes, 1, 1440),

  RETRIEVAL_MODE: z.preprocess(emptyToUndefined, z.enum(['hybrid', 'lexical', 'vector']).default(DEFAULTS.retrieval.mode)),
  TOP_K: int(DEFAULTS.retrieval.topK, 1, 50),
  MAX_PASSAGES_PER_ARTICLE: int(DEFAULTS.retrieval.maxPassagesPerArticle, 1, 20),
  HNSW_EF_SEARCH: int(DEFAULTS.retrieval.efSearch, 16, 4096),
  HYBRID_VECTOR_WEIGHT: z.preprocess((v) => emptyToUndefined(v) ?? DEFAULTS.retrieval.vectorWeight, z.coerce.number().min(0).max(1)),

  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  OPENAI_MODEL: z.preprocess(emptyToUndefined, z.string().default(DEFAULTS.llm.model)),
  OPENAI_TIMEOUT_MS: int(DEFAULTS.llm.timeoutMs, 1_000, 600_000),
  LLM_MAX_ATTEMPTS: int(DEFAULTS.llm.maxAttempts, 1, 10),
  LLM_MAX_PASSAGES: int(DEFAULTS.llm.maxPassages, 1, 50),
  LLM_CONTEXT_CHARS: int(DEFAULTS.llm.contextChars, 1_000, 500_000),
  LLM_MAX_TOKENS: int(DEFAULTS.llm.maxTokens, 16, 32_000),
  LLM_TEMPERATURE: z.preprocess((v) => emptyToUndefined(v) ?? DEFAULTS.llm.temperature, z.coerce.number().min(0).max(2)),
  LLM_REWRITE_TIMEOUT_MS: int(DEFAULTS.llm.rewriteTimeoutMs, 0, 600_000),
  LLM_TOTAL_TIMEOUT_MS: int(DEFAULTS.llm.answerTimeoutMs, 1_000, 600_000),
  LLM_MAX_ANSWER_CHARS: int(DEFAULTS.llm.maxAnswerChars, 500, 100_000),

  DISCORD_TOKEN: optionalString,
  DISCORD_GUILD_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d{5,25}$/, 'must be a Discord id (digits)').optional()),
  DISCORD_API_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).default(DEFAULTS.discord.apiUrl)),
  DISCORD_REGISTER_COMMANDS: boolFlag(DEFAULTS.discord.registerCommands),
  MODERATOR_ROLE_IDS: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : (emptyToUndefined(v) ?? [])),
    z.array(z.string().regex(/^\d{5,25}$/, 'must be comma-separated Discord role ids')),
  ),
  OWNER_GUILD_IDS: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : (emptyToUndefined(v) ?? [])),
    z.array(z.string().regex(/^\d{5,25}$/, 'must be comma-separated Discord server ids')),
  ),
  RATE_LIMIT_PER_MINUTE: int(DEFAULTS.discord.rateLimitPerMinute, 1, 1000),
  MAX_CONCURRENT_ANSWERS: int(DEFAULTS.discord.maxConcurrent, 1, 64),
  MAX_QUEUED_ANSWERS: int(DEFAULTS.discord.maxQueued, 0, 10_000),
  STREAM_EDIT_INTERVAL_MS: int(DEFAULTS.discord.editIntervalMs, 250, 60_000),

  BRIEF_MAX_ITEMS: int(DEFAULTS.deliveries.briefMaxItems, 1, 15),
  BRIEF_MAX_ARTICLES: int(DEFAULTS.deliveries.briefMaxArticles, 1, 5_000),
  DELIVERY_CHECK_SECONDS: int(DEFAULTS.deliveries.checkIntervalMs / 1000, 0, 3_600),
  DELIVERY_SETTLE_SECONDS: int(DEFAULTS.deliveries.settleMs / 1000, 0, 3_600),
  WATCH_MAX_PER_USER: int(DEFAULTS.deliveries.maxWatchesPerUser, 1, 1_000),
  WATCH_MAX_ALERTS_PER_CHECK: int(DEFAULTS.deliveries.maxAlertsPerCheck, 1, 50),
  FEED_MAX_POSTS_PER_POLL: int(DEFAULTS.deliveries.feedMaxPostsPerPoll, 1, 50),

  DISCORD_SHARDS: z.preprocess(emptyToUndefined, z.string().trim().toLowerCase().regex(/^(auto|[1-9]\d{0,4})$/, 'must be "auto" or a number of shards (1-99999)').optional()),
  SHARD_COUNT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(99_999).optional()),
  SHARD_IDS: z.preprocess(
    (v) => {
      const value = emptyToUndefined(v);
      return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
    },
    z.array(z.string().regex(/^\d{1,5}$/, 'must be comma-separated shard ids (0, 1, ...)').transform(Number)).min(1, 'must list at least one shard id').optional(),
  ),
});

const schema = variables.superRefine((e, ctx) => {
  const problem = (variable: string, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
  if (!e.DISCORD_SHARDS) {
    if (e.SHARD_COUNT !== undefined) problem('SHARD_COUNT', 'needs DISCORD_SHARDS (auto or a number) to turn sharding on');
    if (e.SHARD_IDS) problem('SHARD_IDS', 'needs DISCORD_SHARDS (auto or a number) to turn sharding on');
    return;
  }
  if (e.DISCORD_SHARDS !== 'auto' && e.SHARD_COUNT !== undefined && e.SHARD_COUNT !== Number(e.DISCORD_SHARDS)) {
    problem('SHARD_COUNT', `is ${e.SHARD_COUNT} but DISCORD_SHARDS is ${e.DISCORD_SHARDS}; give the same total (or only one of them)`);
  }
  if (!e.SHARD_IDS) return;
  if (e.SHARD_COUNT === undefined) {
    problem('SHARD_IDS', 'needs SHARD_COUNT, the total number of shards over every machine');
    return;
  }
  const count = e.SHARD_COUNT;
  const outside = e.SHARD_IDS.filter((id) => id >= count);
  if (outside.length) problem('SHARD_IDS', `ids must be below SHARD_COUNT (${count}); got ${outside.join(', ')}`);
  if (new Set(e.SHARD_IDS).size !== e.SHARD_IDS.length) problem('SHARD_IDS', 'lists a shard id twice');
});

/** A variable's name, default and accepted values (from the schema) with its documentation (from variables.ts). */
export interface ConfigVariable {
  name: string;
  group: VariableGroup;
  /** The default as written in a .env file; '' when there is none (unset). */
  default: string;
  /** The accepted values, e.g. "1-50" or "`hybrid`, `lexical`, `vector`". */
  accepts: string;
  description: string;
  /** What an unset variable means, e.g. "(unset: SQLite)". */
  unset: string;
}

type VariableName = keyof typeof variables.shape;

/** A parsed default as it would be written in a .env file. */
function envText(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** The accepted values of a variable, read from its schema (numbers' range, enums' options, booleans). */
function acceptedValues(field: z.ZodType): string | undefined {
  let inner: z.ZodType = field instanceof z.ZodPipe ? (field.out as z.ZodType) : field;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  const n = (x: number | null) => (x === null ? '' : x.toLocaleString('en-US'));
  if (inner instanceof z.ZodNumber) return `${n(inner.minValue)}-${n(inner.maxValue)}${inner.isInt ? '' : ' (decimal)'}`;
  if (inner instanceof z.ZodBoolean) return '`true`, `false` (also 1/0, yes/no, on/off)';
  if (inner instanceof z.ZodEnum) return inner.options.map((o) => `\`${String(o)}\``).join(', ');
  if (inner instanceof z.ZodURL) return 'an http(s) URL';
  return undefined;
}

/**
 * Every environment variable, grouped in VARIABLE_GROUPS order and in schema order within a group:
 * defaults and ranges come from the schema itself, so docs/configuration.md and .env.example
 * (both checked against this by tests/unit/config-docs.test.ts) cannot drift from it.
 */
export function configVariables(): ConfigVariable[] {
  const names = Object.keys(variables.shape) as VariableName[];
  const all = names.map((name): ConfigVariable => {
    const field = variables.shape[name] as z.ZodType;
    const doc: { group: VariableGroup; description: string; unset?: string; accepts?: string } = VARIABLE_DOCS[name];
    const parsed = field.safeParse(undefined);
    return {
      name,
      group: doc.group,
      default: parsed.success ? envText(parsed.data) : '',
      accepts: doc.accepts ?? acceptedValues(field) ?? 'text',
      description: doc.description,
      unset: doc.unset ?? '(unset)',
    };
  });
  return VARIABLE_GROUPS.flatMap((group) => all.filter((v) => v.group === group));
}

/** Validated configuration, read once from the environment. */
export interface Config {
  dataDir: string;
  /** Where articles, passages and vectors live: SQLite under DATA_DIR (default) or a shared PostgreSQL. */
  database: { kind: 'sqlite' } | { kind: 'postgres'; url: string; schema: string; retrySeconds: number };
  corpusDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** `text` lines for a terminal, or `json` (one object a line, pino) for a log collector. */
  logFormat: 'text' | 'json';
  /**
   * Where `/healthz` and `/metrics` are served (HEALTH_PORT, HEALTH_HOST: loopback unless
   * configured); null when HEALTH_PORT is unset. Port 0 takes a free port (tests).
   */
  health: { port: number; host: string } | null;
  /** RSS/Atom feeds ingested by /reingest (and polled, later). */
  feeds: string[];
  fetchTimeoutMs: number;
  /** Minutes between feed polls in the bot and in `ingest --watch`; 0 turns polling off. */
  feedPollMinutes: number;
  /** Let every fetch (/ingest, the FEEDS poll, item pages, redirects) reach loopback and private-network addresses. */
  allowPrivateFetch: boolean;
  /** An ingest the bot runs (in its worker process) is ended after this long without progress. */
  ingestTimeoutMinutes: number;
  embedding: EmbeddingSettings;
  /** Defaults from DEFAULTS.retrieval (src/config/defaults.ts). */
  retrieval: RetrievalSettings;
  /** Language model; null when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set (extractive answers). */
  llm: LlmSettings | null;
  discord: {
    token: string | undefined;
    guildId: string | undefined;
    /** REST base URL (Discord's, a proxy, or a test server). */
    apiUrl: string;
    /** Register slash commands on start-up. */
    registerCommands: boolean;
    moderatorRoleIds: string[];
    /**
     * Servers whose moderators act for the operator: their /ingest and /reingest add to the global
     * scope every server sees. Empty: every server's moderators add to their own server only.
     */
    ownerGuildIds: string[];
    rateLimitPerMinute: number;
    maxConcurrent: number;
    maxQueued: number;
    editIntervalMs: number;
    /**
     * Null: one process, one gateway connection. Otherwise the bot runs under a ShardingManager,
     * one process per shard: `totalShards` over every machine ('auto': Discord's recommendation)
     * and the ids this machine runs (null: all of them).
     */
    sharding: { totalShards: 'auto' | number; shardIds: number[] | null } | null;
  };
  /** Briefs and watches (defaults: DEFAULTS.deliveries). */
  deliveries: DeliverySettings;
}

/**
 * Parses configuration from an environment map (process.env by default).
 * Throws ConfigError naming every invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    dataDir: path.resolve(cwd, e.DATA_DIR),
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, retrySeconds: e.DATABASE_RETRY_SECONDS } : { kind: 'sqlite' },
    corpusDir: path.resolve(cwd, e.CORPUS_DIR),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    health: e.HEALTH_PORT === undefined ? null : { port: e.HEALTH_PORT, host: e.HEALTH_HOST },
    feeds: e.FEEDS,
    fetchTimeoutMs: e.FETCH_TIMEOUT_MS,
    feedPollMinutes: e.FEED_POLL_MINUTES,
    allowPrivateFetch: e.ALLOW_PRIVATE_FETCH,
    ingestTimeoutMinutes: e.INGEST_TIMEOUT_MINUTES,
    embedding: {
      model: e.EMBEDDING_MODEL,
      modelDir: e.EMBEDDING_MODEL_DIR ? path.resolve(cwd, e.EMBEDDING_MODEL_DIR) : undefined,
      cacheDir: e.EMBEDDING_CACHE_DIR ? path.resolve(cwd, e.EMBEDDING_CACHE_DIR) : undefined,
      allowRemote: e.EMBEDDING_ALLOW_REMOTE,
      batchSize: e.EMBEDDING_BATCH_SIZE,
      loadTimeoutMs: e.EMBEDDING_LOAD_TIMEOUT_MS,
    },
    retrieval: {
      mode: e.RETRIEVAL_MODE,
      topK: e.TOP_K,
      maxPassagesPerArticle: e.MAX_PASSAGES_PER_ARTICLE,
      efSearch: e.HNSW_EF_SEARCH,
      vectorWeight: e.HYBRID_VECTOR_WEIGHT,
    },
    llm:
      e.OPENAI_API_KEY || e.OPENAI_BASE_URL
        ? {
            apiKey: e.OPENAI_API_KEY,
            baseURL: e.OPENAI_BASE_URL,
            model: e.OPENAI_MODEL,
            timeoutMs: e.OPENAI_TIMEOUT_MS,
            maxAttempts: e.LLM_MAX_ATTEMPTS,
            maxPassages: e.LLM_MAX_PASSAGES,
            contextChars: e.LLM_CONTEXT_CHARS,
            maxTokens: e.LLM_MAX_TOKENS,
            temperature: e.LLM_TEMPERATURE,
            rewriteTimeoutMs: e.LLM_REWRITE_TIMEOUT_MS,
            answerTimeoutMs: e.LLM_TOTAL_TIMEOUT_MS,
            maxAnswerChars: e.LLM_MAX_ANSWER_CHARS,
          }
        : null,
    discord: {
      token: e.DISCORD_TOKEN,
      guildId: e.DISCORD_GUILD_ID,
      apiUrl: e.DISCORD_API_URL.replace(/\/+$/, ''),
      registerCommands: e.DISCORD_REGISTER_COMMANDS,
      moderatorRoleIds: e.MODERATOR_ROLE_IDS,
      ownerGuildIds: e.OWNER_GUILD_IDS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      maxConcurrent: e.MAX_CONCURRENT_ANSWERS,
      maxQueued: e.MAX_QUEUED_ANSWERS,
      editIntervalMs: e.STREAM_EDIT_INTERVAL_MS,
      sharding: e.DISCORD_SHARDS
        ? { totalShards: e.SHARD_COUNT ?? (e.DISCORD_SHARDS === 'auto' ? 'auto' : Number(e.DISCORD_SHARDS)), shardIds: e.SHARD_IDS ?? null }
        : null,
    },
    deliveries: {
      briefMaxItems: e.BRIEF_MAX_ITEMS,
      briefMaxArticles: e.BRIEF_MAX_ARTICLES,
      checkIntervalMs: e.DELIVERY_CHECK_SECONDS * 1000,
      settleMs: e.DELIVERY_SETTLE_SECONDS * 1000,
      maxWatchesPerUser: e.WATCH_MAX_PER_USER,
      maxAlertsPerCheck: e.WATCH_MAX_ALERTS_PER_CHECK,
      feedMaxPostsPerPoll: e.FEED_MAX_POSTS_PER_POLL,
    },
  };
}

/** Loads `.env` (if present) into process.env, without overriding variables already set. */
export async function loadDotEnv(file = '.env'): Promise<void> {
  const dotenv = await import('dotenv');
  dotenv.config({ path: file, quiet: true } as Parameters<typeof dotenv.config>[0]);
}

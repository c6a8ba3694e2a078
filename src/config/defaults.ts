import type { RetrievalMode } from '../core/types.js';

/** The embedding model's settings (config.embedding). */
export interface EmbeddingSettings {
  model: string;
  /** Local models root (transformers.js `localModelPath`), or undefined to use the cache/hub. */
  modelDir: string | undefined;
  /** Where models downloaded from the hub are kept (transformers.js `cacheDir`), or undefined for its default (inside node_modules). */
  cacheDir: string | undefined;
  allowRemote: boolean;
  /** Texts per forward pass. */
  batchSize: number;
  /** Give up loading the model after this long. */
  loadTimeoutMs: number;
}

/** The retrieval settings an operator can change (config.retrieval has exactly these). */
export interface RetrievalSettings {
  mode: RetrievalMode;
  /** Passages returned per question. */
  topK: number;
  /** Most passages of one article among them. */
  maxPassagesPerArticle: number;
  /** HNSW query breadth: read by the store's vector index, not by the Retriever. */
  efSearch: number;
  /** Weight of the vector list in hybrid fusion, 0-1. */
  vectorWeight: number;
}

/** The language model's settings (config.llm when one is configured). */
export interface LlmSettings {
  apiKey: string | undefined;
  baseURL: string | undefined;
  model: string;
  timeoutMs: number;
  maxAttempts: number;
  maxPassages: number;
  contextChars: number;
  maxTokens: number;
  temperature: number;
  /** Longest wait for the model's standalone rewrite of a follow-up; 0: no rewrite (the heuristic alone). */
  rewriteTimeoutMs: number;
  /** Longest one answer may take, however steadily the model streams (a model dripping a few bytes at a time holds no answer slot for longer). */
  answerTimeoutMs: number;
  /** Most characters of a model's answer; a longer one is cut at a sentence and says so. */
  maxAnswerChars: number;
}

/** The Discord settings that have a default (the rest are ids and secrets). */
export interface DiscordDefaults {
  apiUrl: string;
  registerCommands: boolean;
  rateLimitPerMinute: number;
  maxConcurrent: number;
  maxQueued: number;
  editIntervalMs: number;
}

/** Briefs and watches: what the bot posts on its own (config.deliveries). */
export interface DeliverySettings {
  /** Most stories in a brief. */
  briefMaxItems: number;
  /** Most new articles a brief reads (the newest of the period). */
  briefMaxArticles: number;
  /** How often due briefs and new articles for watches are checked; 0: never on a timer. */
  checkIntervalMs: number;
  /**
   * Articles written less than this long ago wait for the next check: a write still committing
   * (a batch, another process's ingest) is never passed over by a cursor.
   */
  settleMs: number;
  /** Most watches one member may have. */
  maxWatchesPerUser: number;
  /** Most alerts one watch posts per check (more new articles are learned, not posted). */
  maxAlertsPerCheck: number;
  /** Most articles of delivering feeds posted to one channel per check; the rest are listed in one summary message. */
  feedMaxPostsPerPoll: number;
}

/** What DEFAULTS holds: one value for every setting that has a default. */
export interface Defaults {
  dataDir: string;
  databaseSchema: string;
  databaseRetrySeconds: number;
  corpusDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  logFormat: 'text' | 'json';
  healthHost: string;
  fetchTimeoutMs: number;
  feedPollMinutes: number;
  allowPrivateFetch: boolean;
  ingestTimeoutMinutes: number;
  embedding: Omit<EmbeddingSettings, 'modelDir' | 'cacheDir'>;
  retrieval: RetrievalSettings;
  llm: Omit<LlmSettings, 'apiKey' | 'baseURL'>;
  discord: DiscordDefaults;
  deliveries: DeliverySettings;
}

/**
 * Every default, in one place: the config's schema takes its defaults from here, and every
 * adapter that can be built without the config (the embedder, the chat model, the prompt, the
 * LLM answerer, the retrieval settings of the eval and bench) fills what it is not given from
 * here too. Changing one here changes it for all of them, so the figures the eval and bench
 * print are the bot's.
 */
export const DEFAULTS = {
  dataDir: './data',
  databaseSchema: 'newsbot',
  /** How long a PostgreSQL write retries a lost connection (reads: at most 10 s of it). */
  databaseRetrySeconds: 60,
  corpusDir: './corpus',
  logLevel: 'info',
  logFormat: 'text',
  /** The health and metrics server listens on loopback only unless configured (a container sets 0.0.0.0). */
  healthHost: '127.0.0.1',
  fetchTimeoutMs: 15_000,
  feedPollMinutes: 30,
  allowPrivateFetch: false,
  ingestTimeoutMinutes: 10,
  embedding: {
    model: 'Xenova/all-MiniLM-L6-v2',
    allowRemote: true,
    batchSize: 8,
    loadTimeoutMs: 60_000,
  },
  retrieval: {
    mode: 'hybrid',
    topK: 5,
    maxPassagesPerArticle: 2,
    efSearch: 256,
    /**
     * Weight of the vector list in hybrid fusion (0: lexical order, 1: vector order); see fusion.ts.
     * Fitted on the first half of rtqa-2024 with GloVe, checked on the second (docs/evaluation.md).
     */
    vectorWeight: 0.3,
  },
  llm: {
    model: 'gpt-4o-mini',
    timeoutMs: 30_000,
    maxAttempts: 3,
    maxPassages: 8,
    contextChars: 12_000,
    maxTokens: 600,
    temperature: 0.1,
    rewriteTimeoutMs: 5_000,
    answerTimeoutMs: 60_000,
    /** Three Discord messages. */
    maxAnswerChars: 6_000,
  },
  discord: {
    apiUrl: 'https://discord.com/api',
    registerCommands: false,
    rateLimitPerMinute: 6,
    maxConcurrent: 4,
    maxQueued: 50,
    editIntervalMs: 1_000,
  },
  deliveries: {
    briefMaxItems: 5,
    briefMaxArticles: 200,
    checkIntervalMs: 60_000,
    settleMs: 30_000,
    maxWatchesPerUser: 10,
    maxAlertsPerCheck: 3,
    feedMaxPostsPerPoll: 5,
  },
} as const satisfies Defaults;

/** Retrieval settings with every one not given (or given as undefined) taken from DEFAULTS.retrieval. */
export function retrievalSettings(given: { [K in keyof RetrievalSettings]?: RetrievalSettings[K] | undefined } = {}): RetrievalSettings {
  const d = DEFAULTS.retrieval;
  return {
    mode: given.mode ?? d.mode,
    topK: given.topK ?? d.topK,
    maxPassagesPerArticle: given.maxPassagesPerArticle ?? d.maxPassagesPerArticle,
    efSearch: given.efSearch ?? d.efSearch,
    vectorWeight: given.vectorWeight ?? d.vectorWeight,
  };
}

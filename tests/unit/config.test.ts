import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { DEFAULTS } from '../../src/config/defaults.js';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({}, '/srv/bot');
    expect(config.dataDir).toBe(path.resolve('/srv/bot/data'));
    expect(config.embedding.model).toBe('Xenova/all-MiniLM-L6-v2');
    expect(config.embedding.modelDir).toBeUndefined();
    expect(config.retrieval).toEqual({ mode: 'hybrid', topK: 5, maxPassagesPerArticle: 2, efSearch: 256, vectorWeight: 0.3 });
    expect(config.discord.token).toBeUndefined();
    expect(config.ingestTimeoutMinutes).toBe(10);
  });

  it('takes the retrieval defaults from the one shared object', () => {
    const { retrieval } = loadConfig({}, '/srv/bot');
    expect(retrieval).toEqual({
      mode: DEFAULTS.retrieval.mode,
      topK: DEFAULTS.retrieval.topK,
      maxPassagesPerArticle: DEFAULTS.retrieval.maxPassagesPerArticle,
      efSearch: DEFAULTS.retrieval.efSearch,
      vectorWeight: DEFAULTS.retrieval.vectorWeight,
    });
  });

  it('takes every default from DEFAULTS', () => {
    const config = loadConfig({ OPENAI_BASE_URL: 'http://localhost:1' }, '/srv/bot');
    expect(config.embedding).toEqual({ ...DEFAULTS.embedding, modelDir: undefined, cacheDir: undefined });
    expect(config.llm).toEqual({ ...DEFAULTS.llm, apiKey: undefined, baseURL: 'http://localhost:1' });
    expect(config.discord).toMatchObject(DEFAULTS.discord);
    expect(config.deliveries).toEqual(DEFAULTS.deliveries);
    expect(config).toMatchObject({
      dataDir: path.resolve('/srv/bot', DEFAULTS.dataDir),
      corpusDir: path.resolve('/srv/bot', DEFAULTS.corpusDir),
      logLevel: DEFAULTS.logLevel,
      fetchTimeoutMs: DEFAULTS.fetchTimeoutMs,
      feedPollMinutes: DEFAULTS.feedPollMinutes,
      allowPrivateFetch: DEFAULTS.allowPrivateFetch,
      ingestTimeoutMinutes: DEFAULTS.ingestTimeoutMinutes,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }, '/x').database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db', schema: DEFAULTS.databaseSchema, retrySeconds: DEFAULTS.databaseRetrySeconds });
  });

  it('reads the hybrid vector weight and rejects one outside 0-1', () => {
    expect(loadConfig({ HYBRID_VECTOR_WEIGHT: '0.7' }, '/x').retrieval.vectorWeight).toBe(0.7);
    expect(loadConfig({ HYBRID_VECTOR_WEIGHT: '' }, '/x').retrieval.vectorWeight).toBe(DEFAULTS.retrieval.vectorWeight);
    expect(() => loadConfig({ HYBRID_VECTOR_WEIGHT: '1.5' }, '/x')).toThrow(/HYBRID_VECTOR_WEIGHT/);
    expect(() => loadConfig({ HYBRID_VECTOR_WEIGHT: 'half' }, '/x')).toThrow(/HYBRID_VECTOR_WEIGHT/);
  });

  it('reads values and treats empty strings as unset', () => {
    const config = loadConfig({ TOP_K: '8', RETRIEVAL_MODE: 'lexical', EMBEDDING_MODEL_DIR: 'models', EMBEDDING_CACHE_DIR: 'data/models', DISCORD_TOKEN: '', EMBEDDING_ALLOW_REMOTE: 'false' }, '/x');
    expect(config.retrieval.topK).toBe(8);
    expect(config.retrieval.mode).toBe('lexical');
    expect(config.embedding.modelDir).toBe(path.resolve('/x/models'));
    expect(config.embedding.cacheDir).toBe(path.resolve('/x/data/models'));
    expect(config.embedding.allowRemote).toBe(false);
    expect(config.discord.token).toBeUndefined();
  });

  it('reads the brief and watch settings (seconds into milliseconds; a 0 check interval turns the timer off)', () => {
    const config = loadConfig({ BRIEF_MAX_ITEMS: '8', BRIEF_MAX_ARTICLES: '50', DELIVERY_CHECK_SECONDS: '0', DELIVERY_SETTLE_SECONDS: '5', WATCH_MAX_PER_USER: '3', WATCH_MAX_ALERTS_PER_CHECK: '2', FEED_MAX_POSTS_PER_POLL: '7' }, '/x');
    expect(config.deliveries).toEqual({ briefMaxItems: 8, briefMaxArticles: 50, checkIntervalMs: 0, settleMs: 5_000, maxWatchesPerUser: 3, maxAlertsPerCheck: 2, feedMaxPostsPerPoll: 7 });
    expect(() => loadConfig({ BRIEF_MAX_ITEMS: '0' }, '/x')).toThrow(/BRIEF_MAX_ITEMS/);
    expect(() => loadConfig({ DELIVERY_CHECK_SECONDS: 'often' }, '/x')).toThrow(/DELIVERY_CHECK_SECONDS/);
  });

  it('reads the follow-up rewrite timeout (0 turns the rewrite off)', () => {
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).llm?.rewriteTimeoutMs).toBe(5_000);
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_REWRITE_TIMEOUT_MS: '0' }).llm?.rewriteTimeoutMs).toBe(0);
    expect(() => loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_REWRITE_TIMEOUT_MS: '-5' })).toThrow(/LLM_REWRITE_TIMEOUT_MS/);
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).llm).toMatchObject({ answerTimeoutMs: 60_000, maxAnswerChars: 6_000 });
    expect(() => loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_MAX_ANSWER_CHARS: '10' })).toThrow(/LLM_MAX_ANSWER_CHARS/);
  });

  it('reads the owner servers (OWNER_GUILD_IDS), none by default, and rejects what is not a server id', () => {
    expect(loadConfig({}).discord.ownerGuildIds).toEqual([]);
    expect(loadConfig({ OWNER_GUILD_IDS: '222222222222222222, 333333333333333333' }).discord.ownerGuildIds).toEqual(['222222222222222222', '333333333333333333']);
    expect(() => loadConfig({ OWNER_GUILD_IDS: 'my-server' })).toThrow(/OWNER_GUILD_IDS/);
  });

  it('fails naming the bad variables', () => {
    expect(() => loadConfig({ TOP_K: 'many', RETRIEVAL_MODE: 'magic' })).toThrow(ConfigError);
    // One error names every bad variable.
    expect(() => loadConfig({ TOP_K: '0', RETRIEVAL_MODE: 'magic' })).toThrow(/TOP_K[\s\S]*RETRIEVAL_MODE|RETRIEVAL_MODE[\s\S]*TOP_K/);
    expect(loadConfig({ INGEST_TIMEOUT_MINUTES: '45' }).ingestTimeoutMinutes).toBe(45);
    for (const bad of ['0', '-5', 'soon', '1.5']) expect(() => loadConfig({ INGEST_TIMEOUT_MINUTES: bad }), bad).toThrow(/INGEST_TIMEOUT_MINUTES/);
  });

  it('reads sharding: DISCORD_SHARDS=auto|N, and SHARD_IDS with SHARD_COUNT for one machine\'s part', () => {
    expect(loadConfig({}).discord.sharding).toBeNull();
    expect(loadConfig({ DISCORD_SHARDS: '', SHARD_COUNT: '', SHARD_IDS: ' ' }).discord.sharding).toBeNull();
    expect(loadConfig({ DISCORD_SHARDS: 'auto' }).discord.sharding).toEqual({ totalShards: 'auto', shardIds: null });
    expect(loadConfig({ DISCORD_SHARDS: 'AUTO' }).discord.sharding).toEqual({ totalShards: 'auto', shardIds: null });
    expect(loadConfig({ DISCORD_SHARDS: '4' }).discord.sharding).toEqual({ totalShards: 4, shardIds: null });
    expect(loadConfig({ DISCORD_SHARDS: '4', SHARD_COUNT: '4', SHARD_IDS: '2, 3' }).discord.sharding).toEqual({ totalShards: 4, shardIds: [2, 3] });
    // With auto, a fixed total (every machine must agree on it) replaces Discord's recommendation.
    expect(loadConfig({ DISCORD_SHARDS: 'auto', SHARD_COUNT: '6', SHARD_IDS: '0,1,2' }).discord.sharding).toEqual({ totalShards: 6, shardIds: [0, 1, 2] });
  });

  it('fails fast on inconsistent sharding variables, naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ DISCORD_SHARDS: 'many' }, /DISCORD_SHARDS: must be "auto" or a number/],
      [{ DISCORD_SHARDS: '0' }, /DISCORD_SHARDS/],
      [{ DISCORD_SHARDS: '2.5' }, /DISCORD_SHARDS/],
      [{ DISCORD_SHARDS: 'auto', SHARD_IDS: '0,1' }, /SHARD_IDS: needs SHARD_COUNT/],
      [{ DISCORD_SHARDS: '4', SHARD_IDS: '0' }, /SHARD_IDS: needs SHARD_COUNT/],
      [{ DISCORD_SHARDS: '4', SHARD_COUNT: '4', SHARD_IDS: '3,4,7' }, /SHARD_IDS: ids must be below SHARD_COUNT \(4\); got 4, 7/],
      [{ DISCORD_SHARDS: '4', SHARD_COUNT: '4', SHARD_IDS: '1,1' }, /SHARD_IDS: lists a shard id twice/],
      [{ DISCORD_SHARDS: '4', SHARD_COUNT: '4', SHARD_IDS: 'one' }, /SHARD_IDS(\.0)?: must be comma-separated shard ids/],
      [{ DISCORD_SHARDS: '4', SHARD_COUNT: '4', SHARD_IDS: ', ,' }, /SHARD_IDS: must list at least one shard id/],
      [{ DISCORD_SHARDS: '4', SHARD_COUNT: '8' }, /SHARD_COUNT: is 8 but DISCORD_SHARDS is 4/],
      [{ DISCORD_SHARDS: 'auto', SHARD_COUNT: '0' }, /SHARD_COUNT/],
      [{ SHARD_COUNT: '2' }, /SHARD_COUNT: needs DISCORD_SHARDS/],
      [{ SHARD_IDS: '0', SHARD_COUNT: '2' }, /SHARD_IDS: needs DISCORD_SHARDS/],
    ];
    for (const [env, message] of bad) expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { RETRIEVAL_DEFAULTS } from '../../src/retrieval/defaults.js';

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
      mode: RETRIEVAL_DEFAULTS.mode,
      topK: RETRIEVAL_DEFAULTS.topK,
      maxPassagesPerArticle: RETRIEVAL_DEFAULTS.maxPassagesPerArticle,
      efSearch: RETRIEVAL_DEFAULTS.efSearch,
      vectorWeight: RETRIEVAL_DEFAULTS.vectorWeight,
    });
  });

  it('reads the hybrid vector weight and rejects one outside 0-1', () => {
    expect(loadConfig({ HYBRID_VECTOR_WEIGHT: '0.7' }, '/x').retrieval.vectorWeight).toBe(0.7);
    expect(loadConfig({ HYBRID_VECTOR_WEIGHT: '' }, '/x').retrieval.vectorWeight).toBe(RETRIEVAL_DEFAULTS.vectorWeight);
    expect(() => loadConfig({ HYBRID_VECTOR_WEIGHT: '1.5' }, '/x')).toThrow(/HYBRID_VECTOR_WEIGHT/);
    expect(() => loadConfig({ HYBRID_VECTOR_WEIGHT: 'half' }, '/x')).toThrow(/HYBRID_VECTOR_WEIGHT/);
  });

  it('reads values and treats empty strings as unset', () => {
    const config = loadConfig({ TOP_K: '8', RETRIEVAL_MODE: 'lexical', EMBEDDING_MODEL_DIR: 'models', DISCORD_TOKEN: '', EMBEDDING_ALLOW_REMOTE: 'false' }, '/x');
    expect(config.retrieval.topK).toBe(8);
    expect(config.retrieval.mode).toBe('lexical');
    expect(config.embedding.modelDir).toBe(path.resolve('/x/models'));
    expect(config.embedding.allowRemote).toBe(false);
    expect(config.discord.token).toBeUndefined();
  });

  it('reads the follow-up rewrite timeout (0 turns the rewrite off)', () => {
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).llm?.rewriteTimeoutMs).toBe(5_000);
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_REWRITE_TIMEOUT_MS: '0' }).llm?.rewriteTimeoutMs).toBe(0);
    expect(() => loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_REWRITE_TIMEOUT_MS: '-5' })).toThrow(/LLM_REWRITE_TIMEOUT_MS/);
  });

  it('fails naming the bad variables', () => {
    expect(() => loadConfig({ TOP_K: 'many', RETRIEVAL_MODE: 'magic' })).toThrow(ConfigError);
    // One error names every bad variable.
    expect(() => loadConfig({ TOP_K: '0', RETRIEVAL_MODE: 'magic' })).toThrow(/TOP_K[\s\S]*RETRIEVAL_MODE|RETRIEVAL_MODE[\s\S]*TOP_K/);
    expect(loadConfig({ INGEST_TIMEOUT_MINUTES: '45' }).ingestTimeoutMinutes).toBe(45);
    for (const bad of ['0', '-5', 'soon', '1.5']) expect(() => loadConfig({ INGEST_TIMEOUT_MINUTES: bad }), bad).toThrow(/INGEST_TIMEOUT_MINUTES/);
  });
});

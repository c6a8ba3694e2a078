import { DEFAULTS } from '../config/defaults.js';
import { EmbedderUnavailableError, describeError } from '../core/errors.js';
import type { Embedder } from '../core/embedder.js';

/** Options for the transformers.js embedder. */
export interface TransformersEmbedderOptions {
  /** Model id, e.g. "Xenova/all-MiniLM-L6-v2" or "test/bert-random-tiny" under modelDir. */
  model: string;
  /** Local models root (transformers.js env.localModelPath). */
  modelDir?: string | undefined;
  /** Allow downloading from the Hugging Face hub when the model is not local. */
  allowRemote?: boolean;
  /** Texts per forward pass (default DEFAULTS.embedding.batchSize). */
  batchSize?: number;
  /** Give up loading after this long. */
  loadTimeoutMs?: number;
  /** Cache folder for downloaded models. */
  cacheDir?: string | undefined;
}

type FeatureExtractor = (
  texts: string[],
  options: { pooling: 'mean'; normalize: boolean },
) => Promise<{ data: Float32Array; dims: number[] }>;

/**
 * Loads a sentence-embedding model with @xenova/transformers (mean pooling, normalized).
 * Throws EmbedderUnavailableError when it cannot be loaded, e.g. offline without local files.
 */
export async function loadTransformersEmbedder(options: TransformersEmbedderOptions): Promise<Embedder> {
  const batchSize = options.batchSize ?? DEFAULTS.embedding.batchSize;
  const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULTS.embedding.loadTimeoutMs;
  let extractor: FeatureExtractor;
  try {
    const transformers = await import('@xenova/transformers');
    const { env, pipeline } = transformers;
    if (options.modelDir) env.localModelPath = options.modelDir.endsWith('/') ? options.modelDir : options.modelDir + '/';
    env.allowLocalModels = true;
    env.allowRemoteModels = options.allowRemote ?? DEFAULTS.embedding.allowRemote;
    if (options.cacheDir) env.cacheDir = options.cacheDir;
    const loading = pipeline('feature-extraction', options.model, { quantized: true }) as Promise<unknown>;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${loadTimeoutMs} ms`)), loadTimeoutMs);
      timer.unref();
    });
    try {
      extractor = (await Promise.race([loading, timeout])) as FeatureExtractor;
    } finally {
      clearTimeout(timer);
    }
  } catch (error) {
    throw new EmbedderUnavailableError(
      `embedding model "${options.model}" could not be loaded (${describeError(error).split('\n')[0]})`,
      { cause: error },
    );
  }
  const probe = await extractor(['dimension probe'], { pooling: 'mean', normalize: true });
  const dimension = probe.dims[probe.dims.length - 1] ?? 0;
  if (!dimension) throw new EmbedderUnavailableError(`embedding model "${options.model}" returned no vector`);

  return {
    modelId: options.model,
    dimension,
    async embed(texts: string[]): Promise<Float32Array[]> {
      // Batch texts of similar length together: padding to the longest text in a batch is wasted work.
      const order = texts.map((t, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
      const out: Float32Array[] = new Array<Float32Array>(texts.length);
      for (let i = 0; i < order.length; i += batchSize) {
        const ids = order.slice(i, i + batchSize);
        const result = await extractor(ids.map((id) => texts[id]!), { pooling: 'mean', normalize: true });
        ids.forEach((id, j) => (out[id] = result.data.slice(j * dimension, (j + 1) * dimension)));
      }
      return out;
    },
  };
}

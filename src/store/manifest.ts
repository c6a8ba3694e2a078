import { StoreModelMismatchError, StoreSchemaError } from '../core/errors.js';
import type { StoreManifest } from './ports.js';

/** Bump on any change to either backend's tables. */
export const STORE_SCHEMA_VERSION = 1;

/** How a store is opened: the embedder in use and the chunker that cut the passages. */
export interface ManifestExpectation {
  /** The embedder in use (model id and dimension), or null when only lexical search is available. */
  embedding: { modelId: string; dimension: number } | null;
  chunkerVersion: number;
}

const REINGEST = 'Re-ingest with `npm run ingest -- --rebuild` (or delete the data folder) to rebuild it.';

/**
 * Reads a manifest from a store's key/value metadata and checks it against how the store is
 * being opened. Throws StoreSchemaError or StoreModelMismatchError with the way out.
 */
export function checkManifest(meta: ReadonlyMap<string, string>, expected: ManifestExpectation, where: string): StoreManifest {
  const schemaVersion = Number(meta.get('schema_version') ?? STORE_SCHEMA_VERSION);
  if (schemaVersion !== STORE_SCHEMA_VERSION) {
    throw new StoreSchemaError(
      `the store in ${where} has schema version ${schemaVersion}; this version reads ${STORE_SCHEMA_VERSION}. ` +
        'Re-ingest: run `npm run ingest -- --rebuild`.',
    );
  }
  const manifest: StoreManifest = {
    schemaVersion,
    embeddingModel: meta.get('embedding_model') ?? null,
    dimension: meta.has('embedding_dimension') ? Number(meta.get('embedding_dimension')) : null,
    chunkerVersion: Number(meta.get('chunker_version') ?? expected.chunkerVersion),
  };
  if (manifest.chunkerVersion !== expected.chunkerVersion) {
    throw new StoreModelMismatchError(
      `the store in ${where} was chunked by chunker version ${manifest.chunkerVersion}, this version uses ${expected.chunkerVersion}. ${REINGEST}`,
    );
  }
  const emb = expected.embedding;
  if (emb && manifest.embeddingModel && (manifest.embeddingModel !== emb.modelId || manifest.dimension !== emb.dimension)) {
    throw new StoreModelMismatchError(
      `the store in ${where} was built with embedding model "${manifest.embeddingModel}" (dimension ${manifest.dimension}), ` +
        `but EMBEDDING_MODEL is "${emb.modelId}" (dimension ${emb.dimension}). ${REINGEST}`,
    );
  }
  return manifest;
}

/** Throws when a vector does not have the store's dimension. */
export function checkDimension(manifest: StoreManifest, vector: Float32Array): void {
  if (manifest.dimension !== null && vector.length !== manifest.dimension) {
    throw new StoreModelMismatchError(`vector of dimension ${vector.length} for a store of dimension ${manifest.dimension}`);
  }
}

/** A vector as bytes (float32, platform order) for storage. */
export function vectorToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Stored bytes back to a vector (copied: the buffer may be reused by the driver). */
export function bytesToVector(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/**
 * Turns texts into unit-length vectors. The port every embedding adapter implements
 * (src/retrieval/transformers-embedder.ts), used by retrieval and by ingest alike.
 */
export interface Embedder {
  /** Model identifier recorded in the store manifest. */
  readonly modelId: string;
  /** Vector length. */
  readonly dimension: number;
  /** Embeds texts in order; vectors are L2-normalized. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Releases model resources. */
  close?(): Promise<void>;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared beside the repository (test models and eval data); absent on a user's machine. */
export const SHARED = path.resolve(REPO, '../shared');
/** Models root for transformers.js (env.localModelPath). */
export const MODELS_DIR = path.join(SHARED, 'models');
/** The tiny random-weight model: fast, real tokenizer, meaningless vectors. */
export const TINY_MODEL = 'test/bert-random-tiny';
export const HAS_TINY_MODEL = fs.existsSync(path.join(MODELS_DIR, TINY_MODEL, 'onnx', 'model_quantized.onnx'));
/** The random-weight model with all-MiniLM-L6-v2's shape and cost (384 dims). */
export const MINILM_MODEL = 'test/bert-random-minilm-shape';
export const HAS_MINILM_MODEL = fs.existsSync(path.join(MODELS_DIR, MINILM_MODEL, 'onnx', 'model_quantized.onnx'));
/** RealTime QA articles of May 2024 (third-party text: read at test time, never copied into the repo). */
export const RTQA_2024_05_ARTICLES = path.join(SHARED, 'eval', 'rtqa-2024-05', 'articles.jsonl.gz');
/** Why model tests are skipped, printed once so a skipped run says so. */
export const NO_MODEL_REASON = `skipped: ${path.join(MODELS_DIR, TINY_MODEL)} not found (../shared is absent); model tests need the local test model`;
if (!HAS_TINY_MODEL) console.warn(NO_MODEL_REASON);

/** The seed article in corpus/. */
export const SEED_FILE = path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt');

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'newsbot-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic unit vector from a seed (for store tests that need no model). */
export function unitVector(dimension: number, seed: number): Float32Array {
  const v = new Float32Array(dimension);
  let x = seed * 9301 + 49297;
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    x = (x * 9301 + 49297) % 233280;
    v[i] = x / 233280 - 0.5;
    norm += v[i]! * v[i]!;
  }
  const n = Math.sqrt(norm);
  for (let i = 0; i < dimension; i++) v[i]! /= n;
  return v;
}

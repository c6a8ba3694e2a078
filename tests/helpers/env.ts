import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

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
// CI (.ci/run) sets NEWSBOT_REQUIRE_TEST_MODELS: there a missing model fails the run instead of skipping tests.
if (!HAS_TINY_MODEL && process.env['NEWSBOT_REQUIRE_TEST_MODELS']) {
  throw new Error(`${path.join(MODELS_DIR, TINY_MODEL)} not found, and NEWSBOT_REQUIRE_TEST_MODELS (set by CI) forbids skipping the model tests`);
}
if (!HAS_TINY_MODEL) console.warn(NO_MODEL_REASON);

/** RealTime QA articles of May 2024 (third-party text: read at test time, never copied into the repo). */
export const RTQA_05_ARTICLES = path.join(SHARED, 'eval', 'rtqa-2024-05', 'articles.jsonl.gz');
export const HAS_RTQA_05 = fs.existsSync(RTQA_05_ARTICLES);
/** Why tests over real news are skipped. */
export const NO_RTQA_REASON = `skipped: ${RTQA_05_ARTICLES} not found (../shared is absent); tests over real news need it`;
if (!HAS_RTQA_05) console.warn(NO_RTQA_REASON);

/** Writes the first `count` articles of rtqa-2024-05 to `<dir>/rtqa-sample.jsonl` (a temporary folder); returns the file. */
export function writeRtqaSample(dir: string, count: number): string {
  const lines = zlib.gunzipSync(fs.readFileSync(RTQA_05_ARTICLES)).toString('utf8').split('\n').filter((line) => line.trim());
  const file = path.join(dir, 'rtqa-sample.jsonl');
  fs.writeFileSync(file, lines.slice(0, count).join('\n') + '\n');
  return file;
}

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

/** True while a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

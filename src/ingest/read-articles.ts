import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ArticleParseError, describeError } from '../core/errors.js';
import type { Article } from '../core/types.js';
import { buildArticle, type Origin, type RawArticle } from './article-fields.js';
import { parseHtmlArticle } from './formats/html.js';
import { parseMarkdownArticle } from './formats/markdown.js';
import { parseRecord } from './formats/record.js';
import { parseTextArticle } from './formats/text.js';

/** One outcome of reading sources: an article, or something skipped with its reason. */
export type ReadResult =
  | { kind: 'article'; article: Article; file: string }
  | { kind: 'skipped'; origin: string; reason: string; file: string };

/** Limits that protect ingest from hostile or broken files. */
export interface ReadOptions {
  /** Largest single-article file (bytes, after decompression). */
  maxFileBytes?: number;
  /** Largest JSONL line (bytes). */
  maxLineBytes?: number;
}

const SINGLE_EXTENSIONS = new Set(['.txt', '.text', '.md', '.markdown', '.html', '.htm', '.json']);
const STREAM_EXTENSIONS = new Set(['.jsonl', '.ndjson']);

/** Format of a file by its name, looking through a trailing .gz. */
export function formatOf(file: string): { ext: string; gzip: boolean } {
  const lower = file.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const ext = path.extname(gzip ? lower.slice(0, -3) : lower);
  return { ext, gzip };
}

/** True when a file has an extension ingest knows how to read. */
export function isSupportedFile(file: string): boolean {
  const { ext } = formatOf(file);
  return SINGLE_EXTENSIONS.has(ext) || STREAM_EXTENSIONS.has(ext);
}

/** Recursively lists supported files under the given paths, sorted, skipping dotfiles. */
export async function listSourceFiles(paths: string[]): Promise<{ files: string[]; missing: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = async (p: string): Promise<void> => {
    let stat;
    try {
      stat = await fs.stat(p);
    } catch {
      missing.push(p);
      return;
    }
    if (stat.isDirectory()) {
      const entries = await fs.readdir(p);
      for (const entry of entries.sort()) {
        if (entry.startsWith('.')) continue;
        await walk(path.join(p, entry));
      }
    } else if (stat.isFile()) {
      files.push(p);
    }
  };
  for (const p of paths) await walk(p);
  return { files, missing };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes as UTF-8, refusing binary data and invalid sequences with a clear reason. */
export function decodeText(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) throw new ArticleParseError('binary file (contains NUL bytes)');
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ArticleParseError('not valid UTF-8 text');
  }
}

/** Parses a file into its articles; each is a thunk so one bad record does not sink the others. */
function parseSingle(ext: string, content: string): (() => RawArticle)[] {
  switch (ext) {
    case '.md':
    case '.markdown':
      return [() => parseMarkdownArticle(content)];
    case '.html':
    case '.htm':
      return [() => parseHtmlArticle(content)];
    case '.json': {
      let data: unknown;
      try {
        data = JSON.parse(content);
      } catch (error) {
        throw new ArticleParseError(`invalid JSON: ${describeError(error)}`);
      }
      const items = Array.isArray(data)
        ? data
        : data && typeof data === 'object' && Array.isArray((data as { articles?: unknown }).articles)
          ? (data as { articles: unknown[] }).articles
          : [data];
      return items.map((item) => () => parseRecord(item));
    }
    default:
      return [() => parseTextArticle(content)];
  }
}

/**
 * Reads articles from files and directories. Every file or record that cannot be used is
 * yielded as `skipped` with a reason; nothing throws for bad input. Articles without an id or URL
 * get an id from their path relative to the folder given, so it stays stable if the folder moves.
 */
export async function* readArticles(paths: string[], options: ReadOptions = {}): AsyncGenerator<ReadResult> {
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  const maxLineBytes = options.maxLineBytes ?? 5 * 1024 * 1024;
  for (const input of paths) {
    const { files, missing } = await listSourceFiles([input]);
    for (const m of missing) yield { kind: 'skipped', origin: m, reason: 'no such file or directory', file: m };
    const base = files.length === 1 && files[0] === input ? path.dirname(input) : input;
    for (const file of files) {
      const rel = path.relative(base, file) || path.basename(file);
      const label = path.relative(process.cwd(), file) || file;
      if (!isSupportedFile(file)) {
        yield { kind: 'skipped', origin: label, reason: `unsupported file type "${path.extname(file) || '(none)'}"`, file };
        continue;
      }
      const { ext, gzip } = formatOf(file);
      const defaultSource = path.basename(path.resolve(base)) || 'corpus';
      if (STREAM_EXTENSIONS.has(ext)) {
        yield* readJsonLines(file, label, rel, defaultSource, gzip, maxLineBytes);
        continue;
      }
      let raws: (() => RawArticle)[];
      try {
        const stat = await fs.stat(file);
        if (!gzip && stat.size > maxFileBytes) {
          throw new ArticleParseError(`file too large (${(stat.size / 1048576).toFixed(1)} MB > ${(maxFileBytes / 1048576).toFixed(0)} MB)`);
        }
        let bytes: Uint8Array = await fs.readFile(file);
        if (gzip) {
          try {
            bytes = gunzipSync(bytes, { maxOutputLength: maxFileBytes });
          } catch (error) {
            throw new ArticleParseError(`cannot decompress: ${describeError(error)}`);
          }
        }
        if (bytes.length === 0) throw new ArticleParseError('empty file');
        raws = parseSingle(ext, decodeText(bytes));
      } catch (error) {
        yield { kind: 'skipped', origin: label, reason: reasonOf(error), file };
        continue;
      }
      for (let i = 0; i < raws.length; i++) {
        const suffix = raws.length > 1 ? `#${i + 1}` : '';
        const origin: Origin = { label: label + suffix, key: rel + suffix, defaultSource };
        try {
          yield { kind: 'article', article: buildArticle(raws[i]!(), origin), file };
        } catch (error) {
          yield { kind: 'skipped', origin: origin.label, reason: reasonOf(error), file };
        }
      }
    }
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof ArticleParseError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file vanished while being read';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `unreadable: ${describeError(error)}`;
}

async function* readJsonLines(
  file: string,
  label: string,
  rel: string,
  defaultSource: string,
  gzip: boolean,
  maxLineBytes: number,
): AsyncGenerator<ReadResult> {
  let lineNo = 0;
  try {
    const stream = createReadStream(file);
    const input = gzip ? stream.pipe(createGunzip()) : stream;
    stream.on('error', (error) => input.destroy(error));
    const lines = createInterface({ input, crlfDelay: Infinity });
    for await (const line of lines) {
      lineNo++;
      if (!line.trim()) continue;
      const origin: Origin = { label: `${label}#${lineNo}`, key: `${rel}#${lineNo}`, defaultSource };
      if (line.length > maxLineBytes) {
        yield { kind: 'skipped', origin: origin.label, reason: 'record too large', file };
        continue;
      }
      try {
        let data: unknown;
        try {
          data = JSON.parse(line);
        } catch (error) {
          throw new ArticleParseError(`invalid JSON: ${describeError(error)}`);
        }
        yield { kind: 'article', article: buildArticle(parseRecord(data), origin), file };
      } catch (error) {
        yield { kind: 'skipped', origin: origin.label, reason: reasonOf(error), file };
      }
    }
  } catch (error) {
    yield { kind: 'skipped', origin: lineNo ? `${label}#${lineNo}` : label, reason: reasonOf(error), file };
  }
}

import { constants as fsConstants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ArticleParseError, describeError } from '../core/errors.js';
import type { Article } from '../core/types.js';
import { buildArticle, type Origin, type RawArticle } from './article-fields.js';
import { extractHtmlArticle, type HtmlLimits } from './formats/html.js';
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
  /** Largest JSONL line (bytes); a longer line is skipped without being held in memory. */
  maxLineBytes?: number;
  /**
   * Most bytes a compressed stream (.jsonl.gz) may inflate to per compressed byte read, checked
   * once it has produced `inflateGraceBytes`: a decompression bomb is stopped, not read to the end.
   */
  maxInflateRatio?: number;
  inflateGraceBytes?: number;
  /** Limits on HTML extraction. */
  html?: HtmlLimits;
  /**
   * Told how many results the read will yield, once the folders are listed, when that is known
   * without reading the files (every file holds one article); not called otherwise.
   */
  onPlanned?: (count: number) => void;
}

/** Default read limits. */
export const READ_LIMITS: Required<Omit<ReadOptions, 'html' | 'onPlanned'>> = {
  maxFileBytes: 10 * 1024 * 1024,
  maxLineBytes: 5 * 1024 * 1024,
  maxInflateRatio: 100,
  inflateGraceBytes: 16 * 1024 * 1024,
} as const;

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

/** A file found by the scan: the path as walked (labels, ids) and what it really is. */
export interface SourceFile {
  path: string;
  /** The real path (no symbolic links), inside the scanned folder. */
  real: string;
  /** Device and inode at scan time: the file opened later must be the same one. */
  dev: number;
  ino: number;
}

/** What a scan found: files, paths that do not exist, and entries not followed (with why). */
export interface SourceListing {
  files: SourceFile[];
  missing: string[];
  skipped: { path: string; reason: string }[];
}

function isInside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Recursively lists files under the given paths, sorted, skipping dotfiles. Symbolic links are
 * followed only when they point inside the scanned folder (a link to /etc/passwd is listed as
 * skipped with the reason), and only after the folder's real entries, so a file is listed under
 * its own path rather than a link's. Every real folder and file is visited once, so links that
 * loop (a -> ., b -> .) cost nothing.
 */
export async function listSourceFiles(paths: string[]): Promise<SourceListing> {
  const listing: SourceListing = { files: [], missing: [], skipped: [] };
  for (const input of paths) {
    let root: string;
    try {
      root = await fs.realpath(input);
    } catch {
      listing.missing.push(input);
      continue;
    }
    const seen = new Set<string>();
    const links: { path: string; at: string }[] = [];
    const visit = async (p: string, real: string, stat: Stats): Promise<void> => {
      if (seen.has(real)) return;
      seen.add(real);
      if (stat.isFile()) {
        listing.files.push({ path: p, real, dev: stat.dev, ino: stat.ino });
        return;
      }
      if (!stat.isDirectory()) return;
      let entries: string[];
      try {
        entries = await fs.readdir(real);
      } catch (error) {
        listing.skipped.push({ path: p, reason: `folder unreadable: ${reasonOf(error)}` });
        return;
      }
      for (const entry of entries.sort()) {
        if (entry.startsWith('.')) continue;
        const at = path.join(real, entry);
        let entryStat: Stats;
        try {
          entryStat = await fs.lstat(at);
        } catch {
          continue; // Vanished during the scan.
        }
        if (entryStat.isSymbolicLink()) links.push({ path: path.join(p, entry), at });
        else await visit(path.join(p, entry), at, entryStat);
      }
    };
    const follow = async (link: { path: string; at: string }): Promise<void> => {
      let real: string;
      try {
        real = await fs.realpath(link.at);
      } catch {
        listing.skipped.push({ path: link.path, reason: 'broken symbolic link' });
        return;
      }
      if (!isInside(real, root)) {
        listing.skipped.push({ path: link.path, reason: 'symbolic link to a path outside the scanned folder (not followed)' });
        return;
      }
      try {
        await visit(link.path, real, await fs.stat(real));
      } catch {
        // Vanished during the scan.
      }
    };
    try {
      await visit(input, root, await fs.stat(root));
    } catch {
      listing.missing.push(input);
    }
    // Links last (those found inside linked folders too), in path order.
    while (links.length) {
      links.sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
      await follow(links.pop()!);
    }
  }
  return listing;
}

/** Opens a listed file without following a link, and checks it is the file the scan found. */
async function openListed(file: SourceFile): Promise<fs.FileHandle> {
  const handle = await fs.open(file.real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  const stat = await handle.stat();
  if (stat.dev !== file.dev || stat.ino !== file.ino) {
    await handle.close();
    throw new ArticleParseError('file was replaced while being read');
  }
  return handle;
}

/**
 * Reads the `size` bytes the file had when checked, refusing a file that has grown since (it is
 * being written): memory stays bounded by the checked size.
 */
async function readChecked(handle: fs.FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size + 1);
  let read = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, read, buffer.length - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
    if (read > size) throw new ArticleParseError('file grew while being read (still being written?)');
  }
  return buffer.subarray(0, read);
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
function parseSingle(ext: string, content: string, options: ReadOptions): (() => RawArticle | Promise<RawArticle>)[] {
  switch (ext) {
    case '.md':
    case '.markdown':
      return [() => parseMarkdownArticle(content)];
    case '.html':
    case '.htm':
      return [() => extractHtmlArticle(content, undefined, options.html)];
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
  const limits = { ...READ_LIMITS, ...options };
  const listings = [];
  for (const input of paths) listings.push({ input, ...(await listSourceFiles([input])) });
  // Each missing path, skipped entry and file yields one result, unless a file holds several records.
  const multiRecord = listings.some((l) => l.files.some((f) => isSupportedFile(f.path) && (STREAM_EXTENSIONS.has(formatOf(f.path).ext) || formatOf(f.path).ext === '.json')));
  if (!multiRecord) options.onPlanned?.(listings.reduce((n, l) => n + l.files.length + l.missing.length + l.skipped.length, 0));
  for (const { input, files, missing, skipped } of listings) {
    for (const m of missing) yield { kind: 'skipped', origin: m, reason: 'no such file or directory', file: m };
    for (const s of skipped) yield { kind: 'skipped', origin: path.relative(process.cwd(), s.path) || s.path, reason: s.reason, file: s.path };
    const base = files.length === 1 && files[0]!.path === input ? path.dirname(input) : input;
    for (const source of files) {
      const file = source.path;
      const rel = path.relative(base, file) || path.basename(file);
      const label = path.relative(process.cwd(), file) || file;
      if (!isSupportedFile(file)) {
        yield { kind: 'skipped', origin: label, reason: `unsupported file type "${path.extname(file) || '(none)'}"`, file };
        continue;
      }
      const { ext, gzip } = formatOf(file);
      const defaultSource = path.basename(path.resolve(base)) || 'corpus';
      if (STREAM_EXTENSIONS.has(ext)) {
        yield* readJsonLines(source, { label, rel, defaultSource, gzip }, limits);
        continue;
      }
      let raws: (() => RawArticle | Promise<RawArticle>)[];
      try {
        const handle = await openListed(source);
        let bytes: Uint8Array;
        try {
          // A compressed file is checked too: inflated, it could not fit the limit anyway, and
          // reading it whole first would cost its full size in memory.
          const stat = await handle.stat();
          if (stat.size > limits.maxFileBytes) {
            throw new ArticleParseError(`${gzip ? 'compressed file' : 'file'} too large (${(stat.size / 1048576).toFixed(1)} MB > ${(limits.maxFileBytes / 1048576).toFixed(0)} MB)`);
          }
          bytes = await readChecked(handle, stat.size);
        } finally {
          await handle.close();
        }
        if (gzip) {
          try {
            bytes = gunzipSync(bytes, { maxOutputLength: limits.maxFileBytes });
          } catch (error) {
            throw new ArticleParseError(`cannot decompress: ${describeError(error)}`);
          }
        }
        if (bytes.length === 0) throw new ArticleParseError('empty file');
        raws = parseSingle(ext, decodeText(bytes), limits);
      } catch (error) {
        yield { kind: 'skipped', origin: label, reason: reasonOf(error), file };
        continue;
      }
      for (let i = 0; i < raws.length; i++) {
        const suffix = raws.length > 1 ? `#${i + 1}` : '';
        const origin: Origin = { label: label + suffix, key: rel + suffix, defaultSource };
        try {
          yield { kind: 'article', article: buildArticle(await raws[i]!(), origin), file };
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

/** A line of a byte stream, or the length of one that was too long to keep. */
type Line = { bytes: Buffer; length: number } | { bytes: null; length: number };

/**
 * Splits a byte stream into lines ("\n"), never holding more than `maxLineBytes` of one line: a
 * longer line is read through and reported by its length only. Memory is bounded by the limit
 * plus one chunk, whatever the input (a 2 GiB line included).
 */
export async function* boundedLines(input: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  for await (const chunk of input) {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline;
      length += end - start;
      if (!tooLong && length > maxLineBytes) {
        tooLong = true;
        parts = [];
      }
      if (!tooLong && end > start) parts.push(chunk.subarray(start, end));
      if (newline < 0) break;
      yield tooLong ? { bytes: null, length } : { bytes: Buffer.concat(parts), length };
      parts = [];
      length = 0;
      tooLong = false;
      start = newline + 1;
    }
  }
  if (length > 0) yield tooLong ? { bytes: null, length } : { bytes: Buffer.concat(parts), length };
}

/** Passes a decompressed stream through, stopping it when it inflates like a decompression bomb. */
async function* inflateGuard(inflated: AsyncIterable<Buffer>, compressedRead: () => number, limits: { maxInflateRatio: number; inflateGraceBytes: number }): AsyncGenerator<Buffer> {
  let out = 0;
  for await (const chunk of inflated) {
    out += chunk.length;
    if (out > limits.inflateGraceBytes && out > compressedRead() * limits.maxInflateRatio) {
      throw new ArticleParseError(
        `stopped reading: ${(out / 1048576).toFixed(0)} MB inflated from ${(compressedRead() / 1048576).toFixed(1)} MB, over ${limits.maxInflateRatio} times (a decompression bomb?)`,
      );
    }
    yield chunk;
  }
}

function megabytes(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${bytes} bytes`;
}

async function* readJsonLines(
  source: SourceFile,
  where: { label: string; rel: string; defaultSource: string; gzip: boolean },
  limits: Required<Omit<ReadOptions, 'html' | 'onPlanned'>>,
): AsyncGenerator<ReadResult> {
  const { label, rel, defaultSource, gzip } = where;
  const file = source.path;
  let lineNo = 0;
  let handle: fs.FileHandle | undefined;
  const streams: Readable[] = [];
  try {
    handle = await openListed(source);
    const raw = handle.createReadStream({ autoClose: false });
    streams.push(raw);
    let input: AsyncIterable<Buffer> = raw;
    if (gzip) {
      const gunzip: Readable = raw.pipe(createGunzip());
      streams.push(gunzip);
      raw.on('error', (error) => gunzip.destroy(error));
      input = inflateGuard(gunzip, () => raw.bytesRead, limits);
    }
    for await (const line of boundedLines(input, limits.maxLineBytes)) {
      lineNo++;
      const origin: Origin = { label: `${label}#${lineNo}`, key: `${rel}#${lineNo}`, defaultSource };
      if (line.bytes === null) {
        yield { kind: 'skipped', origin: origin.label, reason: `record too large (${megabytes(line.length)} > ${megabytes(limits.maxLineBytes)})`, file };
        continue;
      }
      let text: string;
      try {
        text = decodeText(line.bytes);
      } catch (error) {
        yield { kind: 'skipped', origin: origin.label, reason: reasonOf(error), file };
        continue;
      }
      if (!text.trim()) continue;
      try {
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch (error) {
          throw new ArticleParseError(`invalid JSON: ${describeError(error)}`);
        }
        yield { kind: 'article', article: buildArticle(parseRecord(data), origin), file };
      } catch (error) {
        yield { kind: 'skipped', origin: origin.label, reason: reasonOf(error), file };
      }
    }
  } catch (error) {
    yield { kind: 'skipped', origin: label, reason: lineNo ? `after line ${lineNo}: ${reasonOf(error)}` : reasonOf(error), file };
  } finally {
    for (const stream of streams) stream.destroy();
    await handle?.close();
  }
}

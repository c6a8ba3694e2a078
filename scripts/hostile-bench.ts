/**
 * Hostile-input benchmark (issue 15): builds each hostile input in a temporary folder (nothing
 * is committed: a 2 MB gzip of a 2 GiB line, a 9.9 MB JSON record, nested and huge HTML, link
 * loops, ...), ingests it in a fresh process with a time limit, and prints the time, peak memory
 * (max RSS) and what ingest did with it.
 *
 *   npx tsx scripts/hostile-bench.ts [--timeout S] [--only name,name] [--repo DIR]
 *
 * --repo runs another checkout's code on the same inputs (e.g. the code before the fix).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const MB = 1024 * 1024;
const here = path.dirname(new URL(import.meta.url).pathname);

/** Writes `parts` (buffers or a generator of them) through gzip into `file`. */
async function writeGzip(file: string, parts: Iterable<Buffer>): Promise<void> {
  const gzip = zlib.createGzip({ level: 9 });
  const out = fs.createWriteStream(file);
  gzip.pipe(out);
  for (const part of parts) if (!gzip.write(part)) await once(gzip, 'drain');
  gzip.end();
  await once(out, 'close');
}

function* repeated(head: string, unit: Buffer, bytes: number, tail: string): Generator<Buffer> {
  yield Buffer.from(head);
  for (let done = 0; done < bytes; done += unit.length) yield unit;
  yield Buffer.from(tail);
}

const good = (id: string) => JSON.stringify({ id, title: `Good story ${id}`, text: 'The bridge reopened on Monday after a year of repairs, the city said.' }) + '\n';
const sentence = 'The council voted on Tuesday to expand the tram network to the airport, a project expected to cost 1.2 billion euros. ';
const paragraph = (bytes: number) => sentence.repeat(Math.ceil(bytes / sentence.length)).slice(0, bytes);

/** Each case: builds its input folder, then ingest reads that folder. */
const CASES: Record<string, { what: string; build: (dir: string) => Promise<void> | void; options?: Record<string, unknown> }> = {
  'jsonl-gz-2gib-line': {
    what: '2 MB .jsonl.gz inflating to one 2 GiB line, a good file beside it',
    build: async (dir) => {
      await writeGzip(path.join(dir, 'bomb.jsonl.gz'), repeated('{"id":"bomb","text":"', Buffer.alloc(MB, 'a'), 2048 * MB, '"}\n'));
      fs.writeFileSync(path.join(dir, 'good.jsonl'), good('g1'));
    },
  },
  'jsonl-gz-2gib-line-no-inflate-guard': {
    what: 'the same, inflate-ratio guard off: the 2 GiB line is read through by the line limit alone',
    build: (dir) => CASES['jsonl-gz-2gib-line']!.build(dir),
    options: { maxInflateRatio: Number.POSITIVE_INFINITY },
  },
  'jsonl-gz-1gib-short-lines': {
    what: '1 MB .jsonl.gz inflating to 1 GiB of short lines, a good file beside it',
    build: async (dir) => {
      const line = Buffer.from(JSON.stringify({ title: 'Same', text: 'The same short line again.' }) + '\n');
      const unit = Buffer.concat(Array.from({ length: Math.floor(MB / line.length) }, () => line));
      await writeGzip(path.join(dir, 'lines.jsonl.gz'), repeated(good('first'), unit, 1024 * MB, ''));
      fs.writeFileSync(path.join(dir, 'good.jsonl'), good('g1'));
    },
  },
  'jsonl-gz-256mb-short-lines-no-inflate-guard': {
    what: '256 MB of short lines with the inflate-ratio guard off: streamed, memory flat',
    build: async (dir) => {
      const line = Buffer.from(JSON.stringify({ title: 'Same', text: 'The same short line again.' }) + '\n');
      const unit = Buffer.concat(Array.from({ length: Math.floor(MB / line.length) }, () => line));
      await writeGzip(path.join(dir, 'lines.jsonl.gz'), repeated(good('first'), unit, 256 * MB, ''));
    },
    options: { maxInflateRatio: Number.POSITIVE_INFINITY },
  },
  'html-nested-2000': {
    what: 'HTML: divs nested 2,000 deep (22 KB)',
    build: (dir) => fs.writeFileSync(path.join(dir, 'deep.html'), `<html><body>${'<div>'.repeat(2000)}<p>${'Some words of text. '.repeat(20)}</p>${'</div>'.repeat(2000)}</body></html>`),
  },
  'html-page-4.9mb': {
    what: 'HTML: a 4.9 MB page of article markup (sections, divs, links, paragraphs)',
    build: (dir) => {
      const block = `<section class="story"><div class="meta"><a href="/x">Section</a> <span>2025-03-04</span></div><h2>Headline</h2><p>${sentence.repeat(3)}</p><ul><li><a href="/a">Related one</a></li><li><a href="/b">Related two</a></li></ul></section>\n`;
      fs.writeFileSync(path.join(dir, 'page.html'), `<html><head><title>Big page</title></head><body><nav>Menu</nav><main>${block.repeat(Math.ceil((4.9 * MB) / block.length))}</main></body></html>`);
    },
  },
  'html-flat-4.7mb': {
    what: 'HTML: 4.7 MB of flat paragraphs',
    build: (dir) => {
      const p = `<p>${sentence}</p>\n`;
      fs.writeFileSync(path.join(dir, 'flat.html'), `<html><head><title>Flat</title></head><body><article>${p.repeat(Math.ceil((4.7 * MB) / p.length))}</article></body></html>`);
    },
  },
  'txt-2mb-paragraph': {
    what: '.txt: one 2 MB paragraph',
    build: (dir) => fs.writeFileSync(path.join(dir, 'para.txt'), `One long paragraph\n\n${paragraph(2 * MB)}`),
  },
  'jsonl-4.9mb-line': {
    what: '.jsonl: one 4.9 MB record (one paragraph)',
    build: (dir) => fs.writeFileSync(path.join(dir, 'line.jsonl'), JSON.stringify({ id: 'long', title: 'Long', text: paragraph(4.9 * MB) }) + '\n'),
  },
  'json-9.9mb': {
    what: '.json: one 9.9 MB record (one paragraph)',
    build: (dir) => fs.writeFileSync(path.join(dir, 'big.json'), JSON.stringify({ id: 'big', title: 'Big', text: paragraph(9.9 * MB) })),
  },
  'md-9.9mb-heading-space': {
    what: '.md: a 9.9 MB heading line of spaces',
    build: (dir) => fs.writeFileSync(path.join(dir, 'space.md'), `# a${' '.repeat(9.9 * MB)}b\n\nBody text of the note.`),
  },
  'symlink-loop': {
    what: 'corpus links a -> . and b -> . beside one article',
    build: (dir) => {
      fs.writeFileSync(path.join(dir, 'story.txt'), 'Story\n\nThe museum opened a new wing.');
      fs.symlinkSync('.', path.join(dir, 'a'));
      fs.symlinkSync('.', path.join(dir, 'b'));
    },
  },
  'symlink-etc-passwd': {
    what: 'corpus link to /etc/passwd beside one article',
    build: (dir) => {
      fs.writeFileSync(path.join(dir, 'story.txt'), 'Story\n\nThe museum opened a new wing.');
      fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.txt'));
    },
  },
};

/** Child: ingest one prepared folder into a fresh store and print the figures as JSON. */
async function runCase(repo: string, dir: string, data: string, options: string): Promise<void> {
  const load = (p: string) => import(pathToFileURL(path.join(repo, p)).href);
  const { readArticles } = await load('src/ingest/read-articles.ts');
  const { ingestArticles } = await load('src/ingest/pipeline.ts');
  const { openSqliteStore } = await load('src/app/root.ts');
  const store = openSqliteStore(data, { embedding: null });
  const started = performance.now();
  let outcome: Record<string, unknown>;
  try {
    const summary = await ingestArticles(store, null, readArticles([dir], JSON.parse(options, (_k, v: unknown) => (v === 'Infinity' ? Number.POSITIVE_INFINITY : v))));
    outcome = {
      added: summary.added,
      passages: summary.passages,
      skipped: summary.skippedCount ?? summary.skipped.length,
      // Whole-file skips first (a stopped file), then record skips.
      reasons: [...summary.skipped]
        .sort((a: { origin: string }, b: { origin: string }) => Number(/#\d+$/.test(a.origin)) - Number(/#\d+$/.test(b.origin)))
        .slice(0, 2)
        .map((s: { origin: string; reason: string }) => `${path.basename(s.origin)}: ${s.reason.slice(0, 140)}`),
      stored: (await store.stats()).articles,
    };
  } catch (error) {
    outcome = { error: String((error as Error).stack ?? error).split('\n').slice(0, 2).join(' ') };
  }
  const ms = performance.now() - started;
  await store.close();
  console.log(JSON.stringify({ ms: Math.round(ms), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...outcome }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      timeout: { type: 'string', default: '600' },
      only: { type: 'string' },
      repo: { type: 'string', default: path.resolve(here, '..') },
      'run-case': { type: 'string' },
      dir: { type: 'string' },
      data: { type: 'string' },
      options: { type: 'string', default: '{}' },
    },
  });
  if (values['run-case']) return runCase(values.repo, values.dir!, values.data!, values.options);
  const timeoutS = Number(values.timeout);
  const names = values.only ? values.only.split(',') : Object.keys(CASES);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'newsbot-hostile-'));
  console.log(`code: ${values.repo}; inputs in ${root}; limit ${timeoutS} s per case\n`);
  console.log('| input | time | peak RSS | outcome |\n| --- | --- | --- | --- |');
  try {
    for (const name of names) {
      const spec = CASES[name];
      if (!spec) throw new Error(`unknown case ${name}`);
      const dir = path.join(root, name, 'corpus');
      fs.mkdirSync(dir, { recursive: true });
      await spec.build(dir);
      const args = ['--import', 'tsx', path.join(here, 'hostile-bench.ts'), '--run-case', name, '--repo', values.repo, '--dir', dir, '--data', path.join(root, name, 'data'), '--options', JSON.stringify(spec.options ?? {}, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v))];
      const child = spawn(process.execPath, args, { cwd: values.repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const started = Date.now();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutS * 1000);
      const [code] = (await once(child, 'close')) as [number | null];
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      let row: string;
      if (timedOut) row = `| ${name} | did not finish in ${timeoutS} s | | killed |`;
      else if (code !== 0 || !line.startsWith('{')) row = `| ${name} | ${((Date.now() - started) / 1000).toFixed(1)} s (process) | | exit ${code}: ${err.trim().split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 200)} |`;
      else {
        const r = JSON.parse(line) as { ms: number; maxRssMb: number; [key: string]: unknown };
        const { ms, maxRssMb, ...rest } = r;
        row = `| ${name} | ${(ms / 1000).toFixed(2)} s | ${maxRssMb} MB | ${JSON.stringify(rest)} |`;
      }
      console.log(row);
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();

// `npm run build`: compiles src/ to JavaScript in dist/ (tsconfig.build.json) for plain `node`
// (the container runs `node dist/cli/start.js`), and copies the files of src/ that are not
// TypeScript (the HTML parser's worker, html-worker.mjs) beside the compiled modules.
// `--out-dir DIR` writes elsewhere (the build test); it must be inside the repository, so that
// the compiled modules find node_modules.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import process from 'node:process';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
const dist = path.resolve(values['out-dir'] ?? path.join(root, 'dist'));
fs.rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
let copied = 0;
for (const entry of fs.readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = path.join(entry.parentPath, entry.name);
  fs.cpSync(from, path.join(dist, path.relative(src, from)));
  copied++;
}
process.stdout.write(`build: ${path.relative(root, dist)}/ written (${copied} non-TypeScript file${copied === 1 ? '' : 's'} copied)\n`);

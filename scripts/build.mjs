// `npm run build`: compiles src/ to JavaScript in dist/ (tsconfig.build.json) for plain `node`
// (the container runs `node dist/cli/start.js`), and copies the files of src/ that are not
// TypeScript (the HTML parser's worker, html-worker.mjs) beside the compiled modules.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
let copied = 0;
for (const entry of fs.readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = path.join(entry.parentPath, entry.name);
  fs.cpSync(from, path.join(dist, path.relative(src, from)));
  copied++;
}
process.stdout.write(`build: dist/ written (${copied} non-TypeScript file${copied === 1 ? '' : 's'} copied)\n`);

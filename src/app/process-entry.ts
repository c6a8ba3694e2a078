import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The entry file of a module to run in a child process (`relative` to the module at `fromUrl`,
 * without extension) and the node flags to run it: the .ts source through tsx (how the project
 * runs, under `npm start` and vitest alike), or a compiled .js as it is.
 */
export function processEntry(fromUrl: string, relative: string): { file: string; execArgv: string[] } {
  const here = fileURLToPath(fromUrl);
  const ext = path.extname(here);
  const file = path.resolve(path.dirname(here), `${relative}${ext}`);
  return { file, execArgv: ext === '.ts' ? ['--import', import.meta.resolve('tsx')] : [] };
}

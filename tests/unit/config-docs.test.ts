import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotEnv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { configVariables, loadConfig } from '../../src/config/index.js';
import { VARIABLE_DOCS, VARIABLE_GROUPS } from '../../src/config/variables.js';
import { ErrorCodes } from '../../src/core/errors.js';
import { CONFIG_DOC, ENV_EXAMPLE, configDocProblems, envExampleProblems } from '../../scripts/config-docs.js';
import { REPO } from '../helpers/env.js';

const variables = configVariables();
const envExample = fs.readFileSync(ENV_EXAMPLE, 'utf8');
const configDoc = fs.readFileSync(CONFIG_DOC, 'utf8');
/** README.md and every docs/*.md, relative to the repository. */
const docFiles = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

describe('configuration docs (docs/configuration.md, .env.example) against the schema', () => {
  it('lists every variable of the schema once, each documented and in a known group', () => {
    expect(variables.length).toBeGreaterThan(40);
    const names = variables.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(VARIABLE_DOCS).sort());
    for (const v of variables) {
      expect(VARIABLE_GROUPS).toContain(v.group);
      expect(v.description.length).toBeGreaterThan(10);
    }
  });

  it('takes each default from the schema: a default written into the environment gives the default configuration', () => {
    const withDefaults = Object.fromEntries(variables.map((v) => [v.name, v.default]));
    expect(loadConfig(withDefaults, '/srv/bot')).toEqual(loadConfig({}, '/srv/bot'));
    const byName = new Map(variables.map((v) => [v.name, v]));
    expect(byName.get('TOP_K')?.default).toBe('5');
    expect(byName.get('DATABASE_URL')?.default).toBe('');
    expect(byName.get('EMBEDDING_ALLOW_REMOTE')?.default).toBe('true');
  });

  it('gives every numeric range as the schema enforces it (the ends accepted, one beyond refused)', () => {
    let checked = 0;
    for (const v of variables) {
      const range = /^(-?[\d,.]+)-([\d,.]+)/.exec(v.accepts);
      if (!range) continue;
      const [min, max] = [Number(range[1]!.replace(/,/g, '')), Number(range[2]!.replace(/,/g, ''))];
      const env = (value: number) => ({ [v.name]: String(value), ...(v.group === 'Sharding' ? { DISCORD_SHARDS: 'auto' } : {}) });
      expect(() => loadConfig(env(min), '/x'), `${v.name}=${min}`).not.toThrow();
      expect(() => loadConfig(env(max), '/x'), `${v.name}=${max}`).not.toThrow();
      expect(() => loadConfig(env(min - 1), '/x'), `${v.name}=${min - 1}`).toThrow(new RegExp(v.name));
      expect(() => loadConfig(env(max + 1), '/x'), `${v.name}=${max + 1}`).toThrow(new RegExp(v.name));
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('.env.example lists every variable once, under its group, with its default', () => {
    expect(envExampleProblems(envExample, variables)).toEqual([]);
    // And read as a .env file it configures exactly the defaults.
    expect(loadConfig(parseDotEnv(envExample), '/srv/bot')).toEqual(loadConfig({}, '/srv/bot'));
  });

  it('docs/configuration.md has the table generated from the schema (names, defaults, ranges, descriptions)', () => {
    expect(configDocProblems(configDoc, variables)).toEqual([]);
  });

  it('the checks fail on a missing, extra, moved or changed variable', () => {
    const env = (edit: (text: string) => string) => envExampleProblems(edit(envExample), variables);
    expect(env((t) => t.replace(/^TOP_K=.*\n/m, ''))).toEqual(['.env.example: TOP_K is missing (default "5", group "Retrieval")']);
    expect(env((t) => t.replace(/^TOP_K=5$/m, 'TOP_K=6'))).toEqual(['.env.example: TOP_K has default "6" but the schema\'s is "5"']);
    expect(env((t) => `${t}\nHEALTH_PORT_TYPO=1\n`)).toEqual(['.env.example: HEALTH_PORT_TYPO is not a setting (not in the schema of src/config/index.ts)']);
    expect(env((t) => `DATA_DIR=./data\n${t}`)).toEqual(['.env.example: DATA_DIR is under "no group" but belongs to "Storage and logs"', '.env.example: DATA_DIR is listed twice']);

    const doc = (edit: (text: string) => string) => configDocProblems(edit(configDoc), variables);
    expect(doc((t) => t.replace(/^\| `TOP_K` .*\n/m, ''))).toEqual(['docs/configuration.md: TOP_K is missing (default "5", group "Retrieval")']);
    expect(doc((t) => t.replace(/^\| `TOP_K` \| `5` \|/m, '| `TOP_K` | `8` |'))).toEqual(['docs/configuration.md: TOP_K has default "8" but the schema\'s is "5"']);
    expect(doc((t) => t.replace(/^\| `DATABASE_URL` \| \(unset: SQLite\) \|/m, '| `DATABASE_URL` | `postgres://` |'))).toHaveLength(1);
    expect(doc((t) => t.replace('Passages retrieved per question.', 'Passages per question.'))).toEqual([
      'docs/configuration.md: the variables table differs from src/config (a description or range changed); run `npx tsx scripts/config-docs.ts --write`',
    ]);
  });

  it('README.md and docs/ name no setting the schema does not have', () => {
    const known = new Set(variables.map((v) => v.name));
    // Names in backticks that look like settings but are something else: test-only variables, error codes, constants in src.
    const constants = fs
      .readdirSync(path.join(REPO, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...fs.readFileSync(path.join(REPO, 'src', f), 'utf8').matchAll(/\bconst ([A-Z][A-Z0-9_]+)\b/g)].map((m) => m[1]!));
    // docs/container.md: compose's database password, the image's build argument, Node's NODE_ENV, the container test's runtime.
    const container = ['POSTGRES_PASSWORD', 'NODE_IMAGE', 'NODE_ENV', 'CONTAINER_RUNTIME'];
    const notSettings = new Set(['TEST_DATABASE_URL', 'PG_TEST_PORT', 'PG_TEST_DIR', 'NEWSBOT_REQUIRE_TEST_MODELS', 'NEWSBOT_REQUIRE_POSTGRES', ...container, ...Object.values(ErrorCodes), ...constants]);
    const unknown: string[] = [];
    for (const file of docFiles) {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      for (const m of text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)) {
        if (!known.has(m[1]!) && !notSettings.has(m[1]!)) unknown.push(`${file}: ${m[1]}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('README.md and docs/ link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of docFiles) {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [relative, anchor] = target.split('#') as [string, string | undefined];
        const linked = relative ? path.join(path.dirname(path.join(REPO, file)), relative) : path.join(REPO, file);
        if (!fs.existsSync(linked)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor === undefined || !linked.endsWith('.md')) continue;
        const headings = fs.readFileSync(linked, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => anchorOf(l.replace(/^#+ /, '')));
        if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../../src/config/index.js';
import { REPO } from '../helpers/env.js';

/**
 * compose.yaml and the Dockerfile against each other and the config schema (what can be checked
 * without a container runtime; `npm run test:container` builds and runs the image).
 */
interface Service {
  image?: string;
  build?: { context?: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  env_file?: string | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

const compose = parse(fs.readFileSync(path.join(REPO, 'compose.yaml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const settings = new Set(configVariables().map((v) => v.name));

/** The final stage's ENV as a map (the last stage: after the last FROM). */
function finalStageEnv(): Record<string, string> {
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of final.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[name!] = value!;
  }
  return env;
}

/** compose's `${VAR}` interpolation, for the test's values. */
function interpolate(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)(?::[?-][^}]*)?\}/g, (_, name: string) => values[name] ?? '');
}

describe('compose.yaml (the production path)', () => {
  const { bot, postgres } = compose.services;

  it('runs the bot beside PostgreSQL 15, started only once pg_isready passes, each with a declared volume', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['bot', 'postgres']);
    expect(postgres!.image).toBe('postgres:15');
    expect(postgres!.healthcheck?.test?.join(' ')).toMatch(/pg_isready -U newsbot -d newsbot/);
    expect(bot!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const service of [bot!, postgres!]) {
      const [volume] = service.volumes!.map((v) => v.split(':')[0]!);
      expect(Object.keys(compose.volumes)).toContain(volume);
    }
    expect(postgres!.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
  });

  it("gives the bot a DATABASE_URL for the postgres service's user, password and database", () => {
    const env = bot!.environment!;
    const url = new URL(interpolate(env['DATABASE_URL']!, { POSTGRES_PASSWORD: 'secret123' }));
    const pg = postgres!.environment!;
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(url.username).toBe(pg['POSTGRES_USER']);
    expect(url.password).toBe('secret123');
    expect(url.pathname).toBe(`/${pg['POSTGRES_DB']}`);
    expect(pg['POSTGRES_PASSWORD']).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(bot!.env_file).toBe('.env');
  });

  it("sets only real settings, which load, and keeps the bot's data where the image's volume is", () => {
    const env = interpolate(JSON.stringify(bot!.environment), { POSTGRES_PASSWORD: 'secret123' });
    const values = JSON.parse(env) as Record<string, string>;
    expect(Object.keys(values).filter((name) => !settings.has(name))).toEqual([]);
    const config = loadConfig(values, '/app');
    expect(config.database).toMatchObject({ kind: 'postgres' });
    expect(config.health).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(bot!.volumes).toEqual([`bot-data:${config.dataDir}`]);
    expect(dockerfile).toContain(`VOLUME ${config.dataDir}`);
    expect(config.embedding.cacheDir?.startsWith(config.dataDir + '/')).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('builds FROM the NODE_IMAGE argument (node:22-bookworm-slim unless given) in both stages', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(dockerfile.match(/^FROM .*$/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
    expect(compose.services['bot']!.build?.args?.['NODE_IMAGE']).toBe('${NODE_IMAGE:-node:22-bookworm-slim}');
  });

  it('sets settings the schema knows, keeping data and the model cache in the volume, and health on the port its HEALTHCHECK asks', () => {
    const env = finalStageEnv();
    expect(Object.keys(env).filter((name) => name !== 'NODE_ENV' && !settings.has(name))).toEqual([]);
    const config = loadConfig(env, '/app');
    expect(config.dataDir).toBe('/app/data');
    expect(config.corpusDir).toBe('/app/corpus');
    expect(config.embedding.cacheDir).toBe('/app/data/models');
    expect(config.health?.port).toBe(8080);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["node", "-e", ".*process\.env\.HEALTH_PORT.*\/healthz.*"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/cli\/start\.js"\]$/m);
  });
});

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { HAS_TINY_MODEL, MODELS_DIR, REPO, TINY_MODEL, tempDir } from '../helpers/env.js';
import { runCli } from '../helpers/run-cli.js';
import { TEST_DATABASE_URL } from '../helpers/stores.js';

const QUESTION = 'What did Starmer ask Trump for?';

/** The CLIs on a shared PostgreSQL store (DATABASE_URL), as a deployment beyond one machine runs them. */
describe.skipIf(!TEST_DATABASE_URL)('the app on PostgreSQL (DATABASE_URL)', () => {
  const schema = `t_app_${randomBytes(5).toString('hex')}`;
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir('newsbot-pgapp-')));
  afterAll(async () => {
    await PostgresStore.destroy(TEST_DATABASE_URL, schema);
    cleanup();
  });

  const env = (data: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    DATA_DIR: data,
    CORPUS_DIR: path.join(REPO, 'corpus'),
    ...(HAS_TINY_MODEL ? { EMBEDDING_MODEL: TINY_MODEL, EMBEDDING_MODEL_DIR: MODELS_DIR, EMBEDDING_ALLOW_REMOTE: 'false' } : { EMBEDDING_ALLOW_REMOTE: 'false', EMBEDDING_MODEL_DIR: path.join(dir, 'none') }),
    ...extra,
  });

  it('ingests on one machine and answers with citations on another (its own DATA_DIR), consistent in every part', async () => {
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
    fs.writeFileSync(path.join(corpus, 'final.txt'), 'date 2024-06-01 Real Madrid win the Champions League final\n\nReal Madrid beat Borussia Dortmund 2-0 at Wembley to win the Champions League final.\n');
    const ingest = await runCli('ingest', [corpus, '--json'], env(path.join(dir, 'machine-a')));
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ added: 2, store: { articles: 2 } });

    // Another machine: nothing in its DATA_DIR, the same database.
    const ask = await runCli('ask', ['--json', QUESTION], env(path.join(dir, 'machine-b')));
    expect(ask.code, ask.stderr).toBe(0);
    const answer = JSON.parse(ask.stdout) as { answer: string; citations: { n: number; title: string }[] };
    expect(answer.answer).toMatch(/backstop|security guarantee/);
    expect(answer.citations[0]).toMatchObject({ n: 1, title: 'Starmer pushes Trump for Ukraine guarantees against Putin' });
    // The database password never reaches output; the store is named without it.
    const check = await runCli('ingest', ['--check', '--json'], env(path.join(dir, 'machine-b')));
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, articles: 2, problems: [] });

    // Re-ingest is incremental and prunes a deleted file everywhere.
    fs.rmSync(path.join(corpus, 'final.txt'));
    const again = await runCli('ingest', [corpus, '--json'], env(path.join(dir, 'machine-a')));
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, unchanged: 1, removed: 1, store: { articles: 1 } });
  });

  it('names a server it cannot reach in one clear line, without the password', async () => {
    const result = await runCli('ask', [QUESTION], { ...env(path.join(dir, 'x')), DATABASE_URL: 'postgres://newsbot:s3cretpassw0rd@127.0.0.1:1/newsbot' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot connect to the database postgres:\/\/newsbot@127\.0\.0\.1:1\/newsbot/m);
    expect(result.stderr).not.toContain('s3cretpassw0rd');
  });
});

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmAnswerer } from '../../src/answer/llm-answerer.js';
import { OpenAIChatModel } from '../../src/answer/openai-chat-model.js';
import { createApp } from '../../src/app/context.js';
import { loadConfig } from '../../src/config/index.js';
import { NewsBotError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { RetrievedPassage } from '../../src/core/types.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import { startBot, type BotHarness } from '../helpers/bot-harness.js';
import { REPO, tempDir } from '../helpers/env.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { openTestStore } from '../helpers/test-store.js';

const passage: RetrievedPassage = {
  passage: { id: 1, articleId: 'a', position: 0, start: 0, end: 60, text: 'Keir Starmer will plead for a US backstop to any Ukraine ceasefire.' },
  article: { id: 'a', title: 'Starmer seeks backstop', date: '2025-02-27', source: 'wire', url: null, author: null, origin: 'x', contentHash: 'h' },
  score: 1,
};

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('language model faults end in an answer', () => {
  it('endpoint down (connection refused): extractive answer with a note', async () => {
    const port = await closedPort();
    const answerer = new LlmAnswerer({ model: new OpenAIChatModel({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', timeoutMs: 1_000 }), maxAttempts: 2, baseDelayMs: 5 });
    const answer = await answerer.answer('What did Starmer ask for?', [passage]);
    expect(answer.mode).toBe('extractive');
    expect(answer.text).toContain('backstop');
    expect(answer.notes[0]).toBe('The language model was unavailable (it could not be reached), so this answer quotes the articles directly.');
  });

  it('slow, then garbage, then an empty answer: retried, then extractive', async () => {
    const server = new FakeOpenAI();
    const baseURL = await server.start();
    try {
      server.reply({ kind: 'json', content: 'late', delayMs: 800 }, { kind: 'garbage' }, { kind: 'stream', deltas: ['   '] });
      const answerer = new LlmAnswerer({ model: new OpenAIChatModel({ baseURL, model: 'm', timeoutMs: 300 }), maxAttempts: 3, baseDelayMs: 5, idleTimeoutMs: 300 });
      const answer = await answerer.answer('What did Starmer ask for?', [passage]);
      expect(server.requests).toHaveLength(3);
      expect(answer.mode).toBe('extractive');
      expect(answer.notes[0]).toMatch(/language model was unavailable/);
    } finally {
      await server.stop();
    }
  });
});

describe('store faults: a clear error, nothing corrupted', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir()));
  afterAll(() => cleanup());

  it('disk full during ingest: StoreIo error naming the cause; committed articles intact and consistent', async () => {
    const data = path.join(dir, 'full');
    const corpus = path.join(dir, 'corpus-full');
    fs.mkdirSync(corpus);
    fs.copyFileSync(path.join(REPO, 'corpus', 'starmer-trump-ukraine-2025-02-27.txt'), path.join(corpus, 'seed.txt'));
    let store = openTestStore(data);
    await ingestArticles(store, null, readArticles([corpus]));
    await store.close();
    for (let i = 0; i < 40; i++) {
      fs.writeFileSync(path.join(corpus, `extra-${i}.txt`), `Extra story ${i}\n\n${`Paragraph about topic ${i} with many words to fill pages. `.repeat(60)}`);
    }
    // SQLite's own "database or disk is full" path: the database may not grow past its current size.
    const pages = Number(new (await import('better-sqlite3')).default(path.join(data, 'news.db')).pragma('page_count', { simple: true }));
    // Room for a few batches of this run, not all of them.
    store = openTestStore(data, { pragmas: { max_page_count: pages + 40 } });
    const failure = await ingestArticles(store, null, readArticles([corpus]), { batchPassages: 8 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NewsBotError);
    expect((failure as NewsBotError).code).toBe('STORE_IO');
    // The error says what this run had committed before the disk filled (not "nothing was written").
    const message = (failure as Error).message;
    expect(message).toMatch(/disk holding the store .* is full; the write in progress was rolled back/);
    const committed = /already committed (\d+) new and 0 changed articles/.exec(message);
    expect(committed, message).not.toBeNull();
    expect(Number(committed![1])).toBeGreaterThan(0);
    await store.close();
    store = openTestStore(data);
    const report = await store.checkConsistency();
    expect(report.problems).toEqual([]);
    expect(await store.getArticle('doc:seed.txt')).toBeDefined();
    expect((await store.stats()).articles).toBe(1 + Number(committed![1]));
    // With room again, the next run finishes the job.
    const summary = await ingestArticles(store, null, readArticles([corpus]));
    expect((await store.stats()).articles).toBe(41);
    expect(summary.unchanged).toBeGreaterThanOrEqual(1);
    await store.close();
  });

  it('read-only store: StoreIo error, data unchanged', async () => {
    const data = path.join(dir, 'ro');
    let store = openTestStore(data);
    await ingestArticles(store, null, readArticles([path.join(REPO, 'corpus')]));
    await store.close();
    store = openTestStore(data, { readonly: true });
    const more = path.join(dir, 'more');
    fs.mkdirSync(more);
    fs.writeFileSync(path.join(more, 'x.txt'), 'New story\n\nSomething happened today at the port.');
    const failure = await ingestArticles(store, null, readArticles([more])).catch((e: unknown) => e);
    expect((failure as NewsBotError).code).toBe('STORE_IO');
    expect((failure as Error).message).toMatch(/read-only; nothing was written/);
    expect((await store.stats()).articles).toBe(1);
    await store.close();
  });
});

describe('embedding model missing', () => {
  it('the app starts on lexical search with one warning line and answers', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const lines: string[] = [];
      const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), CORPUS_DIR: path.join(REPO, 'corpus'), EMBEDDING_MODEL: 'nobody/missing', EMBEDDING_MODEL_DIR: dir, EMBEDDING_ALLOW_REMOTE: 'false' });
      const app = await createApp(config, createLogger('info', (l) => lines.push(l)));
      expect(app.embedder).toBeNull();
      expect(lines.filter((l) => l.startsWith('warn'))).toEqual([expect.stringMatching(/nobody\/missing.*could not be loaded.*lexical search only/)]);
      await ingestArticles(app.store, null, readArticles([config.corpusDir]));
      const { answer } = await app.answers.ask('What did Starmer ask Trump for?');
      expect(answer.text).toMatch(/backstop/);
      await app.close();
    } finally {
      cleanup();
    }
  });
});

describe('Discord faults', () => {
  let h: BotHarness;
  beforeAll(async () => {
    h = await startBot();
  });
  afterAll(() => h.stop());

  it('a REST 5xx on the answer edit is retried and the answer still lands', async () => {
    const since = h.fake.calls.length;
    h.fake.failNext((c) => c.method === 'PATCH' && c.path.endsWith('@original'), 502);
    const { token } = h.fake.interaction('ask', { question: 'What did Starmer ask Trump for?' });
    const pattern = new RegExp(`/webhooks/\\d+/${token}/messages/@original$`);
    const first = await h.fake.waitFor('PATCH', pattern, { since });
    const second = await h.fake.waitFor('PATCH', pattern, { since: h.fake.calls.indexOf(first) + 1, timeoutMs: 15_000 });
    expect(String((second.body as Record<string, unknown>)['content'])).toContain('backstop');
  });

  it('the gateway dropping twice in a row is survived', async () => {
    const reconnects = () => h.fake.resumes + h.fake.identifies;
    const before = reconnects();
    h.fake.dropGateway();
    await new Promise((r) => setTimeout(r, 300));
    const between = reconnects();
    h.fake.dropGateway();
    const end = Date.now() + 20_000;
    while (reconnects() <= Math.max(before, between) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(reconnects()).toBeGreaterThan(Math.max(before, between));
    const since = h.fake.calls.length;
    const { token } = h.fake.interaction('ask', { question: 'What did Starmer ask Trump for?' });
    const edit = await h.fake.waitFor('PATCH', new RegExp(`/webhooks/\\d+/${token}/messages/@original$`), { since, timeoutMs: 15_000 });
    expect(String((edit.body as Record<string, unknown>)['content'])).toContain('backstop');
  });
});

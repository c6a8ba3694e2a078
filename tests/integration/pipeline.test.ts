import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAnswering } from '../../src/app/answering.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import type { Embedder } from '../../src/core/embedder.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { loadEmbedding } from '../../src/app/root.js';
import { HAS_TINY_MODEL, MODELS_DIR, NO_MODEL_REASON, SEED_FILE, TINY_MODEL, tempDir } from '../helpers/env.js';
import { openTestStore } from '../helpers/test-store.js';

const SEED_TITLE = 'Starmer pushes Trump for Ukraine guarantees against Putin';

function writeCorpus(dir: string): void {
  fs.copyFileSync(SEED_FILE, path.join(dir, path.basename(SEED_FILE)));
  fs.writeFileSync(
    path.join(dir, 'rates.md'),
    '---\ntitle: Central bank holds rates\ndate: 2025-02-20\nurl: https://example.org/rates\nsource: Example Wire\n---\n\nThe central bank held interest rates at 4.5% on Thursday, citing sticky inflation. Officials signalled cuts later in the year.',
  );
  fs.writeFileSync(
    path.join(dir, 'storm.html'),
    '<html><head><title>Storm floods coastal towns</title><meta property="article:published_time" content="2025-02-25"></head><body><nav>Menu</nav><article><p>Heavy rain from the storm flooded several coastal towns on Tuesday, forcing hundreds of residents to leave their homes.</p><p>Emergency services said the water was receding by evening.</p></article></body></html>',
  );
  fs.writeFileSync(
    path.join(dir, 'wire.jsonl.gz'),
    gzipSync(
      [
        JSON.stringify({ id: 'w1', title: 'Chip maker unveils new processor', text: 'The chip maker unveiled a faster processor for laptops at a launch event on Monday.', published: '2025-02-24', url: 'https://chips.example/new' }),
        JSON.stringify({ id: 'w2', title: 'Marathon record falls', text: 'A Kenyan runner broke the marathon world record in Valencia on Sunday.', published: '2025-02-23' }),
      ].join('\n'),
    ),
  );
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"title": "half a record",');
}

describe.skipIf(!HAS_TINY_MODEL)('ingest and answer with the real tiny model', () => {
  let embedder: Embedder;
  let dir: string;
  let cleanup: () => void;
  let corpus: string;
  let data: string;

  beforeAll(async () => {
    embedder = await loadEmbedding({ model: TINY_MODEL, modelDir: MODELS_DIR, allowRemote: false, batchSize: 8 });
  });
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    corpus = path.join(dir, 'corpus');
    data = path.join(dir, 'data');
    fs.mkdirSync(corpus);
    writeCorpus(corpus);
  });
  afterEach(() => cleanup());

  const openStore = (emb: Embedder | null = embedder) =>
    openTestStore(data, { embedding: emb ? { modelId: emb.modelId, dimension: emb.dimension } : null });
  const ingest = (store: SqliteStore, emb: Embedder | null = embedder) =>
    ingestArticles(store, emb, readArticles([corpus]), { pruneUnder: [corpus], batchPassages: 4 });

  it('embeds with mean pooling and normalization', async () => {
    expect(embedder.dimension).toBe(32);
    const [a, b] = await embedder.embed(['Starmer met Trump.', 'Starmer met Trump.']);
    const norm = Math.hypot(...a!);
    expect(norm).toBeCloseTo(1, 4);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('ingests every format, skips the broken file with a reason, and is incremental', async () => {
    const store = openStore();
    const first = await ingest(store);
    expect(first).toMatchObject({ added: 5, updated: 0, unchanged: 0, removed: 0 });
    expect(first.skipped).toEqual([{ origin: expect.stringContaining('broken.json'), reason: expect.stringMatching(/invalid JSON/) }]);
    const stats = await store.stats();
    expect(stats.articles).toBe(5);
    expect(stats.vectors).toBe(stats.passages);
    expect(first.embedded).toBe(stats.passages);
    expect(stats.lastIngest).toMatchObject({ added: 5, skipped: 1 });

    const again = await ingest(store);
    expect(again).toMatchObject({ added: 0, updated: 0, unchanged: 5, removed: 0, embedded: 0 });

    fs.writeFileSync(path.join(corpus, 'rates.md'), fs.readFileSync(path.join(corpus, 'rates.md'), 'utf8').replace('4.5%', '4.25%'));
    fs.rmSync(path.join(corpus, 'storm.html'));
    const third = await ingest(store);
    expect(third).toMatchObject({ added: 0, updated: 1, unchanged: 3, removed: 1 });
    const after = await store.stats();
    expect(after).toMatchObject({ articles: 4 });
    expect(after.vectors).toBe(after.passages);

    const { answers } = buildAnswering({ store, embedder });
    const flood = await answers.ask('Which towns did the storm flood?');
    expect(flood.answer.citations.map((c) => c.title)).not.toContain('Storm floods coastal towns');
    const rates = await answers.ask('What rate did the central bank hold?');
    expect(rates.answer.text).toContain('4.25%');
    expect(rates.answer.text).not.toContain('4.5%');
    await store.close();
  });

  it('answers the seed question with a cited extractive answer in every mode', async () => {
    const store = openStore();
    await ingest(store);
    const { retriever, answers } = buildAnswering({ store, embedder });
    for (const mode of ['hybrid', 'lexical'] as const) {
      const { answer, search } = await answers.ask('What did Starmer ask Trump for?', { mode });
      expect(search.mode).toBe(mode);
      expect(answer.mode).toBe('extractive');
      expect(answer.text).toMatch(/backstop|security guarantee/);
      expect(answer.text).toMatch(/\[1\]/);
      expect(answer.citations[0]).toMatchObject({ n: 1, title: SEED_TITLE, date: '2025-02-27' });
      expect(answer.text.replace(/ \[\d+\]/g, '').length).toBeLessThanOrEqual(400);
    }
    const vector = await retriever.search('What did Starmer ask Trump for?', { mode: 'vector', k: 3, maxPerArticle: 1 });
    expect(vector.mode).toBe('vector');
    expect(vector.passages).toHaveLength(3);
    expect(new Set(vector.passages.map((p) => p.article.id)).size).toBe(3);
    expect(vector.passages.every((p) => p.vectorRank !== undefined && p.lexicalRank === undefined)).toBe(true);
    const capped = await retriever.search('Starmer Trump Ukraine backstop guarantee', { mode: 'lexical', k: 5, maxPerArticle: 2 });
    expect(capped.passages.filter((p) => p.article.title === SEED_TITLE).length).toBeLessThanOrEqual(2);
    const none = await answers.ask('Who won the chess olympiad?');
    expect(none.answer.mode).toBe('none');
    expect(none.answer.text).toMatch(/couldn't find anything/);
    expect(none.answer.citations).toEqual([]);
    await store.close();
  });

  it('works without a model (lexical only) and embeds the backlog once a model is available', async () => {
    let store = openStore(null);
    const lexicalRun = await ingest(store, null);
    expect(lexicalRun).toMatchObject({ added: 5, embedded: 0, vectors: false });
    const { answers: lexicalAnswers } = buildAnswering({ store, embedder: null });
    const { answer, search } = await lexicalAnswers.ask('What did Starmer ask Trump for?');
    expect(search.mode).toBe('lexical');
    expect(answer.citations[0]!.title).toBe(SEED_TITLE);
    await store.close();

    store = openStore();
    const backfill = await ingest(store);
    expect(backfill.unchanged).toBe(5);
    const backfilled = await store.stats();
    expect(backfill.embedded).toBe(backfilled.passages);
    expect(backfilled.vectors).toBe(backfilled.passages);
    await store.close();
  });
});

// Without ../shared the model tests above are skipped; say why in the report.
if (!HAS_TINY_MODEL) describe('model tests', () => it.skip(NO_MODEL_REASON, () => {}));

describe('embedder loading', () => {
  it('fails with EmbedderUnavailableError when the model is missing and downloads are off', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await expect(loadEmbedding({ model: 'nobody/no-such-model', modelDir: dir, allowRemote: false })).rejects.toMatchObject({
        code: 'EMBEDDER_UNAVAILABLE',
        message: expect.stringContaining('nobody/no-such-model'),
      });
    } finally {
      cleanup();
    }
  });
});


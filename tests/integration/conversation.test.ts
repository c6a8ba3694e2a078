import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerService } from '../../src/answer/answerer.js';
import { conversationTurn, type ConversationTurn } from '../../src/answer/conversation.js';
import { buildAnswering } from '../../src/app/answering.js';
import { loadConfig } from '../../src/config/index.js';
import { runConsoleChat } from '../../src/console/chat.js';
import { createLogger } from '../../src/core/logger.js';
import { ingestArticles } from '../../src/ingest/pipeline.js';
import { readArticles } from '../../src/ingest/read-articles.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startBot, threadKnown, type BotHarness } from '../helpers/bot-harness.js';
import { HAS_RTQA_05, SEED_FILE, tempDir, writeRtqaSample } from '../helpers/env.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { openTestStore } from '../helpers/test-store.js';

const SEED_TITLE = 'Starmer pushes Trump for Ukraine guarantees against Putin';
/** The thread of the issue: every turn is about the Starmer article. */
const TURNS = ['What did Starmer ask Trump for?', 'why does he want that?', 'and what did he say about Putin?', 'what did Macron do?'];
const NEW_SUBJECT = 'Who won the Champions League final?';
/** How many rtqa-2024-05 articles sit beside the seed (Trump trial, Biden and Putin, football...). */
const ARTICLES = 300;

describe.skipIf(!HAS_RTQA_05)('a conversation keeps its topic (the seed plus 300 rtqa-2024-05 articles, lexical store)', () => {
  let dir: string;
  let cleanup: () => void;
  let store: SqliteStore;
  /** Extractive answers over a lexical store, as the app builds them. */
  let answers: AnswerService;

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('newsbot-conversation-'));
    const corpus = path.join(dir, 'corpus');
    fs.mkdirSync(corpus);
    fs.copyFileSync(SEED_FILE, path.join(corpus, 'seed.txt'));
    writeRtqaSample(corpus, ARTICLES);
    store = openTestStore(path.join(dir, 'data'));
    const summary = await ingestArticles(store, null, readArticles([corpus]));
    expect(summary.added).toBe(ARTICLES + 1);
    answers = buildAnswering({ store, embedder: null, retrieval: { mode: 'lexical' } }).answers;
  });
  afterAll(async () => {
    await store.close();
    cleanup();
  });

  it('answers every turn from the Starmer article first, and drops it on a change of subject', async () => {
    const history: ConversationTurn[] = [];
    for (const question of TURNS) {
      const { answer, search } = await answers.ask(question, { history: [...history] });
      expect(answer.citations[0]?.title, question).toBe(SEED_TITLE);
      expect(search.passages[0]!.article.title, question).toBe(SEED_TITLE);
      // Only the Starmer article is quoted: no Trump-trial or Biden padding.
      expect(answer.citations.map((c) => c.title), question).toEqual([SEED_TITLE]);
      history.push(conversationTurn(question, answer));
    }
    const { answer, plan } = await answers.ask(NEW_SUBJECT, { history });
    expect(plan.topic).toEqual([]);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.citations.map((c) => c.title)).not.toContain(SEED_TITLE);
    expect(answer.text).toMatch(/Champions League/);
  });

  it('a follow-up reads the whole thread article: "why does he want that?" quotes the reason it gives, wherever it stands (seed alone)', async () => {
    const seedDir = path.join(dir, 'seed-only');
    fs.mkdirSync(path.join(seedDir, 'corpus'), { recursive: true });
    fs.copyFileSync(SEED_FILE, path.join(seedDir, 'corpus', 'seed.txt'));
    const seedStore = openTestStore(path.join(seedDir, 'data'));
    try {
      await ingestArticles(seedStore, null, readArticles([path.join(seedDir, 'corpus')]));
      const seedAnswers = buildAnswering({ store: seedStore, embedder: null, retrieval: { mode: 'lexical' } }).answers;
      const first = await seedAnswers.ask(TURNS[0]!);
      const history = [conversationTurn(TURNS[0]!, first.answer)];
      const why = await seedAnswers.ask('why does he want that?', { history });
      // The reason is in a passage the search does not return (two passages an article at most).
      expect(why.search.passages.some((p) => p.passage.text.includes('sufficient to deter Putin'))).toBe(false);
      expect(why.answer.text).toContain('"The security guarantee has to be sufficient to deter Putin," Starmer told reporters');
      const trump = await seedAnswers.ask('and what did Trump say about peacekeeping?', { history });
      expect(trump.answer.text).toContain('"I hope we have that problem where we can worry about peacekeeping.');
    } finally {
      await seedStore.close();
    }
  });

  it('does the same in the console chat', async () => {
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    await runConsoleChat({ answers, input: Readable.from([...TURNS, NEW_SUBJECT].map((q) => `${q}\n`)), output, logger: createLogger('silent') });
    // Each answer ends with its sources; the first line after "Sources:" is source [1].
    const blocks = printed.split('Sources:\n').slice(1);
    expect(blocks).toHaveLength(TURNS.length + 1);
    for (const block of blocks.slice(0, TURNS.length)) expect(block.split('\n')[0]).toBe(`[1] ${SEED_TITLE} (2025-02-27, corpus)`);
    expect(blocks[TURNS.length]).not.toContain(SEED_TITLE);
  });

  describe('with a language model', () => {
    const llm = new FakeOpenAI();
    let answers: AnswerService;
    const logs: string[] = [];
    beforeAll(async () => {
      const { llm: settings } = loadConfig({ OPENAI_BASE_URL: await llm.start(), OPENAI_MODEL: 'fake-model', OPENAI_TIMEOUT_MS: '3000', LLM_MAX_ATTEMPTS: '1', LLM_MAX_PASSAGES: '8', LLM_REWRITE_TIMEOUT_MS: '1500' });
      const logger = createLogger('debug', (line) => logs.push(line));
      answers = buildAnswering({ store, embedder: null, retrieval: { mode: 'lexical' }, llm: settings, logger }).answers;
    });
    afterAll(() => llm.stop());

    const history: ConversationTurn[] = [{ question: TURNS[0]!, answer: 'He asked for a US backstop to any ceasefire [1].', sources: [{ articleId: 'x', title: SEED_TITLE }] }];

    it('rewrites the follow-up into a standalone question in one short call, and searches with it', async () => {
      llm.reply({ kind: 'json', content: 'What did Keir Starmer say about Vladimir Putin?' }, { kind: 'stream', deltas: ['He said a guarantee must deter Putin [1].'] });
      const { answer, search, plan } = await answers.ask(TURNS[2]!, { history });
      expect(llm.requests).toHaveLength(2);
      const [rewrite, answering] = llm.requests;
      expect(rewrite!.body.stream).toBeFalsy();
      expect(rewrite!.body.messages[1]!.content).toContain('User: What did Starmer ask Trump for?\nBot: He asked for a US backstop to any ceasefire.');
      expect(rewrite!.body.messages[1]!.content).toContain('Last question: and what did he say about Putin?');
      expect(plan.question).toBe('What did Keir Starmer say about Vladimir Putin?');
      // The answer is still written for the question as asked, with the conversation.
      expect(answering!.body.messages.at(-1)!.content).toContain('Question: and what did he say about Putin?');
      expect(answering!.body.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(search.passages).toHaveLength(8);
      expect(search.passages[0]!.article.title).toBe(SEED_TITLE);
      expect(answer.citations[0]!.title).toBe(SEED_TITLE);
    });

    it('falls back to the heuristic when the rewrite fails, times out or is unusable', async () => {
      const slow = { kind: 'json' as const, content: 'too late', delayMs: 6_000 };
      for (const broken of [{ kind: 'error' as const, status: 500 }, slow, { kind: 'json' as const, content: '' }]) {
        logs.length = 0;
        llm.reply(broken, { kind: 'stream', deltas: ['He said a guarantee must deter Putin [1].'] });
        const started = Date.now();
        const { search, plan } = await answers.ask(TURNS[2]!, { history });
        // The slow reply is not waited for (the rewrite gives up after 1.5 s).
        expect(Date.now() - started).toBeLessThan(4_500);
        expect(plan.question).toBe(TURNS[2]);
        expect(plan.query).toBe('and what did he say about Putin? starmer ask trump');
        expect(search.passages[0]!.article.title).toBe(SEED_TITLE);
        expect(logs.some((l) => /^warn .*follow-up rewrite (failed|unusable)/.test(l))).toBe(true);
      }
    });

    it('asks nothing extra for a first question, and keeps a new subject apart', async () => {
      llm.reply({ kind: 'stream', deltas: ['The passages do not say who won.'] });
      await answers.ask(NEW_SUBJECT);
      expect(llm.requests).toHaveLength(1);
      llm.reply({ kind: 'json', content: NEW_SUBJECT }, { kind: 'stream', deltas: ["I couldn't find that in the news I have."] });
      const { search, plan } = await answers.ask(NEW_SUBJECT, { history });
      expect(plan.topic).toEqual([]);
      expect(search.passages.map((p) => p.article.title)).not.toContain(SEED_TITLE);
      // No earlier turns go to the model for a question on a new subject.
      expect(llm.requests[1]!.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    });

    it('refuses a question no article is about before the model is called, with the same refusal as without one', async () => {
      const question = 'Who won the 2024 Intergalactic Chess Open in Reykjavik?';
      // One reply queued (this clears the recorded requests): only the answerable question uses it.
      llm.reply({ kind: 'stream', deltas: ['He asked for a US backstop [1].'] });
      const { answer } = await answers.ask(question);
      expect(llm.requests).toHaveLength(0);
      expect(answer).toMatchObject({ mode: 'none', citations: [], text: "I couldn't find anything about “the 2024 Intergalactic Chess Open in Reykjavik” in the news I have." });
      expect(answer.confidence).toBeGreaterThanOrEqual(0);
      const extractive = buildAnswering({ store, embedder: null, retrieval: { mode: 'lexical' } }).answers;
      expect((await extractive.ask(question)).answer.text).toBe(answer.text);
      // A question the news answers still goes to the model, with the answer's confidence.
      const answered = await answers.ask(TURNS[0]!);
      expect(llm.requests).toHaveLength(1);
      expect(answered.answer.mode).toBe('llm');
      expect(answered.answer.confidence).toBeGreaterThan(0.5);
    });
  });

  describe('in a Discord thread', () => {
    let h: BotHarness;
    beforeAll(async () => {
      h = await startBot({ articles: (corpus) => void writeRtqaSample(corpus, ARTICLES) });
    });
    afterAll(() => h.stop());

    const content = (body: unknown) => String((body as Record<string, unknown>)['content'] ?? '');
    const firstSource = (text: string) => /\*\*Sources\*\*\n\*\*\[1\]\*\* ([^\n(]+) \(/.exec(text)?.[1];

    it('keeps the topic over four mentions in the thread, then drops it for a new subject', async () => {
      let since = h.fake.calls.length;
      h.fake.message(TURNS[0]!);
      const reply = await h.fake.waitFor('POST', new RegExp(`^/channels/${h.fake.channelId}/messages$`), { since });
      expect(firstSource(content(reply.body))).toBe(SEED_TITLE);
      const thread = await h.fake.waitFor('POST', /^\/channels\/\d+\/messages\/\d+\/threads$/, { since });
      const threadId = /\/messages\/(\d+)\/threads$/.exec(thread.path)![1]!;
      await threadKnown(h.services, threadId);
      for (const question of [...TURNS.slice(1), NEW_SUBJECT]) {
        since = h.fake.calls.length;
        h.fake.message(question, { channelId: threadId });
        const answer = await h.fake.waitFor('POST', new RegExp(`^/channels/${threadId}/messages$`), { since });
        if (question === NEW_SUBJECT) expect(content(answer.body)).not.toContain(SEED_TITLE);
        else expect(firstSource(content(answer.body)), question).toBe(SEED_TITLE);
      }
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnswering } from '../../src/app/answering.js';
import { loadConfig } from '../../src/config/index.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { fakeRetrievalStore } from '../helpers/fake-retrieval-store.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { passageRow } from '../helpers/rows.js';

/** Six one-passage articles that all mention a harbour, in different words (no near-duplicates). */
const texts = [
  'The harbour reopened on Saturday after repairs, officials said.',
  'Fishermen in Dunmore welcomed boats back to the harbour this week.',
  'A storm had closed the harbour wall and two piers in March.',
  'Ferry crews returned to the harbour, restarting island crossings.',
  'Engineers spent eleven weeks rebuilding harbour lights and pontoons.',
  'Tourism chiefs expect summer visitors to fill harbour cafes again.',
];
const rows = texts.map((text, i) => passageRow(i + 1, `a${i + 1}`, text, { date: '2024-05-14' }));
const lexical = rows.map((r, i) => ({ id: r.passage.id, score: 20 - i }));
const asOf = new Date('2024-05-15T12:00:00Z');

describe('buildAnswering', () => {
  it('fills every setting not given from DEFAULTS.retrieval, and takes the config as it is', () => {
    const { store } = fakeRetrievalStore({});
    expect(buildAnswering({ store, embedder: null }).settings).toEqual({
      mode: DEFAULTS.retrieval.mode,
      topK: DEFAULTS.retrieval.topK,
      maxPassagesPerArticle: DEFAULTS.retrieval.maxPassagesPerArticle,
      efSearch: DEFAULTS.retrieval.efSearch,
      vectorWeight: DEFAULTS.retrieval.vectorWeight,
    });
    expect(buildAnswering({ store, embedder: null, retrieval: { topK: 3, mode: undefined } }).settings).toMatchObject({ topK: 3, mode: DEFAULTS.retrieval.mode });
    const config = loadConfig({ TOP_K: '7', HYBRID_VECTOR_WEIGHT: '0.5' }, '/x');
    expect(buildAnswering({ store, embedder: null, retrieval: config.retrieval }).settings).toEqual(config.retrieval);
  });

  it('searches with its settings and answers extractively, with the store idf, without a language model', async () => {
    const { store, calls } = fakeRetrievalStore({ lexical, rows });
    const { retriever, answers } = buildAnswering({ store, embedder: null, retrieval: { topK: 3, maxPassagesPerArticle: 1 } });
    expect(answers.answerMode).toBe('extractive');
    const { answer, search } = await answers.ask('When did the harbour reopen?', { asOf });
    expect(search.mode).toBe('lexical');
    expect(search.passages).toHaveLength(3);
    expect(answer.mode).toBe('extractive');
    expect(answer.text).toMatch(/^The harbour reopened on Saturday/);
    // The extractive answer asked the store which of the question's words are rare.
    expect(calls.filter((c) => c.method === 'termIdf')).toHaveLength(2);
    expect((await retriever.search('harbour', { asOf })).passages).toHaveLength(3);
  });

  describe('with a language model', () => {
    const llm = new FakeOpenAI();
    let baseURL: string;
    beforeAll(async () => (baseURL = await llm.start()));
    afterAll(() => llm.stop());

    it('has the model write the answer from LLM_MAX_PASSAGES passages, and rewrites follow-ups', async () => {
      const { llm: settings } = loadConfig({ OPENAI_BASE_URL: baseURL, OPENAI_MODEL: 'fake-model', LLM_MAX_PASSAGES: '4', LLM_MAX_ATTEMPTS: '1' });
      const { store } = fakeRetrievalStore({ lexical, rows });
      const { answers } = buildAnswering({ store, embedder: null, llm: settings });
      expect(answers.answerMode).toBe('llm');
      llm.reply({ kind: 'json', content: 'When did the harbour in town 1 reopen?' }, { kind: 'stream', deltas: ['It reopened on Saturday [1].'] });
      const history = [{ question: 'What happened to the harbour?', answer: 'It was repaired [1].', sources: [{ articleId: 'a1', title: 'Article a1' }] }];
      const { answer, search } = await answers.ask('and when did it reopen?', { asOf, history });
      expect(llm.requests.map((r) => r.body.model)).toEqual(['fake-model', 'fake-model']);
      expect(llm.requests[0]!.body.stream).toBeFalsy();
      expect(search.passages).toHaveLength(4);
      expect(answer.mode).toBe('llm');
      expect(answer.text).toBe('It reopened on Saturday [1].');
    });

    it('makes no rewrite call when LLM_REWRITE_TIMEOUT_MS is 0', async () => {
      const { llm: settings } = loadConfig({ OPENAI_BASE_URL: baseURL, LLM_REWRITE_TIMEOUT_MS: '0', LLM_MAX_ATTEMPTS: '1' });
      const { store } = fakeRetrievalStore({ lexical, rows });
      const { answers } = buildAnswering({ store, embedder: null, llm: settings });
      llm.reply({ kind: 'stream', deltas: ['It reopened on Saturday [1].'] });
      const history = [{ question: 'What happened to the harbour?', answer: 'It was repaired [1].', sources: [{ articleId: 'a1', title: 'Article a1' }] }];
      await answers.ask('and when did it reopen?', { asOf, history });
      expect(llm.requests).toHaveLength(1);
      expect(llm.requests[0]!.body.stream).toBe(true);
    });
  });
});

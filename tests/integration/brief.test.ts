import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractiveBrief, modelBrief, type BriefArticle } from '../../src/answer/brief.js';
import { OpenAIChatModel } from '../../src/answer/openai-chat-model.js';
import { createLogger } from '../../src/core/logger.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';

function a(id: string, title: string, text: string): BriefArticle {
  return { article: { id, title, date: '2025-03-05', source: 'wire', url: null, author: null, origin: `${id}.txt`, contentHash: `h-${id}` }, text };
}
const ARTICLES = [
  a('t1', 'Harbour tunnel approved by the Port Ellis council', 'The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary. Construction starts next spring.'),
  a('t2', 'Port Ellis council approves harbour tunnel', 'Councillors in Port Ellis backed plans for a harbour tunnel on Tuesday. Mayor Ada Quint said the tunnel would end decades of ferry queues.'),
  a('l1', 'Port Ellis library reopens after flood repairs', 'The central library in Port Ellis reopened on Wednesday after eight months of repairs to flood damage.'),
];

/** The brief written by a language model (the real OpenAI SDK against the local fake server). */
describe('modelBrief', () => {
  const fake = new FakeOpenAI();
  let model: OpenAIChatModel;
  const logs: string[] = [];
  const logger = createLogger('debug', (line) => logs.push(line));
  const extractive = extractiveBrief(ARTICLES, 5);
  beforeAll(async () => {
    model = new OpenAIChatModel({ apiKey: 'sk-test', baseURL: await fake.start(), model: 'fake-model', timeoutMs: 2_000 });
  });
  afterAll(() => fake.stop());

  it('writes one line per story from the numbered articles; its citations are checked and renumbered like an answer\'s', async () => {
    fake.reply({ kind: 'json', content: '- Port Ellis approved a 1.2 km harbour tunnel on Tuesday [2], which the mayor says will end ferry queues [2][9].\n- The flood-hit central library reopened on Wednesday [3].' });
    const brief = await modelBrief(model, extractive, { timeoutMs: 2_000, logger });
    // The prompt numbers the stories' articles in brief order and tells the model what to do.
    const prompt = fake.requests[0]!.body.messages;
    expect(prompt[0]!.content).toMatch(/one line per story/);
    expect(prompt[1]!.content).toMatch(/^Story 1\n\[1\] Harbour tunnel approved by the Port Ellis council \(2025-03-05, wire\)\n/);
    expect(prompt[1]!.content).toContain('[3] Port Ellis library reopens after flood repairs');
    expect(brief!.answer.mode).toBe('llm');
    expect(brief!.answer.text).toBe(
      '• Port Ellis approved a 1.2 km harbour tunnel on Tuesday [1], which the mayor says will end ferry queues [1].\n• The flood-hit central library reopened on Wednesday [2].',
    );
    // [2] was the second tunnel report, [3] the library; [9] pointed to nothing and is gone.
    expect(brief!.answer.citations.map((c) => c.articleId)).toEqual(['t2', 'l1']);
  });

  it('falls back (null) when a line cites nothing, or the model fails', async () => {
    fake.reply({ kind: 'json', content: '• Port Ellis approved a harbour tunnel [1].\n• The library reopened.' });
    expect(await modelBrief(model, extractive, { timeoutMs: 2_000, logger })).toBeNull();
    fake.reply({ kind: 'error', status: 400, message: 'bad request' });
    expect(await modelBrief(model, extractive, { timeoutMs: 2_000, logger })).toBeNull();
    expect(logs.filter((l) => /posting the extractive one/.test(l))).toHaveLength(2);
  });
});

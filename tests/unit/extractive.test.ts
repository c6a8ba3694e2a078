import { describe, expect, it } from 'vitest';
import { NOTHING_FOUND, extractiveAnswer } from '../../src/answer/extractive.js';
import { formatAnswerText } from '../../src/answer/format.js';
import type { RetrievedPassage } from '../../src/core/types.js';

let nextId = 1;
function hit(articleId: string, title: string, text: string, position = 0, extra: Partial<RetrievedPassage['article']> = {}): RetrievedPassage {
  const id = nextId++;
  return {
    passage: { id, articleId, position, start: 0, end: text.length, text },
    article: { id: articleId, title, date: '2024-05-02', source: 'wire', url: `https://news.example/${articleId}`, author: null, origin: 'x', contentHash: 'h', ...extra },
    score: 1 / id,
  };
}

describe('extractiveAnswer', () => {
  const passages = [
    hit('a', 'Council approves budget', 'The city council approved the 2025 budget on Tuesday after a long debate. The vote was 7 to 2. Critics said the budget cuts library hours.'),
    hit('b', 'Library hours cut', 'Library hours will be cut on weekends under the new budget, the mayor said. Parents protested outside city hall.'),
    hit('c', 'Weather', 'Rain is expected all week across the region, forecasters said.'),
  ];

  it('quotes the best sentences with citations numbered by first use', () => {
    const answer = extractiveAnswer('What did the council approve in the budget vote?', passages);
    expect(answer.mode).toBe('extractive');
    expect(answer.text).toMatch(/^The city council approved the 2025 budget on Tuesday after a long debate\. \[1\]/);
    expect(answer.citations[0]).toMatchObject({ n: 1, articleId: 'a', title: 'Council approves budget', url: 'https://news.example/a' });
    // Every marker refers to a listed citation, and every citation is used.
    const markers = [...answer.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(new Set(markers)).toEqual(new Set(answer.citations.map((c) => c.n)));
    expect(answer.text).not.toContain('Rain is expected');
  });

  it('stays within the character budget', () => {
    const long = hit('d', 'Long', `The budget ${'includes many detailed provisions for the council '.repeat(20)}and more.`);
    const answer = extractiveAnswer('What does the budget include?', [long], { maxChars: 200 });
    expect(answer.text.replace(/ \[\d+\]/g, '').length).toBeLessThanOrEqual(200);
    expect(answer.text).toMatch(/… \[1\]$/);
  });

  it('says it found nothing when no sentence shares a content word with the question', () => {
    for (const question of ['Who won the chess olympiad?', 'what is it?', '']) {
      const answer = extractiveAnswer(question, passages);
      expect(answer).toEqual({ text: NOTHING_FOUND, mode: 'none', citations: [], notes: [] });
    }
    expect(extractiveAnswer('budget', []).mode).toBe('none');
  });

  it('drops datelines from quoted sentences', () => {
    const p = hit('e', 'Talks', 'WASHINGTON — Negotiators reached a trade deal on Friday, officials said.');
    expect(extractiveAnswer('What deal did negotiators reach?', [p]).text).toBe('Negotiators reached a trade deal on Friday, officials said. [1]');
  });

  it('formats sources with title, date, source and URL', () => {
    const answer = extractiveAnswer('What did the council approve in the budget vote?', passages);
    const text = formatAnswerText({ ...answer, notes: ['lexical search only'] });
    expect(text).toContain('Note: lexical search only');
    expect(text).toContain('Sources:\n[1] Council approves budget (2024-05-02, wire) https://news.example/a');
  });

  it('quotes the sentence before the best one when the best one only says "the automaker"', () => {
    const p = hit(
      'f',
      'Recall',
      'Officials in Springfield spoke on Monday. Zenith Motors recalled 40,000 cars over faulty airbags. The automaker said faulty airbag inflators could injure drivers and told owners of affected cars to stop driving them at once.',
    );
    const question = 'Which automaker told owners to stop driving cars with faulty airbag inflators?';
    expect(extractiveAnswer(question, [p]).text).toMatch(/^Zenith Motors recalled 40,000 cars over faulty airbags\. \[1\] The automaker said/);
    // Without the back-reference the neighbour is not pulled in ahead of the best sentence.
    const q = hit('g', 'Recall', p.passage.text.replace('The automaker said', 'Regulators said'));
    expect(extractiveAnswer(question.replace('Which automaker', 'Who'), [q]).text).toMatch(/^Regulators said/);
  });
});

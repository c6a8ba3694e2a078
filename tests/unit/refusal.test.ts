import { describe, expect, it } from 'vitest';
import { NOTHING_FOUND, questionSubject, refusalAnswer } from '../../src/answer/refusal.js';
import type { ArticleMeta } from '../../src/core/types.js';

describe('refusal', () => {
  it.each([
    ['What is the capital of Mongolia?', 'the capital of Mongolia'],
    ['Who won the 2024 Super Bowl?', 'the 2024 Super Bowl'],
    ['why did the mayor of Tromsø ban scooters?', 'the mayor of Tromsø ban scooters'],
    ['and what about the Juan Soto deal?', 'the Juan Soto deal'],
    ['How many bones are in the adult human body?', 'bones are in the adult human body'],
  ])('names the subject of %s', (question, subject) => {
    expect(questionSubject(question)).toBe(subject);
  });

  it('has no subject for a question that names nothing, and cuts a long one', () => {
    expect(questionSubject('why?')).toBeNull();
    expect(questionSubject('what is it?')).toBeNull();
    expect(questionSubject('**bold** _x_ `rm -rf /`')).toBeNull();
    expect(questionSubject('What about 🔥 Trump?')).toBeNull();
    expect(questionSubject(`What about ${'the very long council budget debate '.repeat(10)}?`)!.length).toBeLessThanOrEqual(80);
  });

  it('says it does not know, pointing to the closest dated headline without citing it', () => {
    const closest: ArticleMeta = { id: 'x', title: 'Mongolia holds elections', date: '2024-06-28', source: 's', url: null, author: null, origin: 'o', contentHash: 'h' };
    const answer = refusalAnswer('What is the capital of Mongolia?', closest, 0.2345);
    expect(answer).toEqual({
      text: "I couldn't find anything about “the capital of Mongolia” in the news I have.",
      mode: 'none',
      citations: [],
      notes: ['The closest I have: “Mongolia holds elections” (2024-06-28).'],
      confidence: 0.235,
    });
    expect(refusalAnswer('why?', null)).toEqual({ text: NOTHING_FOUND, mode: 'none', citations: [], notes: [], confidence: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { ANSWER_BONUS, meetsIntent, questionIntent, scoreCandidates } from '../../src/answer/sentence-scoring.js';
import { sentenceCandidates } from '../../src/answer/sentences.js';
import { profileQuestion } from '../../src/retrieval/evidence.js';
import type { RetrievedPassage } from '../../src/core/types.js';

function hit(articleId: string, text: string): RetrievedPassage {
  return {
    passage: { id: 1, articleId, position: 3, start: 0, end: text.length, text },
    article: { id: articleId, title: 'Talks on the harbour bridge', date: '2024-05-02', source: 'wire', url: null, author: null, origin: 'x', contentHash: 'h' },
    score: 1,
  };
}

function scored(question: string, text: string, context: [string, number][] = []) {
  const profile = profileQuestion(question);
  const termWeight = new Map<string, number>(profile.terms.map((t) => [t, 1]));
  for (const [t, w] of context) termWeight.set(t, w);
  const candidates = sentenceCandidates([hit('a', text)], new Set(['a']));
  scoreCandidates(candidates, { profile, intent: questionIntent(question), termWeight });
  return candidates;
}

describe('question intent', () => {
  it('tells why-questions and what-did-X-say questions from the rest', () => {
    expect(questionIntent('why does he want that?')).toEqual({ kind: 'reason' });
    expect(questionIntent('And why did the mayor close the bridge?')).toEqual({ kind: 'reason' });
    expect(questionIntent('and what did Trump say about peacekeeping?')).toEqual({ kind: 'speech', speaker: ['trump'] });
    expect(questionIntent('What did he tell reporters?')).toEqual({ kind: 'speech', speaker: [] });
    expect(questionIntent('What did the mayor close?')).toEqual({ kind: 'typed' });
  });

  it('finds reasons and attributed words', () => {
    const reason = questionIntent('why?');
    expect(meetsIntent('The guarantee has to be sufficient to deter any attack, she said.', reason, profileQuestion('why?'))).toBe(true);
    expect(meetsIntent('The bridge closed because of cracks in the deck.', reason, profileQuestion('why?'))).toBe(true);
    expect(meetsIntent('The bridge will reopen in June.', reason, profileQuestion('why?'))).toBe(false);
    const say = questionIntent('What did Lee say about the bridge?');
    const profile = profileQuestion('What did Lee say about the bridge?');
    expect(meetsIntent('“We will fix it by June,” Lee told reporters.', say, profile)).toBe(true);
    expect(meetsIntent('“We will fix it by June,” the engineer told reporters.', say, profile)).toBe(false);
    expect(meetsIntent('Lee visited the bridge on Monday morning.', say, profile)).toBe(false);
  });
});

describe('scoreCandidates', () => {
  const text =
    'The mayor closed the harbour bridge on Monday. The bridge was closed because inspectors found cracks in its deck. “We will reopen the bridge when it is safe,” the mayor said. Ferries ran all day on the river.';

  it('prefers the sentence giving the reason for a why-question', () => {
    const [closed, because, quote, ferries] = scored('Why did the mayor close the bridge?', text);
    expect(because!.answers).toBe(true);
    expect(because!.score).toBeGreaterThan(closed!.score);
    expect(quote!.score).toBeGreaterThan(0);
    // No word of the question: no score, whatever it holds.
    expect(ferries!.score).toBe(0);
  });

  it('prefers the sentence with the named speaker’s words for a what-did-X-say question', () => {
    const [closed, , quote] = scored('What did the mayor say about the bridge?', text);
    expect(quote!.answers).toBe(true);
    expect(closed!.answers).toBe(false);
    expect(quote!.score - closed!.score).toBeGreaterThan(ANSWER_BONUS / 2);
  });

  it('counts a conversation’s words below the question’s own, and sets the coverage', () => {
    const [closed] = scored('what happened?', text, [['bridg', 0.5]]);
    expect(closed!.score).toBeGreaterThan(0);
    expect(closed!.coverage).toBeGreaterThan(0);
    const [alone] = scored('what happened?', text);
    expect(alone!.score).toBe(0);
  });
});

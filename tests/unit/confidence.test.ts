import { describe, expect, it } from 'vitest';
import { answerConfidence, answerEvidence, answers } from '../../src/answer/confidence.js';
import type { SentenceCandidate } from '../../src/answer/sentences.js';
import { contentTerms } from '../../src/core/text.js';

function lead(text: string, title: string, coverage = 0.5, answersIt = true): SentenceCandidate {
  return {
    text,
    item: { passage: { id: 1, articleId: 'a', position: 0, start: 0, end: 0, text }, article: { id: 'a', title, date: null, source: 's', url: null, author: null, origin: 'o', contentHash: 'h' }, score: 1 },
    rank: 0,
    index: 0,
    terms: new Set(contentTerms(text)),
    score: 1,
    onTopic: true,
    answers: answersIt,
    coverage,
  };
}

describe('answer evidence and confidence', () => {
  const question = 'What is the capital of Mongolia?';
  const terms = contentTerms(question);

  it('answers when every name is in the news and the sentence holds two of the question’s words', () => {
    const good = lead('Ulaanbaatar, the capital of Mongolia, hosted the summit.', 'Summit in Ulaanbaatar');
    const evidence = answerEvidence(question, terms, terms, good, new Set(['mongolia', 'capit']));
    expect(evidence).toEqual({ names: ['mongolia'], namesFound: 1, matched: 2, needed: 2 });
    expect(answers(evidence)).toBe(true);
  });

  it('refuses a passing mention (one shared word) and a subject the news never names', () => {
    const passing = lead('The rocket launched from a base in Inner Mongolia on Sunday.', 'Astronauts head to space station');
    expect(answers(answerEvidence(question, terms, terms, passing, new Set(['mongolia'])))).toBe(false);
    const tromso = 'Why did the mayor of Tromsø ban scooters?';
    const qTerms = contentTerms(tromso);
    const other = lead('The mayor of Nashville called for a ban on scooters after a death.', 'Scooter ban debated');
    const evidence = answerEvidence(tromso, qTerms, qTerms, other, new Set(['mayor', 'ban', 'scooter']));
    expect(evidence.namesFound).toBe(0);
    expect(answers(evidence)).toBe(false);
    // Another form of a name counts: "Botswanan" for "Botswana".
    const botswana = 'What did the Botswanan president threaten to send to Germany?';
    const bTerms = contentTerms(botswana);
    expect(answerEvidence(botswana, bTerms, bTerms, other, new Set(['botswana', 'germani'])).namesFound).toBe(2);
    // Short capitals are abbreviations, not names: "TV" need not be in the news.
    expect(answerEvidence('Which comedian will return to TV?', ['comedian', 'return'], ['comedian', 'return'], lead('The comedian will return in May.', 'x'), new Set()).names).toEqual([]);
  });

  it('needs one word of a one-word question, and counts a conversation’s words', () => {
    const evidence = answerEvidence('why does he want that?', ['want'], ['want', 'starmer'], lead('“It has to deter Putin,” Starmer told reporters.', 'x'), new Set());
    expect(evidence).toMatchObject({ matched: 1, needed: 1 });
    expect(answers(evidence)).toBe(true);
  });

  it('is higher for stronger evidence, within 0..1', () => {
    const evidence = { names: ['mongolia'], namesFound: 1, matched: 2, needed: 2 };
    const strong = answerConfidence(lead('x', 'y', 0.9, true), evidence);
    const weak = answerConfidence(lead('x', 'y', 0.2, false), { ...evidence, namesFound: 0, matched: 1 });
    expect(strong).toBeGreaterThan(weak);
    expect(strong).toBeLessThanOrEqual(1);
    expect(weak).toBeGreaterThanOrEqual(0);
  });
});

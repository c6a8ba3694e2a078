import { describe, expect, it } from 'vitest';
import { contentTerms, splitSentences } from '../../src/core/text.js';
import type { Passage } from '../../src/core/types.js';
import { holdsAnswer, PassageEvidence, profileQuestion, questionTermsIn, SentenceCache, termCoverage } from '../../src/retrieval/evidence.js';
import { passageRow } from '../helpers/rows.js';

const sentencesOf = (passage: Passage) => splitSentences(passage.text).map((s) => s.text);

describe('profileQuestion', () => {
  it('gives the distinct content terms in order, the tokens and the answer type', () => {
    const q = profileQuestion('Which country landed a spacecraft on the moon, the first country to do so?');
    expect(q.terms).toEqual(['countri', 'land', 'spacecraft', 'moon', 'first']);
    expect([...q.termSet]).toEqual(q.terms);
    expect(q.tokens.has('which')).toBe(true);
    expect(q.type).toBe('country');
    expect(profileQuestion('Tell me about storms').type).toBeNull();
  });
});

describe('holdsAnswer', () => {
  it('needs a candidate of the asked type that the question does not already name', () => {
    const q = profileQuestion('Which country did Japan beat?');
    expect(holdsAnswer('Japan beat Germany 2-1.', q)).toBe(true);
    expect(holdsAnswer('Japan won again.', q)).toBe(false);
    expect(holdsAnswer('Germany lost.', profileQuestion('Tell me about football'))).toBe(false);
  });
});

describe('termCoverage', () => {
  const weight = new Map([['a', 3], ['b', 1]]);
  const weightOf = (t: string) => weight.get(t) ?? 0;

  it('is the weighted share of the terms present', () => {
    expect(termCoverage(['a', 'b'], weightOf, (t) => (t === 'a' ? 1 : 0))).toBe(0.75);
    expect(termCoverage(['a', 'b'], weightOf, () => 1)).toBe(1);
    expect(termCoverage(['a', 'b'], weightOf, () => 0)).toBe(0);
  });

  it('gives partial credit, and 0 (not NaN) when the weights sum to 0', () => {
    expect(termCoverage(['a', 'b'], weightOf, (t) => (t === 'a' ? 0.5 : 1))).toBe(0.625);
    expect(termCoverage(['x', 'y'], weightOf, () => 1)).toBe(0);
    expect(termCoverage([], weightOf, () => 1)).toBe(0);
  });
});

describe('questionTermsIn', () => {
  it('finds the question terms a text holds, stemmed, whatever their form', () => {
    const q = profileQuestion('Who is recalling sedans over brakes?');
    expect(questionTermsIn('The carmaker recalled 50,000 sedans after brake faults.', q)).toEqual(new Set(['recal', 'sedan', 'brake']));
    expect(questionTermsIn('Nothing relevant here.', q).size).toBe(0);
  });

  it('agrees with the content terms of the text', () => {
    const q = profileQuestion('What did the central bank say about interest rates and inflation this spring?');
    const text = 'The Central Bank kept interest rates on hold, saying inflation was easing in spring; banks said little.';
    const expected = new Set(contentTerms(text).filter((t) => q.termSet.has(t)));
    expect(questionTermsIn(text, q)).toEqual(expected);
  });
});

describe('PassageEvidence', () => {
  const idf = new Map([['countri', 1], ['land', 2], ['spacecraft', 4], ['moon', 3]]);
  const question = 'Which country landed a spacecraft on the moon?';

  it('scores answer evidence on a sentence that covers the question and names a candidate', () => {
    const evidence = new PassageEvidence(question, idf, sentencesOf);
    const row = passageRow(1, 'a', 'Officials cheered in Tokyo. Japan landed a spacecraft on the moon on Friday.');
    // The second sentence holds "landed", "spacecraft", "moon" (9 of 10) and a country.
    expect(evidence.of(row)).toEqual({ answer: 0.9, coverage: 0.9 });
  });

  it('counts the title towards the answer sentence, not towards coverage', () => {
    const evidence = new PassageEvidence(question, idf, sentencesOf);
    const row = passageRow(2, 'b', 'Japan landed on Friday, officials said.', { title: 'Spacecraft reaches the moon' });
    expect(evidence.of(row)).toEqual({ answer: 0.9, coverage: 0.2 });
  });

  it('gives no answer evidence without a candidate of the asked type, and only coverage without a type', () => {
    const withType = new PassageEvidence(question, idf, sentencesOf);
    expect(withType.of(passageRow(3, 'c', 'A spacecraft landed on the moon.'))).toEqual({ answer: 0, coverage: 0.9 });
    const noType = new PassageEvidence('Tell me about the spacecraft on the moon', idf, sentencesOf);
    expect(noType.of(passageRow(4, 'd', 'Japan landed a spacecraft on the moon.'))).toEqual({ answer: 0, coverage: 1 });
  });

  it('scores nothing for a question without content words', () => {
    expect(new PassageEvidence('What is it?', idf, sentencesOf).of(passageRow(5, 'e', 'Japan landed a spacecraft.'))).toEqual({ answer: 0, coverage: 0 });
  });

  it('splits each passage once (memoized by passage id)', () => {
    let splits = 0;
    const evidence = new PassageEvidence(question, idf, (p) => {
      splits++;
      return sentencesOf(p);
    });
    const row = passageRow(6, 'f', 'Japan landed a spacecraft on the moon.');
    const first = evidence.of(row);
    expect(evidence.of(row)).toBe(first);
    expect(splits).toBe(1);
  });
});

describe('SentenceCache', () => {
  it('keeps the sentences of the newest passages up to its capacity', () => {
    const cache = new SentenceCache(2);
    const p = (id: number) => passageRow(id, 'a', `Sentence one of ${id}. Sentence two.`).passage;
    const first = cache.of(p(1));
    expect(first).toEqual(['Sentence one of 1.', 'Sentence two.']);
    expect(cache.of(p(1))).toBe(first);
    cache.of(p(2));
    const third = cache.of(p(3));
    expect(cache.size).toBe(2);
    // The oldest went first: passage 1 is split again, passage 3 is kept.
    expect(cache.of(p(3))).toBe(third);
    expect(cache.of(p(1))).not.toBe(first);
  });
});

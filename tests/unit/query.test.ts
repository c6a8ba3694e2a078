import { describe, expect, it } from 'vitest';
import { stem } from '../../src/core/text.js';
import { MAX_MATCH_TERMS, matchTerms, queryTerms } from '../../src/retrieval/query.js';

describe('queryTerms', () => {
  it('keeps content words once, in order, lowercased, without syntax', () => {
    expect(queryTerms('What did Starmer ask Trump for? Starmer "AND" NEAR(x)')).toEqual(['starmer', 'ask', 'trump', 'near']);
  });

  it('keeps digits of one character and stops at 32 words', () => {
    expect(queryTerms('Did 5 people see it?')).toEqual(['5', 'people', 'see']);
    const many = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    expect(queryTerms(many)).toHaveLength(32);
  });
});

describe('matchTerms', () => {
  it('keeps a short query as it is', () => {
    const terms = ['starmer', 'ask', 'trump'];
    expect(matchTerms(terms, new Map())).toEqual(terms);
  });

  it(`keeps the ${MAX_MATCH_TERMS} rarest words of a long query (by the idf of their stems), in query order`, () => {
    const terms = ['president', 'visited', 'small', 'town', 'flooded', 'river', 'yesterday', 'afternoon', 'officials', 'zelensky'];
    const idf = new Map(terms.map((t, i) => [stem(t), i + 1]));
    // "president" (idf 1) and "visited" (2) are the most common: left out.
    expect(matchTerms(terms, idf)).toEqual(terms.slice(2));
    // A word the store has never seen counts as the most common.
    expect(matchTerms(terms, new Map([...idf].filter(([s]) => s !== stem('zelensky'))))).not.toContain('zelensky');
  });
});

import { describe, expect, it } from 'vitest';
import { articlesAbout, holdsKeyTerm, keyTerms, questionKeys } from '../../src/answer/topic.js';
import { contentTerms } from '../../src/core/text.js';

describe('key terms', () => {
  const idf = new Map([['starmer', 6.1], ['trump', 2.2], ['ask', 1.4], ['champion', 4.8], ['leagu', 3.9], ['final', 2.5], ['won', 1.9], ['380', 9], ['recal', 3]]);

  it('takes the rarer half of the question terms (at least one) as key terms', () => {
    expect(keyTerms(contentTerms('What did Starmer ask Trump for?'), idf)).toEqual(['starmer']);
    expect(keyTerms(contentTerms('Who won the Champions League final?'), idf)).toEqual(['champion', 'leagu']);
    expect(keyTerms(['trump'], idf)).toEqual(['trump']);
    expect(keyTerms([], idf)).toEqual([]);
    // Terms without an idf count as the most common; ties keep question order.
    expect(keyTerms(['zeta', 'alpha', 'beta', 'gamma'], new Map())).toEqual(['zeta', 'alpha']);
  });

  it('leaves numbers out: "more than 380,000" is an article\'s "381,000"', () => {
    expect(keyTerms(contentTerms('Who recalled 380,000 trucks?'), idf)).toEqual(['recal']);
    expect(keyTerms(['380'], idf)).toEqual([]);
  });

  it('tells whether a text holds a key term', () => {
    expect(holdsKeyTerm('Keir Starmer flew to Washington.', ['starmer'])).toBe(true);
    expect(holdsKeyTerm('Trump asked whether Cohen lied.', ['starmer'])).toBe(false);
    expect(holdsKeyTerm('anything', [])).toBe(true);
  });
});

describe('questionKeys', () => {
  const articles = [
    { id: 'a', lede: 'Starmer asks Trump for a backstop', text: 'Starmer wants a backstop. Trump said no.' },
    { id: 'b', lede: 'Macron in Washington', text: 'Macron asked Trump about tariffs.' },
  ];
  it('leaves question verbs out of the key terms, and adds the conversation\'s set in a follow-up', () => {
    const idf = new Map([['ask', 9], ['starmer', 5], ['trump', 1], ['macron', 6], ['want', 9]]);
    expect(questionKeys(['ask', 'starmer'], [], articles, idf)).toEqual([['starmer']]);
    expect(questionKeys(['macron'], ['starmer', 'ask', 'trump'], articles, idf)).toEqual([['macron'], ['starmer']]);
    // A follow-up with only a question verb of its own ("why does he want that?") has the conversation's keys.
    expect(questionKeys(['want'], ['starmer', 'trump'], articles, idf)).toEqual([['starmer']]);
    expect(articlesAbout(['macron'], ['starmer', 'trump'], articles, idf)).toEqual(new Set());
    expect(articlesAbout(['macron'], [], articles, idf)).toEqual(new Set(['b']));
  });
});

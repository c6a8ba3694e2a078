import { describe, expect, it } from 'vitest';
import { cleanText, contentTerms, splitSentences } from '../../src/core/text.js';

describe('splitSentences', () => {
  it('splits on sentence ends with exact offsets', () => {
    const text = 'Starmer met Trump. They talked for an hour!  Was it useful? Nobody knows.';
    const spans = splitSentences(text);
    expect(spans.map((s) => s.text)).toEqual(['Starmer met Trump.', 'They talked for an hour!', 'Was it useful?', 'Nobody knows.']);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.text);
  });

  it('does not split after abbreviations and initials', () => {
    const spans = splitSentences('Mr. Smith met Dr. Jones in the U.S. capital. J. R. Doe agreed.');
    expect(spans.map((s) => s.text)).toEqual(['Mr. Smith met Dr. Jones in the U.S. capital.', 'J. R. Doe agreed.']);
  });

  it('applies an offset', () => {
    const [first] = splitSentences('Hello there.', 100);
    expect(first).toEqual({ text: 'Hello there.', start: 100, end: 112 });
  });
});

describe('cleanText and contentTerms', () => {
  it('removes zero-width and control characters and normalizes space', () => {
    expect(cleanText('a\u200Bb\u0007 \t c\r\n\r\n\r\n\r\nd')).toBe('ab c\n\nd');
  });

  it('drops stopwords and stems', () => {
    expect(contentTerms('What did Starmer ask Trump for this week?')).toEqual(['starmer', 'ask', 'trump']);
    expect(contentTerms('guarantees guaranteed')).toEqual(['guarante', 'guarante']);
  });
});

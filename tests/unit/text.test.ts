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

  it('gives the same sentences as one Intl.Segmenter pass over the whole text, also on text far longer than its windows', () => {
    const pieces = [
      'Mr. Smith met Dr. Jones in the U.S. capital on Tuesday.',
      'J. R. Doe agreed, and the vote passed 52-48!',
      '“Is this the end?” she asked.',
      'Prices rose 1.5 per cent in Jan. and fell in Feb.',
      'The company (Acme Inc.) said nothing.',
      'Gen. Miller, Sen. Ortiz and Rep. Lee met at 9 a.m. on the dot.',
      'It was, e.g., a quiet week — until it wasn\'t...',
      'Numbers: 1, 2, 3. and then lowercase continues here.',
      'Why? Because. OK.',
      'A sentence with no end at all',
    ];
    let seed = 7;
    const pick = () => pieces[(seed = (seed * 16807) % 2147483647) % pieces.length]!;
    const paragraph = Array.from({ length: 1_500 }, pick).join(' ');
    expect(paragraph.length).toBeGreaterThan(50_000);
    const spans = splitSentences(paragraph, 5);
    expect(spans).toEqual(referenceSplit(paragraph, 5));
    for (const s of spans) expect(paragraph.slice(s.start - 5, s.end - 5)).toBe(s.text);
  });

  it('cuts a sentence longer than a megabyte (no sentence end at all) and still covers every word', () => {
    const words = 'word '.repeat(500_000).trim();
    const spans = splitSentences(words);
    expect(spans.length).toBeGreaterThan(1);
    expect(spans.map((s) => s.text).join(' ')).toBe(words);
  });
});

/** The splitter before windowing (one Intl.Segmenter pass, quadratic on long text): the reference. */
function referenceSplit(text: string, offset = 0): { text: string; start: number; end: number }[] {
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const abbreviations = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'gen', 'gov', 'sen', 'rep', 'rev', 'lt', 'col', 'capt', 'sgt', 'cpl', 'pres', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp', 'no', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'u.s', 'u.k', 'u.n', 'e.g', 'i.e', 'a.m', 'p.m', 'approx', 'dept', 'est', 'fig', 'op', 'vol']);
  const endsWithAbbreviation = (sentence: string) => {
    const match = /(?:^|[\s(“"'])([A-Za-z][A-Za-z.]*)\.\s*$/.exec(sentence);
    if (!match?.[1]) return false;
    const word = match[1].toLowerCase();
    return abbreviations.has(word) || /^[a-z]$/.test(word);
  };
  const merged: { text: string; start: number; end: number }[] = [];
  for (const seg of segmenter.segment(text)) {
    const prev = merged[merged.length - 1];
    if (prev && endsWithAbbreviation(prev.text) && !/\n\s*$/.test(prev.text)) {
      prev.text += seg.segment;
      prev.end = seg.index + seg.segment.length;
    } else {
      merged.push({ text: seg.segment, start: seg.index, end: seg.index + seg.segment.length });
    }
  }
  return merged.flatMap((s) => {
    const trimmed = s.text.trim();
    if (!trimmed) return [];
    const start = s.start + s.text.length - s.text.trimStart().length;
    return [{ text: trimmed, start: offset + start, end: offset + start + trimmed.length }];
  });
}

describe('cleanText and contentTerms', () => {
  it('removes zero-width and control characters and normalizes space', () => {
    expect(cleanText('a\u200Bb\u0007 \t c\r\n\r\n\r\n\r\nd')).toBe('ab c\n\nd');
  });

  it('drops stopwords and stems', () => {
    expect(contentTerms('What did Starmer ask Trump for this week?')).toEqual(['starmer', 'ask', 'trump']);
    expect(contentTerms('guarantees guaranteed')).toEqual(['guarante', 'guarante']);
  });
});

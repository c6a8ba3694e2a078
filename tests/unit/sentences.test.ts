import { describe, expect, it } from 'vitest';
import { clip, closesUnopenedQuote, isQuotable, quotedSentences, sentenceCandidates, stripDateline } from '../../src/answer/sentences.js';
import type { RetrievedPassage } from '../../src/core/types.js';

function hit(id: number, articleId: string, title: string, text: string, position = 0): RetrievedPassage {
  return {
    passage: { id, articleId, position, start: 0, end: text.length, text },
    article: { id: articleId, title, date: '2024-05-02', source: 'wire', url: null, author: null, origin: 'x', contentHash: 'h' },
    score: 1,
  };
}

describe('sentence candidates', () => {
  it('keeps real sentences only, without datelines, marking those of articles about the question', () => {
    const a = hit(1, 'a', 'Budget passes', 'Budget passes\nLONDON (Reuters) — The council passed the budget on Tuesday after a long debate. Read more.');
    const b = hit(2, 'b', 'Weather', 'Rain is expected across the region all week, forecasters said.');
    const candidates = sentenceCandidates([a, b], new Set(['a']));
    expect(candidates.map((c) => c.text)).toEqual(['The council passed the budget on Tuesday after a long debate.', 'Rain is expected across the region all week, forecasters said.']);
    expect(candidates.map((c) => [c.item.article.id, c.rank, c.onTopic, c.score])).toEqual([['a', 0, true, 0], ['b', 1, false, 0]]);
    expect(candidates[0]!.terms.has('budget')).toBe(true);
  });

  it('tells sentences from headlines, shouting, fragments and the title', () => {
    expect(isQuotable('The council passed the budget on Tuesday.', 'Budget passes')).toBe(true);
    expect(isQuotable('Budget Passes After Long Debate In Council Chamber', 'x')).toBe(false);
    expect(isQuotable('BREAKING: THE COUNCIL PASSED THE BUDGET TODAY.', 'x')).toBe(false);
    expect(isQuotable('Too short.', 'x')).toBe(false);
    expect(isQuotable('Council passes budget after long debate.', 'Council passes budget after long debate')).toBe(false);
    expect(closesUnopenedQuote('out of there,” a fan said.')).toBe(true);
    expect(closesUnopenedQuote('“We won,” she said.')).toBe(false);
  });

  it('joins a quotation the splitter cut apart, and clips at a word', () => {
    expect(quotedSentences('“This is awesome. This is legendary,” Mahomes said. Then he left.').map((s) => s.text)).toEqual([
      '“This is awesome. This is legendary,” Mahomes said.',
      'Then he left.',
    ]);
    expect(stripDateline('WASHINGTON — Talks resumed.')).toBe('Talks resumed.');
    expect(clip('one two three four', 12)).toBe('one two…');
    expect(clip('short', 12)).toBe('short');
  });
});

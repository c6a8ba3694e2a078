import { describe, expect, it } from 'vitest';
import { MIN_SHARE_OF_BEST, overlap, rankCandidates, selectSentences } from '../../src/answer/sentence-selection.js';
import type { SentenceCandidate } from '../../src/answer/sentences.js';
import { contentTerms } from '../../src/core/text.js';
import type { RetrievedPassage } from '../../src/core/types.js';

const items = new Map<string, RetrievedPassage>();
function item(articleId: string): RetrievedPassage {
  let it = items.get(articleId);
  if (!it) {
    it = { passage: { id: items.size + 1, articleId, position: 0, start: 0, end: 0, text: '' }, article: { id: articleId, title: articleId, date: null, source: 's', url: null, author: null, origin: 'o', contentHash: 'h' }, score: 1 };
    items.set(articleId, it);
  }
  return it;
}
function cand(articleId: string, index: number, text: string, score: number, onTopic = true, answers = false): SentenceCandidate {
  return { text, item: item(articleId), rank: 0, index, terms: new Set(contentTerms(text)), score, onTopic, answers, coverage: 0 };
}
const limits = { maxChars: 400, maxSentences: 3, typed: true };

describe('selectSentences', () => {
  it('leads with the best sentence of an article about the question, never one that is not', () => {
    const offTopic = cand('roundup', 0, 'Golden: the city council is spending money to remove old ships.', 2, false);
    const best = cand('taps', 0, 'The council spent four million pounds on golden taps.', 1.5);
    const support = cand('taps', 1, 'Auditors questioned the cost of the fittings at the town hall.', 1);
    const chosen = selectSentences(rankCandidates([offTopic, best, support]), [offTopic, best, support], limits);
    expect(chosen.map((c) => c.text)).toEqual([best.text, support.text]);
    // Nothing about the question: nothing chosen (the caller refuses).
    expect(selectSentences(rankCandidates([offTopic]), [offTopic], limits)).toEqual([]);
  });

  it('stops under MIN_SHARE_OF_BEST of the best score and leaves out repeats', () => {
    const best = cand('a', 0, 'The council approved the budget on Tuesday evening.', 2);
    const repeat = cand('a', 3, 'On Tuesday evening the council approved the budget.', 1.9);
    const weak = cand('a', 5, 'Parents protested outside the town hall all afternoon.', 2 * MIN_SHARE_OF_BEST - 0.01);
    expect(overlap(best.terms, repeat.terms)).toBeGreaterThan(0.6);
    const chosen = selectSentences(rankCandidates([best, repeat, weak]), [best, repeat, weak], limits);
    expect(chosen.map((c) => c.text)).toEqual([best.text]);
  });

  it('quotes the neighbour that holds the answer when the best sentence only refers to it', () => {
    const named = cand('b', 0, 'Nissan said it would recall 700,000 cars this spring.', 0.1, true, true);
    const best = cand('b', 1, 'The automaker blamed a faulty sensor for the recall of the cars.', 1);
    const chosen = selectSentences(rankCandidates([named, best]), [named, best], limits);
    expect(chosen.map((c) => c.index)).toEqual([0, 1]);
  });
});

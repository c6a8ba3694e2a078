import { describe, expect, it } from 'vitest';
import { feedLede, sameStory } from '../../src/app/feed-deliveries.js';
import { feedArticleText, feedPostName, feedSummaryText } from '../../src/bot/poster.js';
import type { ArticleMeta } from '../../src/core/types.js';

const meta = (over: Partial<ArticleMeta> = {}): ArticleMeta => ({
  id: 'a1',
  title: 'Harbour tunnel approved',
  date: '2026-12-02T09:00:00.000Z',
  source: 'Port Ellis Gazette',
  url: 'https://example.com/tunnel',
  author: null,
  origin: 'https://example.com/tunnel',
  contentHash: 'h',
  ...over,
});

describe('feed posts', () => {
  it('shows the title in bold, source and date in small print, the lede, the link without a preview', () => {
    expect(feedArticleText({ article: meta(), lede: 'The council approved the harbour tunnel on Tuesday.' })).toBe(
      '**Harbour tunnel approved**\n-# Port Ellis Gazette · 2026-12-02\nThe council approved the harbour tunnel on Tuesday.\n<https://example.com/tunnel>',
    );
  });

  it('never renders article text as Markdown nor lets it ping', () => {
    const text = feedArticleText({ article: meta({ title: '**Big** [news](https://evil.example) @everyone', source: '# Src', url: null }), lede: '> quoted <@123> ||spoiler||' });
    expect(text).toBe('**\\*\\*Big\\*\\* \\[news\\]\\(<https://evil.example>\\) @\u200Beveryone**\n-# \\# Src · 2026-12-02\n\\> quoted \\<@\u200B123> \\|\\|spoiler\\|\\|');
    expect(feedPostName({ article: meta({ title: `@here ${'long '.repeat(40)}` }), lede: null })).toMatch(/^@\u200Bhere long .{0,90}…$/);
  });

  it('quotes the first sentence of the lede, without the dateline', () => {
    expect(feedLede(meta(), 'PORT ELLIS (Reuters) - The council approved the tunnel on Tuesday. It will cost 410 million pounds.')).toBe('The council approved the tunnel on Tuesday.');
  });

  it('lists the articles over the cap in one message within Discord’s limit, with how many more', () => {
    const articles = Array.from({ length: 60 }, (_, i) => meta({ id: `a${i}`, title: `Story number ${i} of the burst`, url: `https://example.com/story/${i}` }));
    const text = feedSummaryText({ articles, posted: 5 });
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text.startsWith('**60 more new articles** (5 posted on their own this time):\n**•** Story number 0 of the burst')).toBe(true);
    const listed = text.split('\n').filter((l) => l.startsWith('**•**')).length;
    expect(text.endsWith(`\n…and ${60 - listed} more.`)).toBe(true);
    expect(feedSummaryText({ articles: articles.slice(0, 2), posted: 3 })).not.toContain('more.');
  });
});

describe('sameStory', () => {
  const lede = 'The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary that will cost 410 million pounds.';
  it('is true for a syndicated copy (same headline, or the same lede under another headline)', () => {
    const a = { article: meta({ id: 'a' }), text: lede };
    expect(sameStory(a, { article: meta({ id: 'b', title: 'HARBOUR TUNNEL APPROVED!' }), text: 'Other words entirely here.' })).toBe(true);
    expect(sameStory(a, { article: meta({ id: 'c', title: 'Council backs tunnel' }), text: `${lede} (Courier Wire)` })).toBe(true);
  });
  it('is false for a follow-up on the same subject with new facts', () => {
    const a = { article: meta({ id: 'a' }), text: lede };
    const followUp = { article: meta({ id: 'd', title: 'Harbour tunnel cost rises to 455 million pounds' }), text: 'The harbour tunnel will cost 455 million pounds, 45 million more than approved, after a survey found soft clay.' };
    expect(sameStory(a, followUp)).toBe(false);
  });
});

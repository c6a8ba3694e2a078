import { describe, expect, it } from 'vitest';
import { deliverableArticles } from '../../src/app/deliveries.js';
import type { IngestedArticle, NewsStore } from '../../src/store/ports.js';

/** A store of articles in ingest order, each in a scope; `articlesIngested` as both backends answer it. */
function store(scopes: string[]): Pick<NewsStore, 'deliveries' | 'articleScope'> & { reads: number } {
  const rows: IngestedArticle[] = scopes.map((_, i) => ({
    article: { id: `a${String(i).padStart(4, '0')}`, title: `Article ${i}`, date: '2025-03-05', source: 's', url: null, author: null, origin: 'o', contentHash: `h${i}` },
    ingestedAt: `2025-03-05T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`,
  }));
  const after = (r: IngestedArticle, c: { at: string; id: string } | null | undefined) => !c || r.ingestedAt > c.at || (r.ingestedAt === c.at && r.article.id > c.id);
  const s = {
    reads: 0,
    articleScope: async (id: string) => scopes[Number(id.slice(1))],
    deliveries: {
      articlesIngested: async (q: { after?: { at: string; id: string } | null; limit: number; newestFirst?: boolean }) => {
        s.reads++;
        const all = rows.filter((r) => after(r, q.after));
        return (q.newestFirst ? [...all].reverse() : all).slice(0, q.limit);
      },
    },
  };
  return s as unknown as Pick<NewsStore, 'deliveries' | 'articleScope'> & { reads: number };
}

describe('deliverableArticles', () => {
  it('reads past another server\'s burst: a watch in A still finds the global article after 150 of B\'s, and a cursor moves past what it cannot see', async () => {
    const s = store([...Array(150).fill('B'), 'global', 'A']);
    const { rows, lastRead } = await deliverableArticles(s, 'A', { limit: 100 });
    expect(rows.map((r) => r.article.id)).toEqual(['a0150', 'a0151']);
    expect(lastRead?.id).toBe('a0151');
    const dm = await deliverableArticles(s, null, { limit: 100 });
    expect(dm.rows.map((r) => r.article.id)).toEqual(['a0150']);
    // Nothing visible at all: the cursor still moves to the last row read.
    const hidden = await deliverableArticles(store(Array(120).fill('B')), 'A', { limit: 100 });
    expect(hidden.rows).toEqual([]);
    expect(hidden.lastRead?.id).toBe('a0119');
  });

  it('a brief (newest first) fills its quota from the server\'s visible articles however many of another server\'s come between', async () => {
    const s = store(['global', 'global', ...Array(50).fill('B')]);
    const { rows } = await deliverableArticles(s, 'A', { limit: 5, newestFirst: true });
    expect(rows.map((r) => r.article.id)).toEqual(['a0001', 'a0000']);
  });
});

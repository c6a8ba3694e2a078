import { describe, expect, it } from 'vitest';
import { extractiveBrief, groupStories, ledeSentences, mainStories, type BriefArticle } from '../../src/answer/brief.js';

function a(id: string, title: string, text: string, source = 'wire'): BriefArticle {
  return { article: { id, title, date: '2025-03-05', source, url: `https://example.com/${id}`, author: null, origin: `${id}.txt`, contentHash: `h-${id}` }, text };
}

const TUNNEL = a('t1', 'Harbour tunnel approved by the Port Ellis council', 'PORT ELLIS — The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary. Construction starts next spring and should take four years, the council said.');
const TUNNEL_2 = a('t2', 'Port Ellis council approves harbour tunnel', 'Councillors in Port Ellis backed plans for a harbour tunnel under the estuary on Tuesday. Mayor Ada Quint said the tunnel would end decades of ferry queues.', 'gazette');
const TUNNEL_COPY = a('t3', 'Council says yes to the estuary link', TUNNEL.text, 'echo');
const LIBRARY = a('l1', 'Port Ellis library reopens after flood repairs', 'The central library in Port Ellis reopened on Wednesday after eight months of repairs to flood damage. Its 90,000 books were dried by volunteers.');
const CAPTION_ONLY = a('c1', 'Photos of the week', 'Photo: AFP\n\nSee more');

describe('groupStories', () => {
  it('puts reports of one story together (shared title words, or the same lede under another title) and keeps other stories apart', () => {
    const groups = groupStories([TUNNEL, LIBRARY, TUNNEL_2, TUNNEL_COPY]);
    expect(groups.map((g) => g.map((x) => x.article.id))).toEqual([['t1', 't2', 't3'], ['l1']]);
  });
});

describe('ledeSentences', () => {
  it('quotes sentences of the lede without the dateline, never a caption or fragment', () => {
    expect(ledeSentences(TUNNEL)[0]).toBe('The Port Ellis council voted on Tuesday to approve the harbour tunnel, a 1.2 km road link under the estuary.');
    expect(ledeSentences(CAPTION_ONLY)).toEqual([]);
    const captioned = a('s1', 'Starmer pushes Trump', 'British Prime Minister Keir Starmer, left, will be seeking guarantees for Ukraine. (Photo: AFP)\n\nWASHINGTON — Keir Starmer will meet Donald Trump on Thursday to plead for a US backstop.');
    expect(ledeSentences(captioned)).toEqual(['Keir Starmer will meet Donald Trump on Thursday to plead for a US backstop.']);
  });
});

describe('extractiveBrief', () => {
  it('makes one line per story, most reported first, each sentence with the [n] of the article it is quoted from', () => {
    const brief = extractiveBrief([LIBRARY, TUNNEL, TUNNEL_2, CAPTION_ONLY], 5);
    expect(brief.stories.map((s) => s.length)).toEqual([2, 1]);
    const lines = brief.answer.text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^• .*harbour tunnel.* \[1\] .+ \[2\]$/);
    expect(lines[1]).toBe('• The central library in Port Ellis reopened on Wednesday after eight months of repairs to flood damage. [3]');
    // Each citation is the article its sentence came from, holding that sentence.
    for (const c of brief.answer.citations) {
      const source = [LIBRARY, TUNNEL, TUNNEL_2].find((x) => x.article.id === c.articleId)!;
      expect(source.text).toContain(c.passage.replace(/^PORT ELLIS — /, ''));
      expect(brief.answer.text).toContain(`${c.passage} [${c.n}]`);
    }
    expect(brief.answer.citations.map((c) => c.n)).toEqual([1, 2, 3]);
  });

  it('keeps at most the given number of stories, and is empty for a period without news', () => {
    expect(mainStories([LIBRARY, TUNNEL, TUNNEL_2], 1).map((s) => s.map((x) => x.article.id))).toEqual([['t1', 't2']]);
    expect(extractiveBrief([], 5).answer).toMatchObject({ text: '', citations: [] });
  });
});

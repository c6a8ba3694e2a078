import { describe, expect, it } from 'vitest';
import { standaloneQuery } from '../../src/answer/conversation.js';
import { isPrivateHost } from '../../src/app/ingest-service.js';
import { defuseMentions, formatAnswerForDiscord, splitMessage } from '../../src/bot/format.js';
import { QueueFullError, RateLimiter, WorkQueue } from '../../src/bot/limits.js';
import { ingestResponse, statusResponse } from '../../src/bot/responses.js';

describe('splitMessage', () => {
  it('leaves short text alone', () => {
    expect(splitMessage('short [1].')).toEqual(['short [1].']);
  });

  it('prefers paragraph, then line, then sentence boundaries', () => {
    const para = 'a'.repeat(1200) + '.\n\n' + 'b'.repeat(1200) + '.';
    expect(splitMessage(para)).toEqual(['a'.repeat(1200) + '.', 'b'.repeat(1200) + '.']);
    const sentences = Array.from({ length: 30 }, (_, i) => `This is sentence ${i} with a citation [${(i % 3) + 1}].`).join(' ');
    const parts = splitMessage(sentences, 300);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(300);
      expect(p).toMatch(/^This is sentence \d+/);
      expect(p).toMatch(/\[\d\]\.$/);
    }
    expect(parts.join(' ')).toBe(sentences);
  });

  it('never cuts inside a citation, an angle-bracket link or a URL', () => {
    const link = '<https://example.com/' + 'x'.repeat(80) + '>';
    const text = 'word '.repeat(50) + link + ' more [12][13] words ' + 'y '.repeat(100);
    for (const limit of [250, 260, 270, 300, 320]) {
      const parts = splitMessage(text, limit);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(limit);
        expect((p.match(/</g) ?? []).length).toBe((p.match(/>/g) ?? []).length);
        expect((p.match(/\[/g) ?? []).length).toBe((p.match(/\]/g) ?? []).length);
      }
      expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(text.trim().replace(/\s+/g, ' '));
    }
  });

  it('closes and reopens a code fence cut in two', () => {
    const code = '```js\n' + Array.from({ length: 60 }, (_, i) => `const line${i} = ${i};`).join('\n') + '\n```';
    const parts = splitMessage(code, 400);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(400);
      expect((p.match(/```/g) ?? []).length % 2).toBe(0);
    }
  });
});

describe('mentions and answer formatting', () => {
  it('defuses everyone, here, user and role mentions and zero-width tricks', () => {
    const out = defuseMentions('@everyone @here <@123456> <@!123456> <@&987654> @\u200Beveryone');
    expect(out).not.toMatch(/@everyone|@here|<@\d|<@!\d|<@&\d/);
  });

  it('formats text, notes and sources with links in angle brackets', () => {
    const text = formatAnswerForDiscord({
      text: 'Answer [1].',
      mode: 'llm',
      notes: ['A note.'],
      citations: [{ n: 1, articleId: 'a', title: 'A *bold* title', date: '2025-02-27', url: 'https://x.example/a', source: 'wire', passage: 'p' }],
    });
    expect(text).toBe('Answer [1].\n\n-# A note.\n\n**Sources**\n**[1]** A \\*bold\\* title (2025\\-02\\-27, wire) <https://x.example/a>');
  });
});

describe('limits', () => {
  it('rate-limits per user within a sliding window', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 60_000, () => now);
    expect(limiter.take('u1')).toBe(0);
    expect(limiter.take('u1')).toBe(0);
    expect(limiter.take('u1')).toBe(60_000);
    expect(limiter.take('u2')).toBe(0);
    now = 30_000;
    expect(limiter.take('u1')).toBe(30_000);
    now = 60_001;
    expect(limiter.take('u1')).toBe(0);
  });

  it('runs at most N jobs at once, queues M more, refuses the rest', async () => {
    const queue = new WorkQueue(2, 1);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const job = () =>
      queue.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      });
    const jobs = [job(), job(), job()];
    await new Promise((r) => setTimeout(r, 10));
    expect(queue.running).toBe(2);
    expect(queue.queued).toBe(1);
    expect(queue.full).toBe(true);
    await expect(job()).rejects.toBeInstanceOf(QueueFullError);
    while (releases.length) {
      releases.shift()!();
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(jobs);
    expect(peak).toBe(2);
    expect(queue.running).toBe(0);
  });
});

describe('standaloneQuery', () => {
  const history = [{ question: 'What did Starmer ask Trump for?', answer: 'A backstop [1].' }];
  it('adds the previous question to a referring or short follow-up', () => {
    expect(standaloneQuery('Why does he want that?', history)).toBe('Why does he want that? What did Starmer ask Trump for?');
    expect(standaloneQuery('And France?', history)).toBe('And France? What did Starmer ask Trump for?');
    expect(standaloneQuery('Macron?', history)).toBe('Macron? What did Starmer ask Trump for?');
  });
  it('leaves a self-contained question alone', () => {
    expect(standaloneQuery('Which football club won the Champions League final in Madrid?', history)).toBe('Which football club won the Champions League final in Madrid?');
    expect(standaloneQuery('Who won the chess olympiad?', history)).toBe('Who won the chess olympiad?');
    expect(standaloneQuery('Why does he want that?', [])).toBe('Why does he want that?');
  });
});

describe('responses', () => {
  it('describes status and ingest summaries', () => {
    expect(
      statusResponse({ articles: 3, passages: 9, vectors: 0, lastIngest: null, embeddingModel: null, vectorSearch: false, retrievalMode: 'hybrid', answerMode: 'extractive', llmModel: null, feeds: 0 }),
    ).toContain('Search: hybrid (lexical only: no embedding model loaded)');
    const busy = { articles: 3, passages: 9, vectors: 9, lastIngest: null, embeddingModel: 'm', vectorSearch: true, retrievalMode: 'hybrid', answerMode: 'extractive' as const, llmModel: null, feeds: 1 };
    expect(statusResponse({ ...busy, ingestRunning: '120 of 300 articles' })).toContain('\nIngest running: 120 of 300 articles\n');
    expect(statusResponse({ ...busy, ingestRunning: null })).not.toContain('Ingest running');
    const text = ingestResponse('the corpus', { added: 1, updated: 0, unchanged: 2, removed: 0, skipped: [{ origin: 'bad.json', reason: 'invalid JSON @everyone' }], passages: 3, embedded: 0, vectors: false, durationMs: 1500 });
    expect(text).toContain('Ingest of the corpus finished in 1.5 s: 1 added, 0 updated, 2 unchanged, 0 removed, 1 skipped.');
    expect(text).toContain('- skipped bad.json: invalid JSON');
    expect(text).not.toContain('@everyone');
  });
});

describe('isPrivateHost', () => {
  it('refuses loopback, private and link-local literals, allows public hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '[::1]', 'fd00::1', '0.0.0.0']) expect(isPrivateHost(h), h).toBe(true);
    for (const h of ['example.com', '8.8.8.8', '172.32.0.1', 'news.bbc.co.uk']) expect(isPrivateHost(h), h).toBe(false);
  });
});

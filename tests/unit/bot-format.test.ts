import { describe, expect, it } from 'vitest';
import { defuseMentions, escapeMarkdown, formatAnswerForDiscord, formatModelText, isPleasantry, packBlocks, plainQuestion, snippet, splitMessage, threadName } from '../../src/bot/format.js';
import { isUserMistake, userMessageFor } from '../../src/bot/errors.js';
import { NoticeThrottle, RateLimiter, WorkQueue } from '../../src/bot/limits.js';
import { ErrorCodes, InvalidQuestionError, InvalidUrlError, NewsBotError, QueueFullError } from '../../src/core/errors.js';
import { ingestResponse, latestResponse, searchResponse, sourcesResponse, statusResponse } from '../../src/bot/responses.js';
import type { ArticleMeta, Citation, RetrievedPassage } from '../../src/core/types.js';

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

  it('cuts before a fence that opens a long code block, never leaving an empty block at the end of a part', () => {
    const prose = 'Starmer wants a backstop [1]. '.repeat(10).trim();
    const code = Array.from({ length: 40 }, (_, i) => `line ${i} of the listing`).join(' ');
    const fence = '```';
    const parts = splitMessage(`${prose}\n${fence}\n${code}\n${fence}`, 400);
    expect(parts[0]).toBe(prose);
    expect(parts[1]!.startsWith('```\nline 0 of the listing')).toBe(true);
    for (const p of parts) expect(p).not.toMatch(/```\w*\n```/);
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
    expect(text).toBe('Answer [1].\n\n-# A note.\n\n**Sources**\n**[1]** A \\*bold\\* title (2025-02-27, wire) <https://x.example/a>');
  });
});

/** An article text full of Markdown, as a hostile or careless source might write it. */
const MARKDOWN_ARTICLE = [
  '# BREAKING',
  'The council spent [four million pounds](http://evil.example/phish) on **golden** taps, ||a secret|| and ~~nothing~~ else.',
  '> quoted line',
  '- a list item',
  '1. a numbered item',
  '-# small print',
  'Run `rm -rf` or ```js',
  'alert(1)',
  '``` and see https://news.example/story_(1)_x?a=1.',
].join('\n');

describe('Discord Markdown in quoted text', () => {
  it('escapes Markdown so article text shows as written', () => {
    const out = escapeMarkdown(MARKDOWN_ARTICLE);
    // No masked link, emphasis, spoiler, strike or code survives unescaped.
    expect(out).not.toMatch(/(?<!\\)\[four million pounds(?<!\\)\]\(/);
    for (const marker of [/(?<!\\)\*/, /(?<!\\)\|/, /(?<!\\)~/, /(?<!\\)`/, /(?<!\\)\[/]) expect(out).not.toMatch(marker);
    expect(out).toContain('\\[four million pounds\\]\\(<http://evil.example/phish>\\)');
    expect(out).toContain('\\*\\*golden\\*\\*');
    expect(out).toContain('\\|\\|a secret\\|\\|');
    // Line-start syntax: headings, quotes, lists, subtext.
    expect(out.split('\n').slice(0, 6)).toEqual(['\\# BREAKING', expect.any(String), '\\> quoted line', '\\- a list item', '1\\. a numbered item', '\\-# small print']);
    // URLs stay whole, in angle brackets (no preview).
    expect(out).toMatch(/ and see <https:\/\/news\.example\/story_\(1\)_x\?a=1>\.$/);
    expect(out).toContain('\\`\\`\\`js\nalert\\(1\\)');
  });

  it('leaves plain prose and dates alone', () => {
    expect(escapeMarkdown('Prices rose 2.5% on 2025-02-27, officials said.')).toBe('Prices rose 2.5% on 2025-02-27, officials said.');
    expect(escapeMarkdown('A mid-sentence - dash and # sign stay.')).toBe('A mid-sentence - dash and # sign stay.');
  });

  it('escapes quotes in an extractive answer but keeps its [n] markers and the bot\'s own formatting', () => {
    const citation: Citation = { n: 1, articleId: 'm', title: '**Golden** taps || scandal', date: '2025-03-01', url: 'https://news.example/taps', source: 'wire', passage: MARKDOWN_ARTICLE };
    const text = formatAnswerForDiscord({
      text: 'The council spent [four million pounds](http://evil.example/phish) on **golden** taps, ||a secret|| and ~~nothing~~ else. [1] # BREAKING is not a heading here. [1][2]',
      mode: 'extractive',
      notes: [],
      citations: [citation, { ...citation, n: 2 }],
    });
    expect(text).toMatch(/else\. \[1\] /);
    expect(text).toMatch(/here\. \[1\]\[2\]\n\n\*\*Sources\*\*\n\*\*\[1\]\*\* \\\*\\\*Golden\\\*\\\* taps \\\|\\\| scandal \(2025-03-01, wire\) <https:\/\/news\.example\/taps>/);
    expect(text).not.toMatch(/(?<!\\)\*\*golden/);
  });

  it('neutralizes what a model copied from an article and closes an open code fence before the sources', () => {
    expect(formatModelText('See [the report](https://x.example/r) [1].')).toBe('See the report (<https://x.example/r>) [1].');
    // A title, brackets in the label, an angle-bracketed target: still no masked link.
    expect(formatModelText('[Verify here](https://phish.example/v "Discord Official")')).toBe('Verify here (<https://phish.example/v>)');
    for (const sneaky of ['[Verify [here]](https://phish.example/v)', '[Verify] here](<https://phish.example/v>)', "[a]b](https://phish.example/v 'x')"]) {
      const out = formatModelText(sneaky);
      expect(out, sneaky).not.toMatch(/\]\(/);
      expect(out, sneaky).toContain('(<https://phish.example/v>)');
    }
    expect(formatModelText('# BREAKING\n-# tiny\nIt is **important** [1].')).toBe('\\# BREAKING\n\\-# tiny\nIt is **important** [1].');
    expect(formatModelText('a ||spoiler|| b')).toBe('a \\|\\|spoiler\\|\\| b');
    // A bare link gets angle brackets (no preview card of a site the model was told to show); code and bracketed links stay as written.
    expect(formatModelText('Read https://evil.example/a_b, then <https://ok.example/x> [1].')).toBe('Read <https://evil.example/a_b>, then <https://ok.example/x> [1].');
    expect(formatModelText('Run `curl https://x.example/v` or\n```\nwget https://y.example/w\n```')).toBe('Run `curl https://x.example/v` or\n```\nwget https://y.example/w\n```');
    const answer = formatAnswerForDiscord({
      text: 'Here is the code [1]:\n```js\nalert(1)',
      mode: 'llm',
      notes: [],
      citations: [{ n: 1, articleId: 'a', title: 'T', date: null, url: null, source: 'wire', passage: 'p' }],
    });
    const beforeSources = answer.slice(0, answer.indexOf('**Sources**'));
    expect((beforeSources.match(/```/g) ?? []).length % 2).toBe(0);
    expect(answer).toMatch(/alert\(1\)\n```\n\n\*\*Sources\*\*\n\*\*\[1\]\*\* T \(wire\)$/);
  });
});

describe('messages split by item', () => {
  const article = (i: number, title = `Headline number ${i} ${'about the budget '.repeat(8)}`): ArticleMeta => ({
    id: `a${i}`, title, date: '2025-02-27', source: 'wire', url: `https://news.example/${'section/'.repeat(12)}story-${i}`, author: null, origin: 'x', contentHash: 'h',
  });
  const passage = (i: number): RetrievedPassage => ({
    passage: { id: i, articleId: `a${i}`, position: 0, start: 0, end: 500, text: `Passage ${i}: ${'the council debated the budget for hours, '.repeat(12)}` },
    article: article(i),
    score: 1,
  });

  it('packs whole blocks into messages and splits only a block too long for one', () => {
    expect(packBlocks(['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(10)], 21)).toEqual(['a'.repeat(10) + '\n' + 'b'.repeat(10), 'c'.repeat(10)]);
    const parts = packBlocks(['head', 'word '.repeat(100).trim()], 120);
    expect(parts[0]).toBe('head');
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(120);
    expect(parts.slice(1).join(' ')).toBe('word '.repeat(100).trim());
  });

  it('/latest never cuts a headline or its link', () => {
    const parts = latestResponse(undefined, Array.from({ length: 10 }, (_, i) => article(i + 1)));
    expect(parts.length).toBeGreaterThan(1);
    const lines = parts.flatMap((p) => p.split('\n'));
    expect(lines[0]).toBe('Latest headlines:');
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    for (const [i, line] of lines.slice(1).entries()) expect(line).toMatch(new RegExp(`^\\*\\*${i + 1}\\.\\*\\* Headline number ${i + 1} .*<https://news\\.example/[^>]+/story-${i + 1}>$`));
  });

  it('/search keeps each item with its quote', () => {
    const parts = searchResponse('budget **debate**', Array.from({ length: 5 }, (_, i) => passage(i + 1)));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]).toMatch(/^Top passages for “budget \\\*\\\*debate\\\*\\\*”:/);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      const lines = p.split('\n').filter((l) => !l.startsWith('Top passages'));
      for (let i = 0; i < lines.length; i += 2) {
        expect(lines[i]).toMatch(/^\*\*\d\.\*\* Headline/);
        expect(lines[i + 1]).toMatch(/^> Passage \d: the council/);
      }
    }
  });

  it('the Sources reply lists every cited source with its quote, cut at a word boundary', () => {
    const citations: Citation[] = Array.from({ length: 8 }, (_, i) => ({ n: i + 1, articleId: `a${i}`, title: article(i).title, date: '2025-02-27', source: 'wire', url: article(i).url, passage: `Source ${i + 1} says Vladimir Putin ${'met the delegation in Moscow again '.repeat(15)}` }));
    const parts = sourcesResponse(citations);
    expect(parts.length).toBeGreaterThan(1);
    const all = parts.join('\n');
    for (let n = 1; n <= 8; n++) expect(all).toMatch(new RegExp(`\\*\\*\\[${n}\\]\\*\\* Headline[^\\n]+\\n> Source ${n} says Vladimir Putin met`));
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      for (const quote of p.split('\n').filter((l) => l.startsWith('> '))) expect(quote).toMatch(/ (met|the|delegation|in|Moscow|again)…$/);
    }
    expect(sourcesResponse([])).toEqual(['This answer cites no sources.']);
  });

  it('cuts snippets at word boundaries', () => {
    expect(snippet('Russia’s Vladimir Putin from invading again', 20)).toBe('Russia’s Vladimir…');
    expect(snippet('short', 20)).toBe('short');
    expect(snippet('x'.repeat(30), 10)).toBe('x'.repeat(9) + '…');
  });
});

describe('mentions', () => {
  it('reads a mention as plain words, and names its thread with them', () => {
    const raw = '<@111111111111111111> @everyone what did <@!123456789012345678> and <@&444444444444444444> say in <#333333333333333333> </ask:999999999999999999> about Starmer <:party:123456789012345678> <a:dance:123456789012345678> <t:1700000000:R> @here?';
    expect(plainQuestion(raw)).toBe('what did and say in about Starmer ?');
    expect(threadName(raw)).toBe('what did and say in about Starmer ?');
    const long = threadName(`What did Starmer ask Trump for ${'and why '.repeat(30)}?`);
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long).toMatch(/^What did Starmer ask Trump for and why .*(and|why)…$/);
    expect(threadName('<@111111111111111111> @everyone')).toBe('News question');
  });

  it('lets one notice per key through per window', () => {
    let now = 0;
    const notices = new NoticeThrottle(() => now);
    expect(notices.take('rate:u1', 10_000)).toBe(true);
    expect(notices.take('rate:u1', 10_000)).toBe(false);
    expect(notices.take('rate:u2', 10_000)).toBe(true);
    now = 9_999;
    expect(notices.take('rate:u1', 10_000)).toBe(false);
    now = 10_000;
    expect(notices.take('rate:u1', 10_000)).toBe(true);
  });

  it('tells user mistakes from real faults', () => {
    expect(isUserMistake(new InvalidQuestionError('The question is empty.'))).toBe(true);
    expect(isUserMistake(new InvalidUrlError('Only http and https URLs can be ingested.'))).toBe(true);
    expect(userMessageFor(new InvalidUrlError('Only http and https URLs can be ingested.'))).toBe('Only http and https URLs can be ingested.');
    expect(isUserMistake(new QueueFullError())).toBe(true);
    expect(isUserMistake(new NewsBotError(ErrorCodes.StoreIo, 'disk full'))).toBe(false);
    expect(isUserMistake(new Error('boom'))).toBe(false);
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

describe('responses', () => {
  it('describes status and ingest summaries', () => {
    expect(
      statusResponse({ articles: 3, passages: 9, vectors: 0, lastIngest: null, embeddingModel: null, vectorSearch: false, retrievalMode: 'hybrid', answerMode: 'extractive', llmModel: null, feeds: 0 }),
    ).toContain('Search: hybrid (lexical only: no embedding model loaded)');
    const busy = { articles: 3, passages: 9, vectors: 9, lastIngest: null, embeddingModel: 'm', vectorSearch: true, retrievalMode: 'hybrid', answerMode: 'extractive' as const, llmModel: null, feeds: 1 };
    expect(statusResponse({ ...busy, ingestRunning: '120 of 300 articles' })).toContain('\nIngest running: 120 of 300 articles\n');
    expect(statusResponse({ ...busy, ingestRunning: null })).not.toContain('Ingest running');
    const text = ingestResponse('the corpus', { added: 1, updated: 0, unchanged: 2, removed: 0, skipped: [{ origin: 'bad.json', reason: 'invalid JSON @everyone' }], skippedCount: 1, passages: 3, embedded: 0, vectors: false, durationMs: 1500 });
    expect(text).toContain('Ingest of the corpus finished in 1.5 s: 1 added, 0 updated, 2 unchanged, 0 removed, 1 skipped.');
    expect(text).toContain('- skipped bad.json: invalid JSON');
    expect(text).not.toContain('@everyone');
  });
});

describe('isPleasantry', () => {
  it('tells thanks, greetings and bare emoji from questions', () => {
    for (const text of ['thanks!', 'Thank you!!', 'thx', 'hi 👋', '🙏', 'ok', 'good bot', 'cheers, great']) expect(isPleasantry(text), text).toBe(true);
    for (const text of ['thanks, what did Starmer ask Trump for?', 'why?', 'what did he say?', 'cool, and Putin?', 'Who won the Champions League final?', 'Hi, who won?']) expect(isPleasantry(text), text).toBe(false);
  });
});

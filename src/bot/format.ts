import { redact } from '../core/logger.js';
import type { Answer, Citation } from '../core/types.js';

/** Discord's limit on message content. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/** An article line for Discord: `label Title (date, source) <url>` (angle brackets: no link preview). */
export function discordArticleLine(label: string, a: { title: string; date: string | null; source: string; url: string | null }): string {
  const details = [a.date, a.source].filter(Boolean).join(', ');
  const title = a.title.replace(/\s+/g, ' ').trim();
  return defuseMentions(`**${label}** ${escapeMarkdown(title)}${details ? ` (${escapeMarkdown(details)})` : ''}${a.url ? ` ${angleUrl(a.url)}` : ''}`);
}

/** A source line for Discord: `[n] Title (date, source) <url>`. */
export function discordSourceLine(c: Citation): string {
  return discordArticleLine(`[${c.n}]`, c);
}

/** A URL in angle brackets (Discord shows no preview), with nothing in it that could close them. */
export function angleUrl(url: string): string {
  return `<${url.replace(/[<>\s]/g, encodeURIComponent)}>`;
}

/** A URL in text, in angle brackets or bare (trailing punctuation is not part of it). */
const URL_IN_TEXT = /<https?:\/\/[^\s<>]+>|https?:\/\/[^\s<>]*[^\s<>.,;:!?'")\]]/g;
/** Characters that start or end Discord Markdown anywhere in a line: emphasis, strike, spoilers, code, links, escapes. */
const INLINE_MARKDOWN = /[\\*_~`|[\]()<]/g;

/** Escapes Markdown in text holding no URL: inline markers everywhere; headings, subtext, quotes and lists at line starts. */
function escapePlain(text: string): string {
  return text
    .replace(INLINE_MARKDOWN, '\\$&')
    .replace(/^([ \t]*)(#|-#|>|[-+](?=\s))/gm, '$1\\$2')
    .replace(/^([ \t]*\d+)\.(?=\s)/gm, '$1\\.');
}

/**
 * Escapes Discord Markdown in untrusted text (article text, titles, a user's query) so that it shows
 * as written: no masked links, **bold**, ||spoilers||, `code`, "# headings", lists or block quotes.
 * URLs are kept intact, in angle brackets so that Discord shows no preview.
 */
export function escapeMarkdown(text: string): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    out += escapePlain(text.slice(at, m.index));
    out += angleUrl(m[0].replace(/^<|>$/g, ''));
    at = m.index + m[0].length;
  }
  return out + escapePlain(text.slice(at));
}

/** Quoted article text for Discord: Markdown escaped, mentions defused. */
export function quoteText(text: string): string {
  return defuseMentions(escapeMarkdown(text));
}

/**
 * Makes untrusted text safe to post: breaks @everyone/@here and raw mention syntax so that even
 * a client ignoring allowedMentions would not ping, and removes zero-width characters used to
 * hide them. (allowedMentions: none is still set on every message.)
 */
export function defuseMentions(text: string): string {
  // Registered secrets (tokens, keys) never leave the process, whatever a model was tricked into writing.
  return redact(text)
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
    .replace(/@(everyone|here)/gi, '@\u200B$1')
    .replace(/<@([!&]?\d+)>/g, '<@\u200B$1>');
}

/** A link target as Discord reads one: `(url)`, `(<url>)` or `(url "title")`. */
const TARGET = String.raw`\(\s*<?(https?:\/\/[^\s)>]+)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)`;
/** A masked link with a plain label: `[label](target)`. */
const MASKED_LINK = new RegExp(String.raw`\[([^\[\]\n]+)\]` + TARGET, 'g');
/** What is left of any other masked link: `](target)`. */
const LINK_TARGET = new RegExp(String.raw`\]` + TARGET, 'g');

/** Code in a model's text: fenced blocks (to the end when left open) and inline spans. */
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]*`/g;

/** Bare URLs outside code put in angle brackets (no link preview); code is left as written. */
function angleBareUrls(text: string): string {
  const wrap = (plain: string) => plain.replace(URL_IN_TEXT, (url) => (url.startsWith('<') ? url : angleUrl(url)));
  let out = '';
  let at = 0;
  for (const m of text.matchAll(CODE)) {
    out += wrap(text.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + wrap(text.slice(at));
}

/**
 * A language model's text for Discord: its own emphasis and lists stay, but what it may have
 * copied from an article cannot take over the message: masked links (with a title, or brackets in
 * their label, too) become "text (<url>)", bare
 * links get angle brackets (no preview card), headings, subtext and spoilers are escaped, and a
 * code fence left open is closed (so it cannot swallow what follows, such as the sources).
 */
export function formatModelText(text: string): string {
  const unmasked = text
    .replace(MASKED_LINK, (_m, label: string, url: string) => `${label} (${angleUrl(url)})`)
    // A label holding brackets ("[Verify [here]](...)", "[a]b](...)"): the link syntax is broken wherever it ends.
    .replace(LINK_TARGET, (_m, url: string) => `] (${angleUrl(url)})`);
  let out = angleBareUrls(unmasked)
    .replace(/\|\|/g, '\\|\\|')
    .replace(/^([ \t]*)(#{1,3}\s|-#\s)/gm, '$1\\$2');
  if ((out.match(/```/g) ?? []).length % 2 === 1) out = out.trimEnd() + '\n```';
  return defuseMentions(out);
}

/** An extractive answer's text for Discord: each quote escaped, the [n] markers kept. */
function formatQuotes(text: string): string {
  return text
    .split(/( \[\d+\](?:\[\d+\])*)/)
    .map((part, i) => (i % 2 === 1 ? part : quoteText(part)))
    .join('');
}

/** The whole answer as one text: answer, notes, then the numbered sources. */
export function formatAnswerForDiscord(answer: Answer, options: { sources?: boolean } = {}): string {
  const parts = [answer.mode === 'llm' ? formatModelText(answer.text) : formatQuotes(answer.text)];
  for (const note of answer.notes) parts.push(`-# ${quoteText(note)}`);
  if (options.sources !== false && answer.citations.length) {
    parts.push(['**Sources**', ...answer.citations.map(discordSourceLine)].join('\n'));
  }
  return parts.join('\n\n');
}

/**
 * A mention's text as plain words: without user, role and channel mentions, @everyone/@here,
 * slash-command mentions, timestamps and custom emoji; whitespace collapsed.
 */
export function plainQuestion(content: string): string {
  return content
    .replace(/<(?:@[!&]?|#)\d+>|<\/[^:>\s]+:\d+>|<a?:\w+:\d+>|<t:-?\d+(?::\w)?>/g, ' ')
    .replace(/@\u200B?(everyone|here)\b/gi, ' ')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Thanks, greetings and acknowledgements: what a reader says to the bot that asks nothing. */
const PLEASANTRY = /^(?:(?:thanks?(?: you)?|thx|ty|cheers|much appreciated|appreciate it|hi|hello|hey|yo|ok(?:ay)?|cool|great|nice|good (?:bot|job|one)|lol|wow|perfect|awesome|got it)[\s!.,]*)+$/i;

/**
 * True when a mention's plain text asks nothing: thanks, a greeting, an acknowledgement, or only
 * emoji and punctuation ("thanks!", "hi 👋", "🙏"). Such a mention gets a reaction, not a search.
 */
export function isPleasantry(text: string): boolean {
  const words = text.replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200D|\uFE0F|\p{P}|\s/gu, ' ').trim();
  return words === '' || PLEASANTRY.test(words);
}

/** Most characters in a Discord thread name. */
export const THREAD_NAME_LIMIT = 100;

/** A thread name for a question: its plain text, cut at a word boundary to Discord's 100 characters. */
export function threadName(question: string): string {
  return snippet(plainQuestion(question), THREAD_NAME_LIMIT) || 'News question';
}

/** Text flattened to one line and cut to at most `max` characters at a word boundary (with "…" when cut). */
export function snippet(text: string, max = 220): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  // Cut at the last space; a single word longer than the snippet is cut where it must be.
  return (/\s/.test(cut) ? cut.replace(/\s+\S*$/, '') : cut) + '…';
}

/** A protected span that a split must not cut: [n] markers, <links>, markdown links, URLs, an escaped character. */
const ATOMIC = /\[\d+\](?:\[\d+\])*|<https?:\/\/[^\s>]+>|\[[^\]\n]*\]\([^)\s]+\)|https?:\/\/\S+|\\\S/g;

function forbiddenRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(ATOMIC)) ranges.push([m.index, m.index + m[0].length]);
  return ranges;
}

function insideForbidden(pos: number, ranges: [number, number][]): boolean {
  return ranges.some(([a, b]) => pos > a && pos < b);
}

/**
 * Splits text into messages of at most `limit` characters, preferring paragraph breaks, then
 * line breaks, then sentence ends, then spaces; never inside a citation marker, a link or a URL.
 * Code fences left open at a cut are closed and reopened.
 */
export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const ranges = forbiddenRanges(rest);
    const window = rest.slice(0, limit);
    const candidates: number[] = [];
    const tryPattern = (re: RegExp, minFrac: number) => {
      let best = -1;
      for (const m of window.matchAll(re)) {
        const cut = m.index + m[0].length;
        if (cut >= limit * minFrac && cut <= limit && !insideForbidden(cut, ranges)) best = cut;
      }
      if (best > 0) candidates.push(best);
    };
    tryPattern(/\n\n/g, 0.3);
    if (!candidates.length) tryPattern(/\n/g, 0.3);
    if (!candidates.length) tryPattern(/[.!?](?:\s*\[\d+\])*[)"'”’]?\s/g, 0.3);
    if (!candidates.length) tryPattern(/\s/g, 0.1);
    let cut = candidates[0] ?? limit;
    // A forced cut must still not land inside a protected span: move it before the span.
    for (const [a, b] of ranges) if (cut > a && cut < b && a > 0) cut = a;
    // A cut right after the line opening a code block would leave an empty block: cut before that line.
    const opener = /\n```\w*\s*$/.exec(rest.slice(0, cut));
    if (opener && opener.index > 0 && ((rest.slice(0, opener.index).match(/```/g) ?? []).length % 2 === 0)) cut = opener.index;
    let head = rest.slice(0, cut).trimEnd();
    let tail = rest.slice(cut).trimStart();
    const fences = (head.match(/```/g) ?? []).length;
    if (fences % 2 === 1) {
      const lang = /```(\w*)[^`]*$/.exec(head)?.[1] ?? '';
      if (head.length + 4 > limit) {
        tail = rest.slice(cut - 4).trimStart();
        head = rest.slice(0, cut - 4).trimEnd();
      }
      head += '\n```';
      tail = '```' + lang + '\n' + tail;
    }
    out.push(head);
    rest = tail;
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * Packs blocks (a header, an item with its quote) into messages of at most `limit` characters,
 * one block a line, never moving part of a block to the next message; a block longer than a
 * message is split on its own.
 */
export function packBlocks(blocks: string[], limit = DISCORD_MESSAGE_LIMIT): string[] {
  const out: string[] = [];
  let current = '';
  for (const block of blocks) {
    if (current && current.length + 1 + block.length <= limit) {
      current += '\n' + block;
      continue;
    }
    if (current) out.push(current);
    current = '';
    if (block.length <= limit) {
      current = block;
    } else {
      const parts = splitMessage(block, limit);
      current = parts.pop() ?? '';
      out.push(...parts);
    }
  }
  if (current) out.push(current);
  return out;
}

import { redact } from '../core/logger.js';
import type { Answer, Citation } from '../core/types.js';

/** Discord's limit on message content. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/** An article line for Discord: `label Title (date, source) <url>` (angle brackets: no link preview). */
export function discordArticleLine(label: string, a: { title: string; date: string | null; source: string; url: string | null }): string {
  const details = [a.date, a.source].filter(Boolean).join(', ');
  return defuseMentions(`**${label}** ${escapeMarkdown(a.title)}${details ? ` (${escapeMarkdown(details)})` : ''}${a.url ? ` <${a.url}>` : ''}`);
}

/** A source line for Discord: `[n] Title (date, source) <url>`. */
export function discordSourceLine(c: Citation): string {
  return discordArticleLine(`[${c.n}]`, c);
}

/** Escapes Discord markdown in untrusted short text (titles). */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>#[\]()-])/g, '\\$1');
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

/** The whole answer as one text: answer, notes, then the numbered sources. */
export function formatAnswerForDiscord(answer: Answer, options: { sources?: boolean } = {}): string {
  const parts = [defuseMentions(answer.text)];
  for (const note of answer.notes) parts.push(`-# ${defuseMentions(note)}`);
  if (options.sources !== false && answer.citations.length) {
    parts.push(['**Sources**', ...answer.citations.map(discordSourceLine)].join('\n'));
  }
  return parts.join('\n\n');
}

/** A protected span that a split must not cut: [n] markers, <links>, markdown links, URLs. */
const ATOMIC = /\[\d+\](?:\[\d+\])*|<https?:\/\/[^\s>]+>|\[[^\]\n]*\]\([^)\s]+\)|https?:\/\/\S+/g;

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

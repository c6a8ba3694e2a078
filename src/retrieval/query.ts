import { STOPWORDS, tokenize } from '../core/text.js';

/** A span of days [from, to] (inclusive, YYYY-MM-DD) a question refers to. */
export interface TimeWindow {
  from: string;
  to: string;
  /** The words that set it, e.g. "this week". */
  phrase: string;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAY_MS = 86_400_000;

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(date: Date, n: number): Date {
  return new Date(date.getTime() + n * DAY_MS);
}

function startOfDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/**
 * The time a question refers to, relative to `asOf`: "today", "yesterday", "this/last/past week",
 * "this/last month", "this/last year", "N days ago", "in March [2024]", "on Monday".
 * Returns null when the question names no time.
 */
export function parseTimeWindow(question: string, asOf: Date): TimeWindow | null {
  const q = question.toLowerCase();
  const today = startOfDay(asOf);
  const win = (from: Date, to: Date, phrase: string): TimeWindow => ({ from: day(from), to: day(to), phrase });
  let m: RegExpExecArray | null;
  if ((m = /\b(today|tonight|this morning)\b/.exec(q))) return win(addDays(today, -1), today, m[1]!);
  if ((m = /\b(yesterday|last night)\b/.exec(q))) return win(addDays(today, -2), addDays(today, -1), m[1]!);
  if ((m = /\b(\d{1,2}|two|three|four|five|six) days ago\b/.exec(q))) {
    const words: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6 };
    const n = words[m[1]!] ?? Number(m[1]);
    return win(addDays(today, -n - 1), addDays(today, -n + 1), m[0]);
  }
  if ((m = /\b(this week|past week|past seven days|past 7 days|recent days|this weekend)\b/.exec(q))) return win(addDays(today, -7), today, m[1]!);
  if ((m = /\b(last week)\b/.exec(q))) return win(addDays(today, -14), addDays(today, -5), m[1]!);
  if ((m = /\b(this month|past month)\b/.exec(q))) return win(addDays(today, -31), today, m[1]!);
  if ((m = /\b(last month)\b/.exec(q))) {
    const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
    const last = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 0));
    return win(first, last, m[1]!);
  }
  if ((m = /\b(this year|past year)\b/.exec(q))) return win(addDays(today, -365), today, m[1]!);
  if ((m = /\b(last year)\b/.exec(q))) {
    const y = today.getUTCFullYear() - 1;
    return win(new Date(Date.UTC(y, 0, 1)), new Date(Date.UTC(y, 11, 31)), m[1]!);
  }
  m = new RegExp(`\\b(?:in|during|since|early|late|mid|of) (${MONTHS.join('|')})(?: (\\d{4}))?\\b`).exec(q);
  if (m) {
    const month = MONTHS.indexOf(m[1]!);
    let year = m[2] ? Number(m[2]) : today.getUTCFullYear();
    if (!m[2] && month > today.getUTCMonth()) year--;
    return win(new Date(Date.UTC(year, month, 1)), new Date(Date.UTC(year, month + 1, 0)), m[0]);
  }
  const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  if ((m = new RegExp(`\\b(?:on|last) (${weekdays.join('|')})\\b`).exec(q))) {
    const target = weekdays.indexOf(m[1]!);
    let back = (today.getUTCDay() - target + 7) % 7;
    if (back === 0) back = 7;
    const d = addDays(today, -back);
    return win(addDays(d, -1), addDays(d, 1), m[0]);
  }
  return null;
}

/** Distinct query words for lexical search: lowercased, without stopwords, in order. */
export function queryTerms(question: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const token of tokenize(question)) {
    if (STOPWORDS.has(token) || (token.length < 2 && !/\d/.test(token))) continue;
    if (seen.has(token)) continue;
    seen.add(token);
    out.push(token);
    if (out.length >= 32) break;
  }
  return out;
}

/** An FTS5 MATCH expression: any of the query words (each quoted, so no syntax leaks in). */
export function ftsQuery(terms: string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

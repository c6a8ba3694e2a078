/**
 * The time stage: the window of days a question names ("this week", "in March") and how well an
 * article's date fits the question (a soft recency prior relative to the question's "now", extra
 * weight inside the window, later-dated articles weighed down, never dropped). Pure.
 */

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

/** Recency prior: articles published just before "now" weigh up to 1 + RECENCY_BOOST times more, halving about every RECENCY_DAYS·ln2 days. */
export const RECENCY_BOOST = 1;
export const RECENCY_DAYS = 7;
/** Articles dated more than a day after "now" cannot be what the asker read: weighed down, never dropped. */
export const FUTURE_FACTOR = 0.7;
/** Extra weight for articles dated inside a window the question names ("this week", "in March"). */
export const WINDOW_BOOST = 0.5;

/**
 * How much the article's date fits the question: the recency prior and the named window. Age is
 * counted from `anchor` (default `asOf`): the date of the newest story on the question's subject
 * (see recencyAnchor), so that of two stories weeks or a year old the newer still wins; articles
 * dated after the anchor (but not after `asOf`) count as new. `newsUntil` (default `asOf`): articles
 * dated more than a day after it are weighed FUTURE_FACTOR, as not yet published.
 */
export function timeFactor(date: string | null, asOf: Date, window: TimeWindow | null, anchor: Date = asOf, newsUntil: Date = asOf): number {
  if (!date) return 1;
  const published = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(published)) return 1;
  const ageDays = (Math.min(asOf.getTime(), anchor.getTime()) - published) / DAY_MS;
  let factor = (newsUntil.getTime() - published) / DAY_MS < -1 ? FUTURE_FACTOR : 1 + RECENCY_BOOST * Math.exp(-Math.max(0, ageDays) / RECENCY_DAYS);
  if (window && date >= window.from && date <= window.to) factor *= 1 + WINDOW_BOOST;
  return factor;
}

/** Share of the best BM25 score a candidate needs to count as on the question's subject for the recency anchor. */
export const ANCHOR_SHARE = 0.7;
/** Most BM25 candidates (by raw score) that can set the anchor. */
export const ANCHOR_DEPTH = 20;
/** The nearest vector hits that can set it too (the model's top ones are about the subject or near ties). */
export const ANCHOR_VECTOR_DEPTH = 5;

/**
 * "Now" for the recency prior: the end of the day of the newest article among the strongest
 * candidates (BM25 scores within ANCHOR_SHARE of the best, the first few of the vector list),
 * not later than `asOf`. Asked on the day, that is about `asOf`; asked a year later, it is the
 * latest story on the subject, so the newer of two stories still wins. A question that names a
 * time keeps `asOf` (its window is relative to it). `dateOf`: a candidate's article date;
 * `newsUntil`: articles after it cannot set the anchor (see timeFactor).
 */
export function recencyAnchor(
  lexical: readonly { id: number; score: number }[],
  vector: readonly { id: number; score: number }[],
  dateOf: (id: number) => string | null | undefined,
  asOf: Date,
  window: TimeWindow | null,
  newsUntil: Date = asOf,
): Date {
  if (window) return asOf;
  const best = lexical[0]?.score ?? 0;
  const strong = [...lexical.slice(0, ANCHOR_DEPTH).filter((h) => h.score >= best * ANCHOR_SHARE), ...vector.slice(0, ANCHOR_VECTOR_DEPTH)];
  const limit = day(addDays(newsUntil < asOf ? newsUntil : asOf, 1));
  let newest: string | null = null;
  for (const h of strong) {
    const date = dateOf(h.id);
    if (date && date <= limit && (!newest || date > newest)) newest = date;
  }
  if (!newest) return asOf;
  const anchor = Date.parse(`${newest}T23:59:59Z`);
  return Number.isNaN(anchor) || anchor > asOf.getTime() ? asOf : new Date(anchor);
}

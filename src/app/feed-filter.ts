import vm from 'node:vm';
import { InvalidFilterError } from '../core/errors.js';

/** Longest filter a moderator may give. */
export const MAX_FILTER_CHARS = 200;
/** Characters of an article (title, then text) a filter reads: its lede, and a bound on a regular expression's work. */
const FILTER_READS_CHARS = 1_500;
/** A group holding a quantifier that is itself repeated, like `(a+)+`: exponential backtracking. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]/;

/**
 * Longest a regular expression may run on one article: a moderator's expression could backtrack
 * for ever (`(a|a)*b`), and the event loop is every server's. Stopped, it does not match.
 */
export const FILTER_TIMEOUT_MS = 50;

/** A filter: true when an article (its title and lede) matches. */
export type FeedFilter = (title: string, text: string) => boolean;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads a feed's filter: `/regex/flags` (JavaScript, case-insensitive unless it says otherwise
 * with flags), or words and "quoted phrases", any of which must occur as a whole word (case
 * ignored). An article matches on its title and the start of its text; an expression that runs
 * longer than FILTER_TIMEOUT_MS on it does not match. Throws InvalidFilterError with what is
 * wrong: too long, an invalid expression, or one that repeats a repeated group.
 */
export function parseFeedFilter(filter: string): FeedFilter {
  const given = filter.trim();
  if (given.length > MAX_FILTER_CHARS) throw new InvalidFilterError(`A filter is at most ${MAX_FILTER_CHARS} characters.`);
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(given);
  let pattern: RegExp;
  let user = false;
  if (regex) {
    user = true;
    if (NESTED_QUANTIFIER.test(regex[1]!)) throw new InvalidFilterError('That expression repeats a repeated group (like `(a+)+`), which can take too long; simplify it.');
    const flags = [...new Set(`${regex[2]!.replace(/[gy]/g, '')}${regex[2] ? '' : 'i'}`)].join('');
    try {
      pattern = new RegExp(regex[1]!, flags);
    } catch (error) {
      throw new InvalidFilterError(`That is not a valid regular expression: ${(error as Error).message}`);
    }
  } else {
    const terms = [...given.matchAll(/"([^"]+)"|(\S+)/g)].map((m) => (m[1] ?? m[2]!).trim()).filter(Boolean);
    if (terms.length === 0) throw new InvalidFilterError('The filter is empty: give words, "a phrase" or a /regular expression/.');
    pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.map((t) => escapeRegExp(t).replace(/\s+/g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`, 'iu');
  }
  if (!user) return (title, text) => pattern.test(`${title}\n${text.slice(0, FILTER_READS_CHARS)}`);
  // A moderator's expression runs with a time limit (V8 stops a regular expression on a timeout).
  // Once stopped, it matches nothing more for the life of this parse (one delivery check): a feed
  // of 200 items can cost one time limit, not 200, whatever expression a moderator gave.
  const context = vm.createContext({ pattern, input: '' });
  let stopped = false;
  return (title, text) => {
    if (stopped) return false;
    context['input'] = `${title}\n${text.slice(0, FILTER_READS_CHARS)}`;
    try {
      return vm.runInContext('pattern.test(input)', context, { timeout: FILTER_TIMEOUT_MS }) === true;
    } catch {
      stopped = true;
      return false;
    }
  };
}

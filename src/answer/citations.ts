import type { Citation, RetrievedPassage } from '../core/types.js';
import { REFUSAL_TEXT } from './prompt.js';

/** The result of checking a model's citations against the passages it was given. */
export interface CitationCheck {
  /** Answer text with invalid markers removed and valid ones renumbered by first use. */
  text: string;
  /** Only the passages actually cited, numbered 1..n in order of first use. */
  citations: Citation[];
  /** Markers that pointed to no passage and were removed. */
  invalid: number;
  /** True when the answer says the passages do not answer the question. */
  refusal: boolean;
  /** True when the answer cites nothing and is not a refusal. */
  unsupported: boolean;
}

const REFUSAL_PATTERNS = [
  /couldn[’']?t find (?:that|anything|any information)/i,
  /(?:passages|articles|sources|news) (?:do(?:es)? not|don[’']?t) (?:contain|mention|say|include|cover)/i,
  /no (?:relevant )?information (?:about|on)/i,
  /not (?:mentioned|covered|found) in the (?:passages|news|articles)/i,
];

/** The citation numbered `n` for a retrieved passage (its article and passage text). */
export function citationFor(n: number, item: RetrievedPassage): Citation {
  return {
    n,
    articleId: item.article.id,
    title: item.article.title,
    date: item.article.date,
    url: item.article.url,
    source: item.article.source,
    passage: item.passage.text,
  };
}

/** True when the text reads as "the passages do not say". */
export function isRefusal(text: string): boolean {
  const t = text.trim();
  return t.startsWith(REFUSAL_TEXT.slice(0, 20)) || REFUSAL_PATTERNS.some((p) => p.test(t));
}

/**
 * Parses [n] markers (also [1, 2] and [1-3]), drops those that point to no passage, renumbers the
 * rest in order of first use, and keeps only cited passages as sources.
 */
export function checkCitations(text: string, passages: RetrievedPassage[]): CitationCheck {
  const renumber = new Map<number, number>();
  const citations: Citation[] = [];
  let invalid = 0;
  const mapOne = (n: number): number | null => {
    if (!Number.isInteger(n) || n < 1 || n > passages.length) {
      invalid++;
      return null;
    }
    let m = renumber.get(n);
    if (m === undefined) {
      m = citations.length + 1;
      renumber.set(n, m);
      citations.push(citationFor(m, passages[n - 1]!));
    }
    return m;
  };
  let out = text.replace(/\s*\[(\d+(?:\s*[-–,;]\s*\d+)*)\]/g, (_match, inner: string) => {
    const numbers: number[] = [];
    for (const part of inner.split(/\s*[,;]\s*/)) {
      const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
      if (range) {
        const [a, b] = [Number(range[1]), Number(range[2])];
        if (b >= a && b - a < 20) for (let n = a; n <= b; n++) numbers.push(n);
        else invalid++;
      } else {
        numbers.push(Number(part));
      }
    }
    const mapped = [...new Set(numbers.map(mapOne).filter((n): n is number => n !== null))];
    return mapped.length ? ' ' + mapped.map((n) => `[${n}]`).join('') : '';
  });
  out = out.replace(/[ \t]+([.,;:!?])/g, '$1').replace(/[ \t]{2,}/g, ' ').trim();
  const refusal = citations.length === 0 && isRefusal(out);
  return { text: out, citations, invalid, refusal, unsupported: citations.length === 0 && !refusal };
}

import { splitSentences, type SentenceSpan } from '../core/text.js';

/** Bump when chunk boundaries change: stores built by another version must re-ingest. */
export const CHUNKER_VERSION = 2;

/** A passage may end early at a paragraph break once it is this full. */
const PARAGRAPH_FILL = 0.9;

/** A passage before it is stored: text plus offsets into the article text. */
export interface Chunk {
  position: number;
  start: number;
  end: number;
  text: string;
}

/** Chunking limits. */
export interface ChunkOptions {
  /** Most characters in a passage. */
  maxChars?: number;
  /** About how many characters of the previous passage repeat at the start of the next. */
  overlapChars?: number;
}

/** Cuts a too-long sentence at word boundaries into pieces of at most maxChars. */
function splitLong(span: SentenceSpan, maxChars: number): SentenceSpan[] {
  const out: SentenceSpan[] = [];
  let start = span.start;
  let rest = span.text;
  while (rest.length > maxChars) {
    let cut = rest.lastIndexOf(' ', maxChars);
    if (cut < maxChars / 2) cut = maxChars;
    const piece = rest.slice(0, cut).trimEnd();
    out.push({ text: piece, start, end: start + piece.length });
    let next = cut;
    while (rest[next] === ' ') next++;
    start += next;
    rest = rest.slice(next);
  }
  if (rest) out.push({ text: rest, start, end: start + rest.length });
  return out;
}

/**
 * Splits article text into passages of at most `maxChars` (default 1,000) along paragraph and
 * sentence boundaries. A passage ends at a paragraph break when one falls in its last tenth, and the
 * next passage starts with the last sentence(s) of the previous one, up to `overlapChars`
 * (default 150), so a fact that straddles a boundary is whole in one passage.
 * Each chunk's text is exactly `text.slice(start, end)`.
 */
export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const maxChars = options.maxChars ?? 1000;
  const overlapChars = options.overlapChars ?? 150;
  // Sentences, with a flag for those that end a paragraph.
  const units: { span: SentenceSpan; paragraphEnd: boolean }[] = [];
  const paragraph = /[^\n]+(?:\n(?!\s*\n)[^\n]*)*/g;
  for (let m = paragraph.exec(text); m; m = paragraph.exec(text)) {
    const sentences = splitSentences(m[0], m.index);
    sentences.forEach((s, i) => {
      const pieces = s.text.length > maxChars ? splitLong(s, maxChars) : [s];
      pieces.forEach((p, j) => units.push({ span: p, paragraphEnd: i === sentences.length - 1 && j === pieces.length - 1 }));
    });
  }
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < units.length) {
    const first = units[i]!;
    let j = i;
    let lastParagraphEnd = -1;
    while (j + 1 < units.length && units[j + 1]!.span.end - first.span.start <= maxChars) {
      if (units[j]!.paragraphEnd) lastParagraphEnd = j;
      j++;
    }
    // End on a paragraph break when the passage is nearly full there anyway (fuller passages
    // carry more of the facts around a match: measured better on the news eval than half full).
    if (j + 1 < units.length && !units[j]!.paragraphEnd && lastParagraphEnd >= i) {
      const len = units[lastParagraphEnd]!.span.end - first.span.start;
      if (len >= maxChars * PARAGRAPH_FILL) j = lastParagraphEnd;
    }
    const start = first.span.start;
    const end = units[j]!.span.end;
    chunks.push({ position: chunks.length, start, end, text: text.slice(start, end) });
    if (j + 1 >= units.length) break;
    // Overlap: step back over trailing sentences that fit in overlapChars, never to i or before.
    let next = j + 1;
    while (next - 1 > i && units[j]!.span.end - units[next - 1]!.span.start <= overlapChars) next--;
    i = next;
  }
  return chunks;
}

/** The text embedded for a passage: the headline first, so a passage is findable by its title. */
export function embeddingText(title: string, passage: string): string {
  return `${title}\n${passage}`;
}

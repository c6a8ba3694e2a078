import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunkText, embeddingText } from '../../src/ingest/chunker.js';
import { parseTextArticle } from '../../src/ingest/formats/text.js';
import { SEED_FILE } from '../helpers/env.js';

function paragraphText(paragraphs: number, sentences: number): string {
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const s: string[] = [];
    for (let i = 0; i < sentences; i++) s.push(`Paragraph ${p} sentence ${i} says something about the news of the day.`);
    out.push(s.join(' '));
  }
  return out.join('\n\n');
}

describe('chunkText', () => {
  it('keeps passages within 1,000 characters with exact offsets', () => {
    const text = paragraphText(12, 7);
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(5);
    chunks.forEach((c, i) => {
      expect(c.position).toBe(i);
      expect(c.text.length).toBeLessThanOrEqual(1000);
      expect(text.slice(c.start, c.end)).toBe(c.text);
    });
  });

  it('covers the whole text, in order, with overlap between neighbours', () => {
    const text = paragraphText(10, 8);
    const chunks = chunkText(text);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks[chunks.length - 1]!.end).toBe(text.length);
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.start).toBeGreaterThan(chunks[i - 1]!.start);
      // Next passage starts inside the previous one (overlap), never after it ends (gap).
      expect(chunks[i]!.start).toBeLessThan(chunks[i - 1]!.end);
    }
  });

  it('starts and ends passages on sentence boundaries', () => {
    const text = paragraphText(6, 9);
    for (const c of chunkText(text)) {
      expect(c.text).toMatch(/^Paragraph \d+ sentence \d+/);
      expect(c.text).toMatch(/\.$/);
    }
  });

  it('cuts a sentence longer than the limit at word boundaries', () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkText(long, { maxChars: 300 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(long.slice(c.start, c.end)).toBe(c.text);
      expect(c.text).toMatch(/^word\d+/);
      expect(c.text).toMatch(/word\d+$/);
    }
  });

  it('chunks the seed article into a few passages', () => {
    const raw = parseTextArticle(fs.readFileSync(SEED_FILE, 'utf8'));
    const chunks = chunkText(raw.text.trim());
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.length).toBeLessThanOrEqual(6);
    expect(chunks.some((c) => c.text.includes('US backstop'))).toBe(true);
  });

  it('returns nothing for empty text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('   \n\n ')).toEqual([]);
  });

  it('puts the title in front of the embedded text', () => {
    expect(embeddingText('Headline', 'Body.')).toBe('Headline\nBody.');
  });
});

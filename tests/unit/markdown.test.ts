import { describe, expect, it } from 'vitest';
import { markdownToText, parseMarkdownArticle } from '../../src/ingest/formats/markdown.js';

describe('markdownToText', () => {
  it('strips Markdown syntax and keeps the paragraphs', () => {
    const md = [
      '## Sub heading ##',
      '',
      'Some *emphasis* and _more emphasis_, a `code span`, an ![image](a.png), a [link](https://x.y/(z)) and <b>bold</b> html.',
      '',
      '> A quote with **strong** and __strong__ text.',
      '',
      '* item one',
      '+ item two',
      '- item three',
      '',
      '---',
      '',
      '```js',
      'const answer = 42;',
      '```',
      'Text (with *parens*), snake_case_names and 2*3*4 stay. C# stays. <!-- hidden -->Visible.',
    ].join('\n');
    expect(markdownToText(md)).toBe(
      [
        'Sub heading',
        '',
        'Some emphasis and more emphasis, a code span, an image, a link) and bold html.',
        '',
        'A quote with strong and strong text.',
        '',
        'item one',
        'item two',
        'item three',
        '',
        '',
        '',
        'const answer = 42;',
        'Text (with parens), snake_case_names and 2*3*4 stay. C# stays. Visible.',
      ].join('\n'),
    );
  });

  it('leaves unclosed constructs as text, whatever their number (each construct is one linear pass)', () => {
    expect(markdownToText('before <!-- never closed ' + 'x '.repeat(10))).toBe('before ');
    expect(markdownToText('[a'.repeat(50_000))).toBe('[a'.repeat(50_000));
    expect(markdownToText('<a'.repeat(50_000))).toBe('<a'.repeat(50_000));
    expect(markdownToText(' _a'.repeat(50_000))).toBe(' _a'.repeat(50_000));
    expect(markdownToText('```x\n'.repeat(1_000))).toBe('```x\n'.repeat(1_000));
    expect(markdownToText('**a '.repeat(10_000))).toBe('a '.repeat(10_000));
  });

  it('takes the first level-1 heading as the title, however much space it holds', () => {
    const article = parseMarkdownArticle(`# Storm ${' '.repeat(100_000)}hits coast #\n\nWinds of 120 km/h.`);
    expect(article.title).toBe(`Storm ${' '.repeat(100_000)}hits coast`);
    expect(article.text).toBe('\nWinds of 120 km/h.');
  });

  it('refuses front matter over 64 KB by its size (the YAML parser checks keys pairwise: 1 MB of keys took 9 s)', () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `k${i}: ${'v'.repeat(20)}`).join('\n');
    expect(() => parseMarkdownArticle(`---\ntitle: Big\n${keys}\n---\nThe bridge reopened on Monday.`)).toThrow(/^front matter too large \(\d+ KB > 64 KB\)$/);
    const small = Array.from({ length: 2_000 }, (_, i) => `k${i}: v`).join('\n');
    expect(parseMarkdownArticle(`---\ntitle: Small\n${small}\n---\nThe bridge reopened on Monday.`).title).toBe('Small');
  });
});

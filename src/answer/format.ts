import { redact } from '../core/logger.js';
import type { Answer, Citation } from '../core/types.js';

/** One source line: `[n] Title (date, source) <url>`. */
export function formatSource(c: Citation, options: { angleUrls?: boolean } = {}): string {
  const details = [c.date, c.source].filter(Boolean).join(', ');
  const url = c.url ? (options.angleUrls === false ? ` ${c.url}` : ` <${c.url}>`) : '';
  return `[${c.n}] ${c.title}${details ? ` (${details})` : ''}${url}`;
}

/** An answer as plain text for a terminal: text, notes, then the numbered sources. */
export function formatAnswerText(answer: Answer): string {
  const lines = [answer.text];
  for (const note of answer.notes) lines.push('', `Note: ${note}`);
  if (answer.citations.length) {
    lines.push('', 'Sources:');
    for (const c of answer.citations) lines.push(formatSource(c, { angleUrls: false }));
  }
  return redact(lines.join('\n'));
}

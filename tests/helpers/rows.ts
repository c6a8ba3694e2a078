import type { PassageRow } from '../../src/store/ports.js';

/** A passage with its article, for ranking-stage tests (no store). */
export function passageRow(id: number, articleId: string, text: string, options: { title?: string; date?: string | null; position?: number } = {}): PassageRow {
  return {
    passage: { id, articleId, position: options.position ?? 0, start: 0, end: text.length, text },
    article: {
      id: articleId,
      title: options.title ?? `Article ${articleId}`,
      date: options.date === undefined ? '2024-05-01' : options.date,
      source: 'test',
      url: null,
      author: null,
      origin: `t/${articleId}`,
      contentHash: `h-${articleId}`,
    },
  };
}

/** Rows by passage id. */
export function rowMap(rows: PassageRow[]): Map<number, PassageRow> {
  return new Map(rows.map((r) => [r.passage.id, r]));
}

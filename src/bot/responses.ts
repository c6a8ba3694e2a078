import type { ArticleMeta, RetrievedPassage } from '../core/types.js';
import type { IngestSummary } from '../ingest/pipeline.js';
import { defuseMentions, discordArticleLine, escapeMarkdown } from './format.js';
import type { BotStatus } from './services.js';

function articleLine(n: number, a: ArticleMeta): string {
  return discordArticleLine(`${n}.`, a);
}

function snippet(text: string, max = 220): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : flat.slice(0, max - 1).replace(/\s+\S*$/, '') + '…';
}

/** /search: the best passages with title, date, link and a snippet. */
export function searchResponse(query: string, passages: RetrievedPassage[]): string {
  if (passages.length === 0) return `No passages match “${defuseMentions(snippet(query, 100))}”.`;
  const lines = [`Top passages for “${defuseMentions(snippet(query, 100))}”:`];
  passages.forEach((p, i) => {
    lines.push(articleLine(i + 1, p.article));
    lines.push(`> ${defuseMentions(snippet(p.passage.text))}`);
  });
  return lines.join('\n');
}

/** /latest: recently published headlines. */
export function latestResponse(topic: string | undefined, articles: ArticleMeta[]): string {
  if (articles.length === 0) return topic ? `No articles about “${defuseMentions(snippet(topic, 100))}” yet.` : 'No articles have been ingested yet.';
  const head = topic ? `Latest on “${defuseMentions(snippet(topic, 100))}”:` : 'Latest headlines:';
  return [head, ...articles.map((a, i) => articleLine(i + 1, a))].join('\n');
}

/** /status: store counts, last ingest, models and answer mode. */
export function statusResponse(s: BotStatus): string {
  const last = s.lastIngest
    ? `${s.lastIngest.finishedAt.slice(0, 16).replace('T', ' ')} UTC (${s.lastIngest.added} added, ${s.lastIngest.updated} updated, ${s.lastIngest.removed} removed, ${s.lastIngest.skipped} skipped)`
    : 'never';
  return [
    '**News bot status**',
    `Articles: ${s.articles} · passages: ${s.passages} · vectors: ${s.vectors}`,
    `Last ingest: ${last}`,
    ...(s.ingestRunning ? [`Ingest running: ${s.ingestRunning}`] : []),
    `Search: ${s.retrievalMode}${s.vectorSearch ? ` (embeddings: ${s.embeddingModel})` : ' (lexical only: no embedding model loaded)'}`,
    `Answers: ${s.answerMode === 'llm' ? `language model ${s.llmModel}` : 'extractive quotes (no language model configured)'}`,
    `Feeds configured: ${s.feeds}`,
  ].join('\n');
}

/** The ingest summary for a moderator. */
export function ingestResponse(what: string, summary: IngestSummary, maxSkips = 8): string {
  const lines = [
    `Ingest of ${what} finished in ${(summary.durationMs / 1000).toFixed(1)} s: ${summary.added} added, ${summary.updated} updated, ` +
      `${summary.unchanged} unchanged, ${summary.removed} removed, ${summary.skipped.length} skipped.`,
  ];
  for (const s of summary.skipped.slice(0, maxSkips)) lines.push(`- skipped ${escapeMarkdown(snippet(s.origin, 120))}: ${escapeMarkdown(s.reason)}`);
  if (summary.skipped.length > maxSkips) lines.push(`- … and ${summary.skipped.length - maxSkips} more`);
  return defuseMentions(lines.join('\n'));
}

import type { ArticleMeta, Citation, RetrievedPassage } from '../core/types.js';
import { notableSkips, type IngestSummary } from '../core/ingest.js';
import { defuseMentions, discordArticleLine, discordSourceLine, escapeMarkdown, packBlocks, quoteText, snippet } from './format.js';
import type { BotStatus } from './services.js';

function articleLine(n: number, a: ArticleMeta): string {
  return discordArticleLine(`${n}.`, a);
}

/** A user's words echoed back: a short snippet, Markdown escaped, mentions defused. */
function echo(text: string): string {
  return quoteText(snippet(text, 100));
}

/** /search: the best passages with title, date, link and a snippet; messages split between items. */
export function searchResponse(query: string, passages: RetrievedPassage[]): string[] {
  if (passages.length === 0) return [`No passages match “${echo(query)}”.`];
  return packBlocks([`Top passages for “${echo(query)}”:`, ...passages.map((p, i) => `${articleLine(i + 1, p.article)}\n> ${quoteText(snippet(p.passage.text))}`)]);
}

/** /latest: recently published headlines; messages split between headlines. */
export function latestResponse(topic: string | undefined, articles: ArticleMeta[]): string[] {
  if (articles.length === 0) return [topic ? `No articles about “${echo(topic)}” yet.` : 'No articles have been ingested yet.'];
  const head = topic ? `Latest on “${echo(topic)}”:` : 'Latest headlines:';
  return packBlocks([head, ...articles.map((a, i) => articleLine(i + 1, a))]);
}

/** The Sources button: every cited source with a snippet of its passage; messages split between sources. */
export function sourcesResponse(citations: Citation[]): string[] {
  if (citations.length === 0) return ['This answer cites no sources.'];
  return packBlocks(citations.map((c) => `${discordSourceLine(c)}\n> ${quoteText(snippet(c.passage, 300))}`));
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
    ...(s.unfinishedIngest ? [`Last ingest did not finish: ${s.unfinishedIngest}`] : []),
    `Search: ${s.retrievalMode}${s.vectorSearch ? ` (embeddings: ${s.embeddingModel})` : ' (lexical only: no embedding model loaded)'}`,
    `Answers: ${s.answerMode === 'llm' ? `language model ${s.llmModel}` : 'extractive quotes (no language model configured)'}`,
    `Feeds configured: ${s.feeds}`,
  ].join('\n');
}

/** The ingest summary for a moderator. */
export function ingestResponse(what: string, summary: IngestSummary, maxSkips = 8): string {
  const lines = [
    `Ingest of ${what} finished in ${(summary.durationMs / 1000).toFixed(1)} s: ${summary.added} added, ${summary.updated} updated, ` +
      `${summary.unchanged} unchanged, ${summary.removed} removed, ${summary.skippedCount} skipped.`,
  ];
  const shown = notableSkips(summary, maxSkips);
  for (const s of shown) lines.push(`- skipped ${escapeMarkdown(snippet(s.origin, 120))}: ${escapeMarkdown(s.reason)}`);
  if (summary.skippedCount > shown.length) lines.push(`- … and ${summary.skippedCount - shown.length} more`);
  return defuseMentions(lines.join('\n'));
}

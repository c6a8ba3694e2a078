import type { AnswerService } from '../answer/answerer.js';
import type { DeliveryService } from '../app/deliveries.js';
import type { IngestRequest, IngestSummary } from '../core/ingest.js';
import type { ArticleMeta } from '../core/types.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { SearchResult } from '../retrieval/retriever.js';
import type { IngestRunRecord, IngestStore, ScopeFilter, SourceStore } from '../store/ports.js';
import type { AnswerLog } from './answer-log.js';
import type { IngestRequester } from './ingest-journal.js';


/** Figures for /status. */
export interface BotStatus {
  articles: number;
  passages: number;
  vectors: number;
  lastIngest: IngestRunRecord | null;
  embeddingModel: string | null;
  vectorSearch: boolean;
  retrievalMode: string;
  answerMode: 'llm' | 'extractive';
  llmModel: string | null;
  feeds: number;
  /** How far a running ingest is ("120 of 300 articles"), when one runs. */
  ingestRunning?: string | null;
  /** The last ingest when it did not finish (the bot stopped while it ran, or it failed), in words; null otherwise. */
  unfinishedIngest?: string | null;
}

/** Everything the bot uses, provided by the entry point. */
export interface BotServices {
  answers: AnswerService;
  /** Searches the articles of `scopes` (visibleScopes of the place asked from). */
  search(query: string, k: number, scopes: ScopeFilter): Promise<SearchResult>;
  /** Latest articles of `scopes`, or the latest about a topic. */
  latest(topic: string | undefined, limit: number, scopes: ScopeFilter): Promise<ArticleMeta[]>;
  /** Source management (/sources, /feeds): the store's articles by scope, stored feeds, audit trail, removal. */
  sources: SourceStore & Pick<IngestStore, 'removeArticles' | 'listFeeds'>;
  status(): Promise<BotStatus>;
  /**
   * Runs an ingest to its summary; `onProgress` gets how far it is ("120 of 300 articles").
   * Rejects at once with IngestBusyError while another ingest runs, and with IngestFailedError
   * when the ingest ends without finishing.
   */
  ingest(request: IngestRequest, onProgress?: (progress: string) => void, origin?: { what: string; requester: IngestRequester }): Promise<IngestSummary>;
  log: AnswerLog;
  logger: Logger;
  /** Where questions, answers and refusals are counted (served at /metrics); absent: not counted. */
  metrics?: Metrics;
  /**
   * While the first reading of the news into an empty store runs, how far it is ("120 of 300
   * articles", or "starting"); null otherwise. A question it cannot answer yet is told so.
   */
  firstReading?: () => string | null;
  /** Briefs and watches (/brief, /watch); absent where the bot posts nothing on its own. */
  deliveries?: Pick<DeliveryService, 'setBrief' | 'brief' | 'removeBrief' | 'briefNow' | 'addWatch' | 'watches' | 'removeWatch'>;
}

/** Bot behaviour settings. */
export interface BotSettings {
  moderatorRoleIds: string[];
  rateLimitPerMinute: number;
  maxConcurrent: number;
  maxQueued: number;
  editIntervalMs: number;
  /**
   * Servers whose moderators act for the operator (OWNER_GUILD_IDS): their /ingest and /reingest
   * add to the global scope, and /sources there lists global too. Every other server's moderators
   * add to their own server's scope only.
   */
  ownerGuildIds?: readonly string[];
  /** ALLOW_PRIVATE_FETCH: /feeds add accepts loopback and private-network addresses (tests, intranets). */
  allowPrivateFetch?: boolean;
  /** Register commands once connected: to this guild, or globally when undefined. */
  registerCommands: { guildId: string | undefined } | null;
  /**
   * How long after a command its reply may still be edited (default REPLY_EDIT_WINDOW_MS: Discord's
   * interaction token lasts 15 minutes). An ingest that runs longer sends its summary by direct message.
   */
  replyEditWindowMs?: number;
  /**
   * How long the gateway stays connected after shutdown begins, so that a question sent in the
   * moment of a restart is still told "restarting" rather than left unanswered (default
   * SHUTDOWN_DRAIN_MS). Answers in progress are waited for as well.
   */
  shutdownDrainMs?: number;
  /** The per-user rate limit's window (default 60 s: rateLimitPerMinute is per minute); tests shorten it. */
  rateWindowMs?: number;
}

/** Default of BotSettings.shutdownDrainMs: within docker stop's 10 s and a supervisor's usual grace. */
export const SHUTDOWN_DRAIN_MS = 2_000;

/** Discord's interaction token works 15 minutes; the bot stops relying on it a minute before. */
const REPLY_EDIT_WINDOW_MS = 14 * 60_000;

/** When an interaction's reply stops being editable (epoch ms): its creation plus the edit window. */
export function replyEditableUntil(interaction: { createdTimestamp: number }, settings: Pick<BotSettings, 'replyEditWindowMs'>): number {
  return interaction.createdTimestamp + (settings.replyEditWindowMs ?? REPLY_EDIT_WINDOW_MS);
}

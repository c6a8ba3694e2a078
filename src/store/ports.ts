import type { Article, ArticleMeta, Passage } from '../core/types.js';

/** What a store records about how it was built. */
export interface StoreManifest {
  schemaVersion: number;
  /** Embedding model id, or null while the store holds no vectors. */
  embeddingModel: string | null;
  dimension: number | null;
  chunkerVersion: number;
}

/** A passage to store: chunk offsets and text, and its vector when an embedder is available. */
export interface PassageInput {
  position: number;
  start: number;
  end: number;
  text: string;
  vector?: Float32Array | undefined;
}

/**
 * Whose an article or feed is: `global` (the operator's: corpus, FEEDS, owner servers' ingests)
 * or one Discord server's id (added from that server, seen only there).
 */
export type Scope = string;

/** The operator's scope, seen everywhere. */
export const GLOBAL_SCOPE: Scope = 'global';

/**
 * Which scopes a read may see: a list (a server sees global and its own; a DM global only), or
 * undefined for every scope (operator tools: the CLI, the eval, consistency checks).
 */
export type ScopeFilter = readonly Scope[] | undefined;

/** The scopes a place sees: global and the server's own, or global only outside a server. */
export function visibleScopes(guildId: string | null | undefined): Scope[] {
  return guildId ? [GLOBAL_SCOPE, guildId] : [GLOBAL_SCOPE];
}

/** An article with its passages, written as one unit. */
export interface ArticleInput {
  article: Article;
  passages: PassageInput[];
  /** Whose it is (default global). */
  scope?: Scope;
  /** Who added it (a Discord user id), or null for the operator's sources. */
  addedBy?: string | null;
}

/** A lexical hit: passage id and BM25 score (higher is better). */
export interface LexicalHit {
  id: number;
  score: number;
}

/** A nearest-neighbour hit: passage id and cosine similarity. */
export interface VectorHit {
  id: number;
  similarity: number;
}

/** A passage with its article's fields. */
export interface PassageRow {
  passage: Passage;
  article: ArticleMeta;
}

/** A finished ingest run as recorded in the store. */
export interface IngestRunRecord {
  finishedAt: string;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  skipped: number;
}

/** Counts and the last ingest, for /status and the CLI. */
export interface StoreStats {
  articles: number;
  passages: number;
  vectors: number;
  lastIngest: IngestRunRecord | null;
  manifest: StoreManifest;
}

/** What `checkConsistency` found. */
export interface ConsistencyReport {
  ok: boolean;
  problems: string[];
  articles: number;
  passages: number;
  vectors: number;
  /** Entries in the lexical index (one per passage when consistent). */
  lexical: number;
  /** Vectors in this process's HNSW index, or null without vectors. */
  indexed: number | null;
}

/**
 * A store's vector change log (written by triggers in the vectors' own transactions): what the
 * shared rules of src/store/contract.ts need from each backend's SQL.
 */
export interface VectorLog {
  /** Highest sequence number in the log (0 when nothing was ever logged). */
  lastSeq(): Promise<number>;
  /** Lowest sequence number still in the log (null when the log is empty; Infinity when the store keeps no log). */
  firstSeq(): Promise<number | null>;
  /** Deletes the entries with seq < `seq`. */
  deleteBefore(seq: number): Promise<void>;
}

/** An article's id and where it came from (for pruning vanished files). */
export interface ArticleOrigin {
  id: string;
  origin: string;
}

/**
 * What retrieval reads: lexical and vector search, term statistics, passages and articles.
 * Every backend answers these the same way (the store contract tests hold them to it).
 */
export interface RetrievalStore {
  readonly manifest: StoreManifest;
  /** Vectors in this process's index (null without vectors or before it is opened). */
  readonly indexedVectors: number | null;
  /**
   * BM25 over passage title and text for any of `terms` (query words, lowercased and unstemmed;
   * the store stems them as it stemmed the passages). The title field weighs `titleWeight`.
   */
  lexicalSearch(terms: readonly string[], limit: number, titleWeight?: number, scopes?: ScopeFilter): Promise<LexicalHit[]>;
  /**
   * Nearest passages to a query vector (empty when the store holds no vectors). With `scopes`,
   * only passages of those scopes, filtered inside the HNSW search (never `limit` then filtered).
   */
  vectorSearch(vector: Float32Array, limit: number, scopes?: ScopeFilter): Promise<VectorHit[]>;
  /** BM25-style idf of each Porter-stemmed term over all passages: ln(1 + (N - df + 0.5) / (df + 0.5)). */
  termIdf(stems: readonly string[]): Promise<Map<string, number>>;
  /** Passages with their articles, in the order of `ids` (unknown ids are dropped). */
  getPassages(ids: readonly number[]): Promise<PassageRow[]>;
  /** Ids of the passages of the given articles, in article order then position; at most `perArticle` each. */
  passageIdsOf(articleIds: readonly string[], perArticle: number): Promise<number[]>;
  /** Most recent articles, by date (undated last), then by ingest time. */
  latestArticles(limit: number, scopes?: ScopeFilter): Promise<ArticleMeta[]>;
  /** The full text of a stored article, if any. */
  articleText(id: string): Promise<string | undefined>;
}

/**
 * What ingest writes. Each call is one transaction: a crash leaves the store as it was before the
 * call or after it, never between.
 */
export interface IngestStore {
  readonly manifest: StoreManifest;
  getArticle(id: string): Promise<ArticleMeta | undefined>;
  /** The id of an article with this content hash, if any (exact duplicate detection), among `scopes`. */
  findByContentHash(hash: string, scopes?: ScopeFilter): Promise<string | undefined>;
  /** The id of an article with this canonical URL, if any, among `scopes`. */
  findByUrl(url: string, scopes?: ScopeFilter): Promise<string | undefined>;
  /** Writes articles with their passages (and vectors), replacing stored versions of the same ids. */
  putArticles(items: readonly ArticleInput[]): Promise<void>;
  /** Removes articles and everything derived from them. Returns how many existed. */
  removeArticles(ids: readonly string[]): Promise<number>;
  /** Passages without a vector (stored while no embedder was available), oldest first. */
  passagesWithoutVectors(limit: number): Promise<{ id: number; title: string; text: string }[]>;
  /** Stores vectors for existing passages (backfill). */
  putVectors(items: readonly { id: number; vector: Float32Array }[]): Promise<void>;
  /** Global stored articles whose origin is one of these files (or a record of one). */
  articlesFromFiles(files: readonly string[]): Promise<ArticleOrigin[]>;
  /** Global stored articles whose origin starts with a folder prefix (a server's articles are never pruned with the corpus). */
  articlesUnder(prefix: string): Promise<ArticleOrigin[]>;
  /** Feeds stored by /feeds add (every scope when `scopes` is undefined), oldest first. */
  listFeeds(scopes?: ScopeFilter): Promise<FeedRecord[]>;
  /**
   * Records the outcome of polling a stored feed (error null: it was read) and the articles its
   * items are (new, unchanged, or duplicates of an article already stored). Each article is
   * recorded once per feed, in order, for feed deliveries; those of a feed never read before are
   * marked as initial (already in the feed when it was added: never posted).
   */
  recordFeedPoll(scope: Scope, url: string, error: string | null, articleIds?: readonly string[]): Promise<void>;
  /** Records a finished ingest run. */
  recordIngestRun(run: Omit<IngestRunRecord, 'finishedAt'>): Promise<void>;
  /** Housekeeping after a large ingest (merging lexical index segments, persisting the vector index). */
  afterIngest(options: { largeChange: boolean }): Promise<void>;
}

/** A feed kept in the store (added with /feeds add), polled by the ingest worker like FEEDS. */
export interface FeedRecord {
  url: string;
  scope: Scope;
  /** Discord user id of who added it. */
  addedBy: string;
  /** ISO time. */
  addedAt: string;
  lastPolledAt: string | null;
  /** The last poll's error, or null when it was read. */
  lastError: string | null;
  /** Where its new articles are posted (`/feeds add channel:`), or null when it only feeds answers. */
  delivery: FeedDelivery | null;
}

/** Why an article of a delivering feed was not posted on its own. */
export type FeedSkipReason = 'filter' | 'duplicate' | 'cap' | 'unreachable' | 'gone';

/** What a delivering feed did: counts, and the last few articles it skipped with why. */
export interface FeedDeliveryLog {
  delivered: number;
  skipped: Partial<Record<FeedSkipReason, number>>;
  /** Newest last. */
  recent: { at: string; title: string; reason: FeedSkipReason; detail?: string }[];
  /** The last articles it posted (newest last): a syndicated copy of one of these is not posted again. */
  posted?: string[];
}

/** A feed's deliveries: the channel its new articles go to, its filter, and how far it got. */
export interface FeedDelivery {
  channelId: string;
  /** A forum channel: one post (thread) per article. */
  forum: boolean;
  /** Words, "phrases" or a /regex/ an article must match (title or lede), or null for every article. */
  filter: string | null;
  /** The last feed item (sequence number) handled. */
  cursor: number;
  /** Why the last post failed (the channel cannot be posted to), or null. */
  lastError: string | null;
  log: FeedDeliveryLog;
}

/** An article a feed held, in the order the feed polls met them. */
export interface FeedEntry {
  seq: number;
  articleId: string;
  /** Already in the feed at its first read (never posted). */
  initial: boolean;
}

/** A stored article as /sources lists it. */
export interface SourceArticle {
  id: string;
  title: string;
  url: string | null;
  scope: Scope;
  /** Discord user id, or null for the operator's sources. */
  addedBy: string | null;
  /** ISO time it was (last) stored. */
  addedAt: string;
}

/** What the audit trail records. */
export type AuditAction = 'article.add' | 'article.remove' | 'feed.add' | 'feed.remove' | 'feed.deliver';

/** One entry of the audit trail: who did what, when, in which scope. */
export interface AuditEntry {
  at: string;
  scope: Scope;
  /** Discord user id. */
  actor: string;
  action: AuditAction;
  /** The article id or feed URL. */
  target: string;
}

/**
 * Source management from Discord: a scope's articles and feeds, and the audit trail of every
 * add and remove. Removing an article goes through IngestStore.removeArticles (every part of the
 * store and the vector index).
 */
export interface SourceStore {
  /** Articles of these scopes, newest first, a page at a time, with the total count. */
  listArticles(scopes: readonly Scope[], limit: number, offset: number): Promise<{ items: SourceArticle[]; total: number }>;
  /** The scope of a stored article (undefined when there is no such article). */
  articleScope(id: string): Promise<Scope | undefined>;
  /** Adds a feed to a scope; false when the scope already has it. */
  addFeed(feed: { url: string; scope: Scope; addedBy: string }): Promise<boolean>;
  /**
   * Sets (or, with null, ends) a stored feed's deliveries: its channel and filter. Its articles
   * met before now are never posted (the cursor starts at the newest feed item). False when the
   * scope keeps no such feed.
   */
  setFeedDelivery(scope: Scope, url: string, delivery: Pick<FeedDelivery, 'channelId' | 'forum' | 'filter'> | null): Promise<boolean>;
  /** Removes a feed from a scope; false when the scope did not have it. */
  removeFeed(scope: Scope, url: string): Promise<boolean>;
  /** Appends to the audit trail. */
  audit(entry: Omit<AuditEntry, 'at'>): Promise<void>;
  /** The newest audit entries of a scope (every scope when undefined), newest first. */
  auditTrail(scope: Scope | undefined, limit: number): Promise<AuditEntry[]>;
}

/** A server's daily brief: where and when it is posted, and what the last one covered. */
export interface BriefSchedule {
  guildId: string;
  channelId: string;
  /** Local time of day, "HH:MM" (24 h). */
  time: string;
  /** IANA time zone the time is in ("UTC", "Europe/Paris"). */
  timeZone: string;
  /** Only stories about one of these (null: every story). */
  topics: string[] | null;
  /** The end of the period the last brief covered (ISO time): the next covers what came after. */
  lastBriefAt: string | null;
  /** The local day (YYYY-MM-DD) of the last scheduled brief. */
  lastBriefDay: string | null;
  /** Why the last delivery failed (the channel cannot be posted to), or null. */
  lastError: string | null;
}

/** A followed story: alerts in a channel (set by a moderator) or by direct message to its member. */
export interface Watch {
  id: number;
  /** The server it was set in (null: set in a direct message). */
  guildId: string | null;
  /** The channel alerts go to (null: by direct message to `userId`). */
  channelId: string | null;
  userId: string;
  topic: string;
  /** The last article considered: its ingest time and id (null before the first check). */
  cursor: { at: string; id: string } | null;
  /** What was already delivered for it: fact terms (numbers, names) and the ids of articles alerted or known. */
  known: { facts: string[]; articles: string[] };
  lastError: string | null;
  createdAt: string;
}

/** An article with when it was (last) written to the store. */
export interface IngestedArticle {
  article: ArticleMeta;
  /** ISO time, as precise as the store keeps it (a cursor compares with it). */
  ingestedAt: string;
}

/** A message the bot posted on its own (a brief, an alert), or the claim to post it. */
export interface DeliveryRecord {
  /** Unique per delivery ("brief:<guild>:<day>", "watch:<id>:<article>:<hash>"): claiming it twice fails. */
  key: string;
  channelId: string | null;
  /** The messages posted, in order (empty while claimed or when the post failed). */
  messageIds: string[];
  /** The thread opened on it, if any. */
  threadId: string | null;
  /** The articles it cited. */
  articleIds: string[];
  /** Why it was not posted, or null. */
  error: string | null;
}

/**
 * What the bot delivers on its own (briefs, watch alerts) and what it already delivered, kept in
 * the store so that every shard and every restart agrees on it.
 */
export interface DeliveryStore {
  /** Creates or replaces a server's brief schedule. */
  putBriefSchedule(schedule: BriefSchedule): Promise<void>;
  /**
   * Records what a server's last brief did (the period it covered, its day, why it failed), if the
   * server still has a schedule: a brief posted while a moderator changes or removes the schedule
   * never brings the old one back.
   */
  saveBriefState(guildId: string, state: Partial<Pick<BriefSchedule, 'lastBriefAt' | 'lastBriefDay' | 'lastError'>>): Promise<void>;
  briefSchedule(guildId: string): Promise<BriefSchedule | null>;
  briefSchedules(): Promise<BriefSchedule[]>;
  /** Removes a server's brief schedule; false when it had none. */
  removeBriefSchedule(guildId: string): Promise<boolean>;
  /** Adds a watch (its id is assigned). */
  addWatch(watch: Omit<Watch, 'id' | 'createdAt' | 'lastError'>): Promise<Watch>;
  /** Watches, oldest first: every one, or those of a server (and, with `userId`, that member's direct-message ones). */
  watches(filter?: { guildId?: string | null; userId?: string }): Promise<Watch[]>;
  /** Saves a watch's cursor, what it delivered and its last error. */
  saveWatchState(id: number, state: Pick<Watch, 'cursor' | 'known' | 'lastError'>): Promise<void>;
  removeWatch(id: number): Promise<boolean>;
  /**
   * Claims a delivery before posting it: true for the first claim of `key`, false when any
   * process (shard) already claimed it, so that each brief and alert is posted at most once.
   */
  claimDelivery(record: Pick<DeliveryRecord, 'key' | 'channelId' | 'articleIds'>): Promise<boolean>;
  /** Records what a claimed delivery posted (or why it could not). */
  finishDelivery(key: string, outcome: Pick<DeliveryRecord, 'messageIds' | 'threadId' | 'error'>): Promise<void>;
  /** Gives up a claim nothing was posted for (a passing failure), so a later round may try again. */
  releaseDelivery(key: string): Promise<void>;
  delivery(key: string): Promise<DeliveryRecord | null>;
  /**
   * Articles by when they were written, oldest first: those written after `after` (a cursor:
   * ingest time, then id) and not after `until`; newest first with `newestFirst`. At most `limit`.
   */
  articlesIngested(options: { after?: { at: string; id: string } | null; until?: string; limit: number; newestFirst?: boolean }): Promise<IngestedArticle[]>;
  /** The articles a stored feed met after item `afterSeq`, in order, at most `limit`. */
  feedItems(scope: Scope, url: string, afterSeq: number, limit: number): Promise<FeedEntry[]>;
  /** Saves a delivering feed's cursor, last error and log (nothing when it no longer delivers). */
  saveFeedDelivery(scope: Scope, url: string, state: Pick<FeedDelivery, 'cursor' | 'lastError' | 'log'>): Promise<void>;
}

/** A whole store: both ports plus administration. */
export interface NewsStore extends RetrievalStore, IngestStore, SourceStore {
  /** "sqlite" (embedded, one machine) or "postgres" (shared). */
  readonly backend: 'sqlite' | 'postgres';
  /** Where it lives, for messages (a folder, or a database URL without its password). */
  readonly location: string;
  stats(): Promise<StoreStats>;
  /** Checks that the store's parts agree (the rules: src/store/contract.ts). */
  checkConsistency(): Promise<ConsistencyReport>;
  /** The vector change log (trimmed after each ingest run to its newest VECTOR_LOG_KEEP entries). */
  readonly vectorLog: VectorLog;
  /**
   * Takes (or renews) the named lease for `holder` until `ttlMs` from now; false when another
   * holder has it, unless that holder is `options.replacing` (one known to be dead). Used so that only one process ingests feeds at a time.
   */
  acquireLease(name: string, holder: string, ttlMs: number, options?: { replacing?: string }): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who holds the named lease now (null when nobody does, or it expired). */
  leaseHolder(name: string): Promise<string | null>;
  /** Briefs, watches and what the bot delivered on its own (shared by every process of the deployment). */
  readonly deliveries: DeliveryStore;
  /** Every stored vector (exact search in benchmarks). */
  allVectors(): AsyncIterable<{ id: number; vector: Float32Array }>;
  /**
   * Picks up other processes' writes; cheap when nothing changed. Lexical search sees them at
   * once; the promise settles when this process's vector index has caught up (done in slices
   * that never hold the event loop for long; queries meanwhile use the index as it stands).
   */
  refresh(): Promise<void>;
  /** Loads this process's vector index now (instead of at the first vector search), so writes keep it current. */
  openVectorIndex(): Promise<void>;

  /** Persists derived data and closes connections. */
  close(): Promise<void>;
}

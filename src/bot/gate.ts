import { PermissionFlagsBits, type ChatInputCommandInteraction, type Message } from 'discord.js';
import type { Logger } from '../core/logger.js';
import type { Metrics, QuestionOutcome } from '../core/metrics.js';
import { RateLimiter, WorkQueue } from './limits.js';

/** Who is asking: the same for a slash command and a mention. */
export interface Asker {
  userId: string;
  /** Whether the asker may use moderator commands here: Manage Server or one of the roles; never outside a server. */
  isModerator(moderatorRoleIds: readonly string[]): boolean;
}

/** A command or a mention on its way in. */
export interface GateRequest {
  /** What is asked for, for messages and logs: "/ask", "/ingest", "mention". */
  name: string;
  asker: Asker;
  /** Checks this request must pass besides the gate's own (see `moderatorOnly`, `questionGiven`). */
  preconditions: readonly Precondition[];
  /** Goes through the per-user rate limit and the answer queue (questions; not /status or moderator work). */
  queued: boolean;
  /** A mention's question as plain text ("" when it held none) and the bot's user id. */
  mention?: { question: string; botUserId: string };
}

/** What the gate needs to know. */
export interface GateSettings {
  moderatorRoleIds: readonly string[];
  rateLimitPerMinute: number;
  maxConcurrent: number;
  maxQueued: number;
  /** The rate limit's window (default 60 s: RATE_LIMIT_PER_MINUTE; tests shorten it). */
  rateWindowMs?: number;
}

/**
 * A reusable check on a request (in the manner of Sapphire's preconditions): one definition
 * serves slash commands and mentions alike. Returns null to let the request through, or the short
 * message that tells the user why not.
 */
export interface Precondition {
  readonly name: string;
  check(request: GateRequest, settings: GateSettings): string | null;
  /** How a refusal is logged: a refused moderator command is worth a warning, a bare mention is not. */
  readonly logLevel: 'debug' | 'info' | 'warn';
  readonly logMessage: string;
}

/** Only moderators (Manage Server or a MODERATOR_ROLE_IDS role), checked by the bot whatever Discord's own permissions say. */
export const moderatorOnly: Precondition = {
  name: 'moderator-only',
  check: (request, settings) => (request.asker.isModerator(settings.moderatorRoleIds) ? null : `Only moderators can use ${request.name}.`),
  logLevel: 'warn',
  logMessage: 'moderator command refused',
};

/** A mention must hold a question besides the mention itself. */
export const questionGiven: Precondition = {
  name: 'question-given',
  check: (request) =>
    request.mention && !request.mention.question ? `Ask me about the news, e.g. <@${request.mention.botUserId}> what happened in Ukraine this week?` : null,
  logLevel: 'debug',
  logMessage: 'mention without a question',
};

/** Why the gate refused a request. */
export type Refusal =
  | { reason: 'stopping'; message: string }
  | { reason: 'precondition'; precondition: string; message: string }
  | { reason: 'rate-limited'; message: string; waitMs: number }
  | { reason: 'busy'; message: string };

/** The gate's answer: go on (running the work through `run`), or the refusal to show. */
export type GateDecision =
  | {
      ok: true;
      /**
       * Runs the request's work: in the answer queue for queued requests (the slot is taken at
       * once, so call this in the same tick as `check`, before awaiting anything).
       */
      run<T>(job: () => Promise<T>): Promise<T>;
    }
  | { ok: false; refusal: Refusal };

/** What a user hears while the bot shuts down. */
export const RESTARTING = 'I am restarting; please ask again in a moment.';
/** What a user hears when the answer queue is full. */
export const BUSY = "I'm answering a lot of questions right now. Please try again in a minute.";
/** The notice for a user asking faster than the rate limit allows. */
export const tooFast = (waitMs: number) => `You're asking faster than I can read. Please try again in ${Math.ceil(waitMs / 1000)} s.`;

/**
 * The one way in for slash commands and mentions. Checks, in order: the bot is not shutting down;
 * the request's preconditions (moderators only, a question given); the asker's rate limit
 * (queued requests: a user's commands and mentions share it); room in the answer queue. It logs
 * each refusal and returns it for the caller to show (a private interaction reply, or a notice
 * or reaction on a mention).
 */
export class Gate {
  private readonly settings: GateSettings;
  private readonly logger: Logger;
  private readonly limiter: RateLimiter;
  private readonly queue: WorkQueue;
  private readonly metrics: Metrics | null;
  private closed = false;
  private unqueued = 0;

  constructor(settings: GateSettings, logger: Logger, now: () => number = Date.now, metrics: Metrics | null = null) {
    this.settings = settings;
    this.logger = logger;
    this.limiter = new RateLimiter(settings.rateLimitPerMinute, settings.rateWindowMs ?? 60_000, now);
    this.queue = new WorkQueue(settings.maxConcurrent, settings.maxQueued);
    this.metrics = metrics;
    metrics?.observeQueue(() => ({ running: this.queue.running, waiting: this.queue.queued }));
  }

  /** Counts a refused question (a queued request: /ask, /search, a mention) by why it was refused. */
  private refused(request: GateRequest, outcome: QuestionOutcome): void {
    if (request.queued) this.metrics?.questions.inc({ outcome });
  }

  /** Decides on a request; a queued one that passes must be run (`decision.run`) before the caller awaits anything. */
  check(request: GateRequest): GateDecision {
    const fields = { request: request.name, user: request.asker.userId };
    if (this.closed) {
      this.logger.debug(`${request.name} refused: shutting down`, fields);
      this.refused(request, 'restarting');
      return { ok: false, refusal: { reason: 'stopping', message: RESTARTING } };
    }
    for (const precondition of request.preconditions) {
      const message = precondition.check(request, this.settings);
      if (message === null) continue;
      this.logger[precondition.logLevel](precondition.logMessage, fields);
      return { ok: false, refusal: { reason: 'precondition', precondition: precondition.name, message } };
    }
    if (!request.queued) return { ok: true, run: (job) => this.track(job) };
    const waitMs = this.limiter.take(request.asker.userId);
    if (waitMs > 0) {
      this.logger.info('rate limited', { ...fields, waitMs });
      this.refused(request, 'rate_limited');
      return { ok: false, refusal: { reason: 'rate-limited', message: tooFast(waitMs), waitMs } };
    }
    if (this.queue.full) {
      this.logger.warn(`answer queue full; ${request.name} refused`, fields);
      this.refused(request, 'busy');
      return { ok: false, refusal: { reason: 'busy', message: BUSY } };
    }
    return { ok: true, run: (job) => this.queue.run(job) };
  }

  /** Runs work that does not queue (moderator commands, /status), counted so that shutdown waits for it too. */
  private async track<T>(job: () => Promise<T>): Promise<T> {
    this.unqueued++;
    try {
      return await job();
    } finally {
      this.unqueued--;
    }
  }

  /**
   * Refuses everything from now on ("restarting"); resolves once the work in progress is done,
   * queued answers and unqueued commands alike (an /ingest whose worker is being stopped tells its
   * moderator so), or after `timeoutMs`.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const end = Date.now() + timeoutMs;
    await this.queue.idle(timeoutMs);
    while (this.unqueued > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  }
}

/** The asker of a slash command. */
export function askerOfInteraction(interaction: ChatInputCommandInteraction): Asker {
  return {
    userId: interaction.user.id,
    isModerator(moderatorRoleIds) {
      if (!interaction.inGuild()) return false;
      if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
      const roles = interaction.member.roles;
      const ids: string[] = Array.isArray(roles) ? roles : [...roles.cache.keys()];
      return ids.some((id) => moderatorRoleIds.includes(id));
    },
  };
}

/** The author of a mention. */
export function askerOfMessage(message: Message): Asker {
  return {
    userId: message.author.id,
    isModerator(moderatorRoleIds) {
      const member = message.member;
      if (!message.inGuild() || !member) return false;
      if (member.permissions.has(PermissionFlagsBits.ManageGuild)) return true;
      return member.roles.cache.some((role) => moderatorRoleIds.includes(role.id));
    },
  };
}

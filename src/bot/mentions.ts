import type { Message } from 'discord.js';
import type { Logger } from '../core/logger.js';
import type { Answering } from './answering.js';
import { NO_MENTIONS } from './commands/command.js';
import { isPleasantry, plainQuestion } from './format.js';
import { askerOfMessage, questionGiven, type Gate, type Refusal } from './gate.js';
import { NoticeThrottle } from './limits.js';

/** The reaction to a mention that asks nothing ("thanks!"). */
const ACK_EMOJI = '👍';
/** The reaction on a mention kept to answer when its asker's turn comes (removed once answered). */
const WAIT_EMOJI = '⏳';
/** How long one notice in a channel (or to a user) covers later refused mentions there. */
const NOTICE_WINDOW_MS = 60_000;
/**
 * A user's mentions refused by the rate limit are answered when their turn comes, up to this
 * many waiting at once (marked WAIT_EMOJI meanwhile); more are told when to ask again.
 */
export const MAX_DEFERRED_PER_USER = 3;
/** The reaction that stands in for a notice already given in a burst: not answered, the notice above says why and when to ask again. */
const NOT_KEPT_EMOJI = '🚫';

/** A rate-limited mention waiting for its asker's turn. */
interface Deferred {
  message: Message;
  question: string;
  botUserId: string;
}

/** The mention precondition list: a question besides the mention. */
const MENTION_PRECONDITIONS = [questionGiven];

/**
 * How a refusal is shown on a mention: the first of a burst is a short reply, later ones within
 * the window a reaction. "Restarting" and "busy" are per channel (everyone there hears it once),
 * a rate limit per user for as long as they must wait, a usage hint per user with a question mark.
 */
function noticeFor(refusal: Refusal, message: Message): { key: string; windowMs: number; emoji: string } {
  switch (refusal.reason) {
    case 'stopping':
      return { key: `restarting:${message.channelId}`, windowMs: NOTICE_WINDOW_MS, emoji: NOT_KEPT_EMOJI };
    case 'busy':
      return { key: `busy:${message.channelId}`, windowMs: NOTICE_WINDOW_MS, emoji: NOT_KEPT_EMOJI };
    case 'rate-limited':
      // Only mentions beyond the ones kept for their turn get here: not kept, the notice said when to ask again.
      return { key: `rate:${message.author.id}`, windowMs: refusal.waitMs, emoji: NOT_KEPT_EMOJI };
    case 'precondition':
      return refusal.precondition === questionGiven.name
        ? { key: `usage:${message.author.id}`, windowMs: NOTICE_WINDOW_MS, emoji: '❓' }
        : { key: `${refusal.precondition}:${message.author.id}`, windowMs: NOTICE_WINDOW_MS, emoji: NOT_KEPT_EMOJI };
  }
}

/**
 * Mentions of the bot: a question in a channel or in one of the bot's threads goes through the
 * gate like a slash command, then is answered in the channel; a refusal becomes a notice that
 * never fills the channel in a burst.
 */
export class MentionHandler {
  private readonly gate: Gate;
  private readonly answering: Answering;
  private readonly logger: Logger;
  private readonly notices = new NoticeThrottle();
  /** Each asker's mentions kept for their turn, oldest first, and the timer that tries the oldest. */
  private readonly waiting = new Map<string, Deferred[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(gate: Gate, answering: Answering, logger: Logger) {
    this.gate = gate;
    this.answering = answering;
    this.logger = logger;
  }

  /** Handles a message; ignores those from bots and those that do not mention `botUserId`. */
  async handle(message: Message, botUserId: string): Promise<void> {
    if (message.author.bot || !message.mentions.users.has(botUserId)) return;
    const question = plainQuestion(message.content);
    // "thanks!" or "hi 👋" asks nothing: a reaction, not a search (an empty mention gets the usage hint).
    if (question && isPleasantry(question)) {
      await message.react(ACK_EMOJI).catch((error: unknown) => this.logger.debug('reaction failed', { error: String(error) }));
      return;
    }
    // Behind the asker's own mentions already waiting: answered in the order they were asked.
    if (this.waiting.has(message.author.id) && this.keep({ message, question, botUserId }, 0)) return;
    const decision = this.check(message, question, botUserId);
    if (!decision.ok && decision.refusal.reason === 'rate-limited' && this.keep({ message, question, botUserId }, decision.refusal.waitMs)) return;
    if (!decision.ok) {
      await this.notice(message, decision.refusal);
      return;
    }
    await decision.run(() => this.answering.answerMention(message, question, botUserId));
  }

  private check(message: Message, question: string, botUserId: string) {
    return this.gate.check({ name: 'mention', asker: askerOfMessage(message), preconditions: MENTION_PRECONDITIONS, queued: true, mention: { question, botUserId } });
  }

  /**
   * Keeps a rate-limited mention to answer when its asker's turn comes, marked with ⏳ meanwhile,
   * behind the asker's earlier ones; false when the asker already has MAX_DEFERRED_PER_USER
   * waiting (it is then refused with when to ask again).
   */
  private keep(entry: Deferred, waitMs: number): boolean {
    const user = entry.message.author.id;
    const queue = this.waiting.get(user) ?? [];
    if (queue.length >= MAX_DEFERRED_PER_USER) return false;
    queue.push(entry);
    this.waiting.set(user, queue);
    this.logger.info('mention kept for its turn', { user, waitMs, waiting: queue.length });
    void entry.message.react(WAIT_EMOJI).catch((error: unknown) => this.logger.debug('could not react to a mention', { error: String(error) }));
    this.schedule(user, waitMs);
    return true;
  }

  /** Tries the asker's oldest waiting mention after `waitMs` (one timer a user). */
  private schedule(user: string, waitMs: number): void {
    if (this.timers.has(user)) return;
    const timer = setTimeout(() => {
      this.timers.delete(user);
      void this.next(user).catch((error: unknown) => this.logger.error('answering a mention that waited for its turn failed', { error, user }));
    }, waitMs + 50);
    this.timers.set(user, timer);
  }

  /** The asker's oldest waiting mention through the gate: answered now, or kept until the limit allows. */
  private async next(user: string): Promise<void> {
    const queue = this.waiting.get(user);
    const head = queue?.[0];
    if (!queue || !head) return;
    const decision = this.check(head.message, head.question, head.botUserId);
    if (!decision.ok && decision.refusal.reason === 'rate-limited') {
      this.schedule(user, decision.refusal.waitMs);
      return;
    }
    queue.shift();
    if (queue.length) this.schedule(user, 0);
    else this.waiting.delete(user);
    await this.finish(head, decision);
  }

  /** Answers (or tells why not, in words: never left with its ⏳) a mention that waited, then removes its ⏳. */
  private async finish(entry: Deferred, decision: ReturnType<MentionHandler['check']>): Promise<void> {
    try {
      if (!decision.ok) await entry.message.reply({ content: decision.refusal.message, allowedMentions: NO_MENTIONS });
      else await decision.run(() => this.answering.answerMention(entry.message, entry.question, entry.botUserId));
    } finally {
      await entry.message.reactions
        .resolve(WAIT_EMOJI)
        ?.users.remove(entry.botUserId)
        .catch((error: unknown) => this.logger.debug('could not remove a reaction', { error: String(error) }));
    }
  }

  /**
   * For shutdown: every mention still waiting for its turn is told the bot is restarting (each
   * its own short reply: at most MAX_DEFERRED_PER_USER a user), and its ⏳ removed.
   */
  async stop(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const waiting = [...this.waiting.values()].flat();
    this.waiting.clear();
    await Promise.all(waiting.map((entry) => this.finish(entry, this.check(entry.message, entry.question, entry.botUserId)).catch(() => {})));
  }

  /**
   * A refusal notice for a mention: the first of a burst (per key, within its window) is a short
   * reply; the rest are a reaction on the message, so a burst never fills the channel.
   */
  private async notice(message: Message, refusal: Refusal): Promise<void> {
    const { key, windowMs, emoji } = noticeFor(refusal, message);
    if (this.notices.take(key, windowMs)) {
      await message.reply({ content: refusal.message, allowedMentions: NO_MENTIONS });
      return;
    }
    await message.react(emoji).catch((error: unknown) => this.logger.debug('could not react to a mention', { error: String(error) }));
  }
}

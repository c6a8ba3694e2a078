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
  timer: NodeJS.Timeout;
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
  private readonly deferred = new Set<Deferred>();

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
    await this.pass(message, question, botUserId, null);
  }

  /** Through the gate, then answered; `waiting` is the deferral this attempt ends (its ⏳ goes once the mention is answered or refused). */
  private async pass(message: Message, question: string, botUserId: string, waiting: Deferred | null): Promise<void> {
    const decision = this.gate.check({
      name: 'mention',
      asker: askerOfMessage(message),
      preconditions: MENTION_PRECONDITIONS,
      queued: true,
      mention: { question, botUserId },
    });
    if (!decision.ok && decision.refusal.reason === 'rate-limited' && this.defer(message, question, botUserId, decision.refusal.waitMs, waiting)) return;
    try {
      if (!decision.ok) {
        // A mention that waited is answered in words, never left with its ⏳.
        if (waiting) await message.reply({ content: decision.refusal.message, allowedMentions: NO_MENTIONS });
        else await this.notice(message, decision.refusal);
        return;
      }
      await decision.run(() => this.answering.answerMention(message, question, botUserId));
    } finally {
      if (waiting) await this.unmark(message, botUserId);
    }
  }

  /**
   * Keeps a rate-limited mention to answer when its asker's turn comes (after `waitMs`), marked
   * with ⏳ meanwhile; false when the asker already has MAX_DEFERRED_PER_USER waiting (it is then
   * refused with when to ask again). A mention that waited and is still too early waits again.
   */
  private defer(message: Message, question: string, botUserId: string, waitMs: number, waiting: Deferred | null): boolean {
    const mine = [...this.deferred].filter((d) => d.message.author.id === message.author.id).length;
    if (!waiting && mine >= MAX_DEFERRED_PER_USER) return false;
    const entry: Deferred = {
      message,
      question,
      botUserId,
      timer: setTimeout(() => {
        this.deferred.delete(entry);
        void this.pass(message, question, botUserId, entry).catch((error: unknown) => this.logger.error('answering a mention that waited for its turn failed', { error, user: message.author.id }));
      }, waitMs + 50),
    };
    this.deferred.add(entry);
    this.logger.info('mention kept for its turn', { user: message.author.id, waitMs, waiting: mine + (waiting ? 0 : 1) });
    if (!waiting) void message.react(WAIT_EMOJI).catch((error: unknown) => this.logger.debug('could not react to a mention', { error: String(error) }));
    return true;
  }

  /** Removes the bot's ⏳ from a mention that waited. */
  private async unmark(message: Message, botUserId: string): Promise<void> {
    await message.reactions
      .resolve(WAIT_EMOJI)
      ?.users.remove(botUserId)
      .catch((error: unknown) => this.logger.debug('could not remove a reaction', { error: String(error) }));
  }

  /**
   * For shutdown: every mention still waiting for its turn is told the bot is restarting (each
   * its own short reply: at most MAX_DEFERRED_PER_USER a user), and its ⏳ removed.
   */
  async stop(): Promise<void> {
    const waiting = [...this.deferred];
    this.deferred.clear();
    for (const entry of waiting) clearTimeout(entry.timer);
    await Promise.all(waiting.map((entry) => this.pass(entry.message, entry.question, entry.botUserId, entry).catch(() => {})));
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

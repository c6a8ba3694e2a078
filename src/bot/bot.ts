import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Events,
  MessageFlags,
  PermissionFlagsBits,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  type Message,
} from 'discord.js';
import type { ConversationTurn } from '../answer/conversation.js';
import type { Answer } from '../core/types.js';
import { commands, commandDefinitions } from './commands/index.js';
import { NO_MENTIONS, type CommandContext } from './commands/command.js';
import { isUserMistake, userMessageFor } from './errors.js';
import { formatAnswerForDiscord, plainQuestion, splitMessage, threadName } from './format.js';
import { sourcesResponse } from './responses.js';
import { NoticeThrottle, QueueFullError, RateLimiter, WorkQueue } from './limits.js';
import type { BotServices, BotSettings } from './services.js';
import { ThrottledEditor } from './streaming.js';

function answerButtons(answerId: string, hasSources: boolean) {
  const row = new ActionRowBuilder<ButtonBuilder>();
  if (hasSources) row.addComponents(new ButtonBuilder().setCustomId(`sources:${answerId}`).setLabel('Sources').setStyle(ButtonStyle.Secondary));
  row.addComponents(
    new ButtonBuilder().setCustomId(`feedback:${answerId}:up`).setLabel('Helpful').setEmoji('👍').setStyle(ButtonStyle.Secondary),
    new ButtonBuilder().setCustomId(`feedback:${answerId}:down`).setLabel('Not helpful').setEmoji('👎').setStyle(ButtonStyle.Secondary),
  );
  return [row];
}

/** The messages of an answer: its text split to Discord's limit, with the buttons under the last one. */
function answerMessages(answer: Answer, answerId: string): { content: string; components: ReturnType<typeof answerButtons> }[] {
  const parts = splitMessage(formatAnswerForDiscord(answer));
  const buttons = answerButtons(answerId, answer.citations.length > 0);
  return parts.map((content, i) => ({ content, components: i === parts.length - 1 ? buttons : [] }));
}

/** What a user hears while the bot shuts down. */
const RESTARTING = 'I am restarting; please ask again in a moment.';
/** The notice for a user asking faster than the rate limit allows. */
const tooFast = (waitMs: number) => `You're asking faster than I can read. Please try again in ${Math.ceil(waitMs / 1000)} s.`;
/** The reaction that stands in for a notice already given in a burst. */
const WAIT_EMOJI = '⏳';
/** How long one "busy" or "restarting" reply in a channel covers later mentions there. */
const NOTICE_WINDOW_MS = 60_000;

/**
 * The Discord bot: slash commands, mentions and thread follow-ups, on a discord.js Client it is
 * given. Every handler runs inside one error boundary; users see a short ephemeral message,
 * operators a logged stack. No message it sends can ping anyone.
 */
export class NewsBot {
  private readonly client: Client;
  private readonly services: BotServices;
  private readonly settings: BotSettings;
  private readonly limiter: RateLimiter;
  private readonly queue: WorkQueue;
  private readonly notices = new NoticeThrottle();
  private stopping = false;
  private readonly context: CommandContext;

  constructor(client: Client, services: BotServices, settings: BotSettings) {
    this.client = client;
    this.services = services;
    this.settings = settings;
    this.limiter = new RateLimiter(settings.rateLimitPerMinute);
    this.queue = new WorkQueue(settings.maxConcurrent, settings.maxQueued);
    this.context = { services, settings, answerInteraction: (i, q, e) => this.answerInteraction(i, q, e) };
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction));
    client.on(Events.MessageCreate, (message) => void this.onMessage(message));
    client.once(Events.ClientReady, (c) => void this.onReady(c));
    client.on(Events.Error, (error) => services.logger.error('discord client error', { error }));
    client.on(Events.ShardDisconnect, (event, id) => services.logger.warn('gateway disconnected', { shard: id, code: event.code }));
    client.on(Events.ShardResume, (id, replayed) => services.logger.info('gateway resumed', { shard: id, replayed }));
  }

  /** Logs in; resolves once the gateway is ready. */
  async start(token: string): Promise<void> {
    const ready = new Promise<void>((resolve) => this.client.once(Events.ClientReady, () => resolve()));
    await this.client.login(token);
    await ready;
  }

  /** Stops taking work, lets answers in progress finish (up to `timeoutMs`), then disconnects. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    await this.queue.idle(timeoutMs);
    await this.client.destroy();
  }

  private async onReady(client: Client<true>): Promise<void> {
    this.services.logger.info(`logged in to Discord as ${client.user.tag}`, { guilds: client.guilds.cache.size });
    if (!this.settings.registerCommands) return;
    try {
      const guildId = this.settings.registerCommands.guildId;
      const body = commandDefinitions();
      if (guildId) await client.application.commands.set(body, guildId);
      else await client.application.commands.set(body);
      this.services.logger.info(`registered ${body.length} slash commands ${guildId ? `in guild ${guildId}` : 'globally'}`);
    } catch (error) {
      this.services.logger.error('registering slash commands failed', { error });
    }
  }

  private isModerator(interaction: ChatInputCommandInteraction): boolean {
    if (!interaction.inGuild()) return false;
    if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
    const roles = interaction.member.roles;
    const ids: string[] = Array.isArray(roles) ? roles : [...roles.cache.keys()];
    return ids.some((id) => this.settings.moderatorRoleIds.includes(id));
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isChatInputCommand()) await this.onCommand(interaction);
      else if (interaction.isButton()) await this.onButton(interaction);
    } catch (error) {
      await this.fail(interaction, error);
    }
  }

  private async onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const command = commands.get(interaction.commandName);
    if (!command) {
      await interaction.reply({ content: 'I do not know that command (yet).', flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      return;
    }
    if (this.stopping) {
      await interaction.reply({ content: RESTARTING, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      return;
    }
    if (command.moderatorOnly && !this.isModerator(interaction)) {
      this.services.logger.warn('moderator command refused', { command: command.data.name, user: interaction.user.id });
      await interaction.reply({ content: `Only moderators can use /${command.data.name}.`, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      return;
    }
    if (command.queued) {
      const wait = this.limiter.take(interaction.user.id);
      if (wait > 0) {
        this.services.logger.info('rate limited', { command: command.data.name, user: interaction.user.id, waitMs: wait });
        await interaction.reply({ content: tooFast(wait), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
        return;
      }
      if (this.queue.full) throw new QueueFullError();
    }
    // Acknowledge at once (Discord allows 3 seconds); take the queue slot in the same tick, so
    // concurrent interactions cannot all slip past the full-queue check.
    const deferred = interaction.deferReply(command.ephemeral(interaction) ? { flags: MessageFlags.Ephemeral } : {});
    deferred.catch(() => {}); // awaited below; this only keeps a failure from counting as unhandled meanwhile
    if (command.queued) {
      await this.queue.run(async () => {
        await deferred;
        await command.execute(interaction, this.context);
      });
    } else {
      await deferred;
      await command.execute(interaction, this.context);
    }
  }

  private async answerInteraction(interaction: ChatInputCommandInteraction, question: string, ephemeral: boolean): Promise<void> {
    const editor = new ThrottledEditor(
      (content) => interaction.editReply({ content, allowedMentions: NO_MENTIONS }),
      this.settings.editIntervalMs,
      (error) => this.services.logger.warn('streaming edit failed', { error: String(error) }),
    );
    const answer = await this.collectAnswer(question, {}, editor);
    const id = this.services.log.record(question, answer, { userId: interaction.user.id, guildId: interaction.guildId, channelId: interaction.channelId });
    const [first, ...rest] = answerMessages(answer, id);
    await interaction.editReply({ ...(first ?? { content: '…', components: [] }), allowedMentions: NO_MENTIONS });
    for (const part of rest) {
      await interaction.followUp({ ...part, allowedMentions: NO_MENTIONS, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
    }
  }

  /** Runs the answer stream into a throttled editor; returns the final answer. */
  private async collectAnswer(question: string, options: { history?: ConversationTurn[] }, editor: ThrottledEditor | null): Promise<Answer> {
    let answer: Answer | undefined;
    try {
      for await (const event of this.services.answers.askStream(question, options)) {
        if (event.type === 'delta') editor?.append(event.text);
        else if (event.type === 'reset') editor?.reset();
        else answer = event.answer;
      }
    } finally {
      await editor?.stop();
    }
    return answer!;
  }

  private async onButton(interaction: ButtonInteraction): Promise<void> {
    const [kind, id, vote] = interaction.customId.split(':');
    const logged = id ? this.services.log.get(id) : undefined;
    if (!logged) {
      await interaction.reply({ content: 'That answer is no longer available.', flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      return;
    }
    if (kind === 'sources') {
      // Every cited source: one private reply, then private follow-ups when they do not fit in one.
      const [first, ...rest] = sourcesResponse(logged.answer.citations);
      await interaction.reply({ content: first!, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      for (const content of rest) await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    } else if (kind === 'feedback') {
      this.services.log.feedback(logged.id, interaction.user.id, vote === 'up');
      await interaction.reply({ content: 'Thanks for the feedback!', flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    }
  }

  private async onMessage(message: Message): Promise<void> {
    const me = this.client.user;
    if (!me || message.author.bot) return;
    if (!message.mentions.users.has(me.id)) return;
    try {
      if (this.stopping) {
        await this.notice(message, `restarting:${message.channelId}`, RESTARTING, NOTICE_WINDOW_MS);
        return;
      }
      const question = plainQuestion(message.content);
      if (!question) {
        await this.notice(message, `usage:${message.author.id}`, `Ask me about the news, e.g. <@${me.id}> what happened in Ukraine this week?`, NOTICE_WINDOW_MS, '❓');
        return;
      }
      const wait = this.limiter.take(message.author.id);
      if (wait > 0) {
        this.services.logger.info('rate limited', { mention: message.id, user: message.author.id, waitMs: wait });
        await this.notice(message, `rate:${message.author.id}`, tooFast(wait), wait);
        return;
      }
      const channel = message.channel;
      const inThread = channel.isThread() && channel.ownerId === me.id;
      await this.queue.run(async () => {
        if ('sendTyping' in channel) await channel.sendTyping().catch(() => {});
        const history = inThread ? this.services.log.threadHistory(channel.id) : [];
        const answer = await this.collectAnswer(question, { history }, null);
        const id = this.services.log.record(question, answer, {
          userId: message.author.id,
          guildId: message.guildId,
          channelId: message.channelId,
          threadId: inThread ? channel.id : null,
        });
        const [head, ...rest] = answerMessages(answer, id);
        const first = await message.reply({ ...head!, allowedMentions: NO_MENTIONS });
        for (const part of rest) {
          if (!('send' in channel)) break;
          await channel.send({ ...part, allowedMentions: NO_MENTIONS });
        }
        // Open a thread on the answer so follow-ups keep their context.
        if (!inThread && channel.type === ChannelType.GuildText) {
          try {
            const thread = await first.startThread({ name: threadName(question) });
            this.services.log.setThread(id, thread.id);
          } catch (error) {
            this.services.logger.warn('could not open a thread for the answer', { error: String(error) });
          }
        }
      });
    } catch (error) {
      if (error instanceof QueueFullError) {
        this.services.logger.warn('answer queue full; mention refused', { user: message.author.id });
        await this.notice(message, `busy:${message.channelId}`, userMessageFor(error), NOTICE_WINDOW_MS).catch(() => {});
        return;
      }
      this.logFailure('answering a mention', error, { user: message.author.id });
      await message.reply({ content: userMessageFor(error), allowedMentions: NO_MENTIONS }).catch(() => {});
    }
  }

  /**
   * A refusal notice for a mention: the first of a burst (per key, within `windowMs`) is a short
   * reply; the rest are a reaction on the message, so a burst never fills the channel.
   */
  private async notice(message: Message, key: string, text: string, windowMs: number, emoji = WAIT_EMOJI): Promise<void> {
    if (this.notices.take(key, windowMs)) {
      await message.reply({ content: text, allowedMentions: NO_MENTIONS });
      return;
    }
    await message.react(emoji).catch((error: unknown) => this.services.logger.debug('could not react to a mention', { error: String(error) }));
  }

  /** Logs a failure: a user's mistake as one line, a real fault with its stack. */
  private logFailure(what: string, error: unknown, fields: Record<string, unknown>): void {
    if (isUserMistake(error)) this.services.logger.info(`${what} refused: ${error instanceof Error ? error.message : String(error)}`, fields);
    else this.services.logger.error(`${what} failed`, { error, ...fields });
  }

  private async fail(interaction: Interaction, error: unknown): Promise<void> {
    const name = interaction.isChatInputCommand() ? `/${interaction.commandName}` : interaction.isButton() ? `button ${interaction.customId}` : 'interaction';
    this.logFailure(name, error, { user: interaction.user.id });
    if (!interaction.isRepliable()) return;
    const content = userMessageFor(error);
    try {
      if (interaction.deferred || interaction.replied) {
        const ephemeralReply = interaction.ephemeral === true;
        if (ephemeralReply) {
          await interaction.editReply({ content, components: [], allowedMentions: NO_MENTIONS });
        } else {
          // The public "thinking…" message goes; the error is shown to the user alone.
          await interaction.deleteReply().catch(() => {});
          await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
        }
      } else {
        await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      }
    } catch (replyError) {
      this.services.logger.error('could not tell the user about an error', { error: replyError });
    }
  }
}

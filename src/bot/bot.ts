import { BaseInteraction, Events, MessageFlags, type Client, type Interaction, type Message } from 'discord.js';
import { Answering } from './answering.js';
import { handleButton } from './buttons.js';
import { commandDefinitions, handleCommand } from './commands/index.js';
import { NO_MENTIONS, type CommandContext } from './commands/command.js';
import { isUserMistake, userMessageFor } from './errors.js';
import { Gate } from './gate.js';
import { MentionHandler } from './mentions.js';
import { replyEditableUntil, type BotServices, type BotSettings } from './services.js';

/**
 * The Discord bot on a discord.js Client it is given: one handler per event (slash commands and
 * buttons, mentions, ready), every one inside one error boundary (users see a short private
 * message, operators a logged stack). Commands and mentions pass the same gate (src/bot/gate.ts);
 * answering, buttons and mentions live in their own modules. No message it sends can ping anyone.
 */
export class NewsBot {
  private readonly client: Client;
  private readonly services: BotServices;
  private readonly settings: BotSettings;
  private readonly gate: Gate;
  private readonly mentions: MentionHandler;
  private readonly context: CommandContext;

  constructor(client: Client, services: BotServices, settings: BotSettings) {
    this.client = client;
    this.services = services;
    this.settings = settings;
    this.gate = new Gate(settings, services.logger);
    const answering = new Answering(services, settings);
    this.mentions = new MentionHandler(this.gate, answering, services.logger);
    this.context = { services, settings, answerInteraction: (i, q, e) => answering.answerInteraction(i, q, e) };
    client.on(Events.InteractionCreate, (interaction) => void this.guard(interaction, () => this.onInteraction(interaction)));
    client.on(Events.MessageCreate, (message) => void this.guard(message, () => this.onMessage(message)));
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

  /** Stops taking work ("restarting"), lets answers in progress finish (up to `timeoutMs`), then disconnects. */
  async stop(timeoutMs = 10_000): Promise<void> {
    await this.gate.close(timeoutMs);
    await this.client.destroy();
  }

  private async onReady(client: Client<true>): Promise<void> {
    const shards = client.shard ? { shards: client.shard.ids } : {};
    this.services.logger.info(`logged in to Discord as ${client.user.tag}`, { guilds: client.guilds.cache.size, ...shards });
    // Commands belong to the application, not to a shard: with several shards, the one holding shard 0 registers them.
    if (!this.settings.registerCommands || (client.shard && !client.shard.ids.includes(0))) return;
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

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) await handleCommand(interaction, this.gate, this.context);
    else if (interaction.isButton()) await handleButton(interaction, this.services);
  }

  private async onMessage(message: Message): Promise<void> {
    const me = this.client.user;
    if (me) await this.mentions.handle(message, me.id);
  }

  /** The error boundary of every event handler: the failure is logged and the user told, briefly and privately where Discord allows. */
  private async guard(source: Interaction | Message, handler: () => Promise<void>): Promise<void> {
    try {
      await handler();
    } catch (error) {
      if (source instanceof BaseInteraction) {
        await this.failInteraction(source, error);
      } else {
        this.logFailure('answering a mention', error, { user: source.author.id });
        await source.reply({ content: userMessageFor(error), allowedMentions: NO_MENTIONS }).catch(() => {});
      }
    }
  }

  /** Logs a failure: a user's mistake as one line, a real fault with its stack. */
  private logFailure(what: string, error: unknown, fields: Record<string, unknown>): void {
    if (isUserMistake(error)) this.services.logger.info(`${what} refused: ${error instanceof Error ? error.message : String(error)}`, fields);
    else this.services.logger.error(`${what} failed`, { error, ...fields });
  }

  /** Tells the user of a failed interaction, privately, whatever state its reply is in. */
  private async failInteraction(interaction: Interaction, error: unknown): Promise<void> {
    const name = interaction.isChatInputCommand() ? `/${interaction.commandName}` : interaction.isButton() ? `button ${interaction.customId}` : 'interaction';
    this.logFailure(name, error, { user: interaction.user.id });
    if (!interaction.isRepliable()) return;
    if (Date.now() >= replyEditableUntil(interaction, this.settings) && (interaction.deferred || interaction.replied)) {
      // Its token has expired (Discord: 15 minutes): the reply can no longer be edited or followed.
      this.services.logger.warn(`${name}: the user could not be told of the failure, its reply can no longer be edited`, { user: interaction.user.id });
      return;
    }
    const content = userMessageFor(error);
    try {
      if (interaction.deferred || interaction.replied) {
        if (interaction.ephemeral === true) {
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

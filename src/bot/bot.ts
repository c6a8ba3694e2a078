import { Events, Status, type Client } from 'discord.js';
import { Answering } from './answering.js';
import type { CommandContext } from './commands/command.js';
import { Gate } from './gate.js';
import { registerGatewayEvents } from './events/index.js';
import { MentionHandler } from './mentions.js';
import { SHUTDOWN_DRAIN_MS, type BotServices, type BotSettings } from './services.js';

/**
 * The Discord bot on a discord.js Client it is given: one handler file per gateway event
 * (src/bot/events: slash commands and buttons, mentions, ready, errors, shard disconnects and
 * resumes), the ones that serve users inside one error boundary (events/boundary.ts: users see a
 * short private message, operators a logged stack). Commands and mentions pass the same gate
 * (src/bot/gate.ts); answering, buttons and mentions live in their own modules. No message it
 * sends can ping anyone.
 */
export class NewsBot {
  private readonly client: Client;
  private readonly gate: Gate;
  private readonly drainMs: number;
  private readonly mentions: MentionHandler;

  constructor(client: Client, services: BotServices, settings: BotSettings) {
    this.client = client;
    this.drainMs = settings.shutdownDrainMs ?? SHUTDOWN_DRAIN_MS;
    this.gate = new Gate(settings, services.logger, Date.now, services.metrics ?? null);
    const answering = new Answering(services, settings);
    const mentions = new MentionHandler(this.gate, answering, services.logger);
    this.mentions = mentions;
    const commands: CommandContext = { services, settings, answerInteraction: (i, q, e) => answering.answerInteraction(i, q, e) };
    registerGatewayEvents({ client, services, settings, gate: this.gate, mentions, commands });
  }

  /** True while the gateway connection is ready (for the health check). */
  get connected(): boolean {
    return this.client.isReady() && this.client.ws.status === Status.Ready;
  }

  /** Logs in; resolves once the gateway is ready. */
  async start(token: string): Promise<void> {
    const ready = new Promise<void>((resolve) => this.client.once(Events.ClientReady, () => resolve()));
    await this.client.login(token);
    await ready;
  }

  /**
   * Stops taking work: from now on every question is told "restarting" (privately for commands,
   * a notice or reaction on mentions); answers in progress finish (up to `timeoutMs`) and the
   * gateway stays connected at least the drain time, then it disconnects.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    const closing = this.gate.close(timeoutMs);
    await Promise.all([closing, this.mentions.stop(), new Promise((resolve) => setTimeout(resolve, Math.min(this.drainMs, timeoutMs)))]);
    await this.client.destroy();
  }
}

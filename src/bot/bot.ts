import { Events, type Client } from 'discord.js';
import { Answering } from './answering.js';
import type { CommandContext } from './commands/command.js';
import { Gate } from './gate.js';
import { registerGatewayEvents } from './events/index.js';
import { MentionHandler } from './mentions.js';
import type { BotServices, BotSettings } from './services.js';

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

  constructor(client: Client, services: BotServices, settings: BotSettings) {
    this.client = client;
    this.gate = new Gate(settings, services.logger);
    const answering = new Answering(services, settings);
    const mentions = new MentionHandler(this.gate, answering, services.logger);
    const commands: CommandContext = { services, settings, answerInteraction: (i, q, e) => answering.answerInteraction(i, q, e) };
    registerGatewayEvents({ client, services, settings, gate: this.gate, mentions, commands });
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
}

import { Events } from 'discord.js';
import { handleButton } from '../buttons.js';
import { handleCommand } from '../commands/index.js';
import { guard } from './boundary.js';
import type { GatewayEvent } from './event.js';

/** Slash commands (through the gate) and buttons. */
export const interactionCreate: GatewayEvent<Events.InteractionCreate> = {
  name: Events.InteractionCreate,
  execute: (bot, interaction) =>
    guard(bot, interaction, async () => {
      if (interaction.isChatInputCommand()) await handleCommand(interaction, bot.gate, bot.commands);
      else if (interaction.isButton()) await handleButton(interaction, bot.services);
    }),
};

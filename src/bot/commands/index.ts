import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import { askerOfInteraction, type Gate } from '../gate.js';
import { askCommand } from './ask.js';
import { briefCommand } from './brief.js';
import { NO_MENTIONS, type Command, type CommandContext } from './command.js';
import { ingestCommand } from './ingest.js';
import { latestCommand } from './latest.js';
import { reingestCommand } from './reingest.js';
import { searchCommand } from './search.js';
import { statusCommand } from './status.js';
import { feedsCommand } from './feeds.js';
import { sourcesCommand } from './sources.js';
import { watchCommand } from './watch.js';

/** Every slash command, by name. */
export const commands: ReadonlyMap<string, Command> = new Map(
  [askCommand, searchCommand, latestCommand, statusCommand, ingestCommand, reingestCommand, sourcesCommand, feedsCommand, briefCommand, watchCommand].map((c) => [c.data.name, c]),
);

/** Registration bodies for PUT /applications/{app}/commands. */
export function commandDefinitions() {
  return [...commands.values()].map((c) => c.data);
}

/**
 * Runs a slash command: a mistake in its input, then the gate, are private replies at once; else it is acknowledged at once
 * (Discord allows 3 seconds) and executed, in the answer queue when the command is queued.
 */
export async function handleCommand(interaction: ChatInputCommandInteraction, gate: Gate, context: CommandContext): Promise<void> {
  const command = commands.get(interaction.commandName);
  if (!command) {
    await interaction.reply({ content: 'I do not know that command (yet).', flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    return;
  }
  const mistake = command.inputMistake?.(interaction) ?? null;
  if (mistake) {
    context.services.logger.info(`/${command.data.name} refused: ${mistake}`, { user: interaction.user.id });
    await interaction.reply({ content: mistake, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    return;
  }
  const decision = gate.check({ name: `/${command.data.name}`, asker: askerOfInteraction(interaction), preconditions: command.preconditions, queued: command.queued });
  if (!decision.ok) {
    await interaction.reply({ content: decision.refusal.message, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    return;
  }
  // Acknowledge at once and take the queue slot in the same tick, so concurrent interactions
  // cannot all slip past the full-queue check.
  const deferred = interaction.deferReply(command.ephemeral(interaction) ? { flags: MessageFlags.Ephemeral } : {});
  deferred.catch(() => {}); // awaited below; this only keeps a failure from counting as unhandled meanwhile
  await decision.run(async () => {
    await deferred;
    await command.execute(interaction, context);
  });
}

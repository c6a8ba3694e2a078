import { InteractionContextType, MessageFlags, PermissionFlagsBits, type ChatInputCommandInteraction, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Precondition } from '../gate.js';
import type { BotServices, BotSettings } from '../services.js';

/** What a command handler can use. */
export interface CommandContext {
  services: BotServices;
  settings: BotSettings;
  /** Answers a question into the interaction's deferred reply (streamed, split, with buttons). */
  answerInteraction(interaction: ChatInputCommandInteraction, question: string, ephemeral: boolean): Promise<void>;
}

/** A slash command: its registration data and a thin handler. */
export interface Command {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Checked by the bot's gate before the command runs, whatever Discord's default permissions say. */
  preconditions: readonly Precondition[];
  /** Goes through the per-user rate limit and the answer queue. */
  queued: boolean;
  /** Whether the reply is visible only to the caller. */
  ephemeral(interaction: ChatInputCommandInteraction): boolean;
  /**
   * A mistake in the command's input the bot can tell at once ("The question is empty."): answered
   * privately before anything else, so no public "thinking…" appears; null when the input is fine.
   */
  inputMistake?(interaction: ChatInputCommandInteraction): string | null;
  execute(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void>;
}

/**
 * A moderators' command's registration: Discord offers it only to members who can manage the
 * server, and only in servers (a DM has no moderators). The bot's gate checks again (moderatorOnly).
 */
export function moderatorCommandData(data: RESTPostAPIChatInputApplicationCommandsJSONBody): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return { ...data, default_member_permissions: String(PermissionFlagsBits.ManageGuild), contexts: [InteractionContextType.Guild], dm_permission: false };
}

/** Message options that can never ping anyone. */
export const NO_MENTIONS = { parse: [] as never[], repliedUser: false } as const;

/** Sends a deferred reply in parts: the first edits the reply, the others follow it (private when `ephemeral`). */
export async function sendParts(interaction: ChatInputCommandInteraction, parts: string[], ephemeral: boolean): Promise<void> {
  const [first, ...rest] = parts;
  await interaction.editReply({ content: first ?? '…', allowedMentions: NO_MENTIONS });
  for (const content of rest) await interaction.followUp({ content, allowedMentions: NO_MENTIONS, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
}

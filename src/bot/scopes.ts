import { GLOBAL_SCOPE, type Scope } from '../store/ports.js';
import type { BotSettings } from './services.js';

/** True for a server whose moderators act for the operator (OWNER_GUILD_IDS). */
export function isOwnerGuild(guildId: string | null, settings: Pick<BotSettings, 'ownerGuildIds'>): boolean {
  return guildId !== null && (settings.ownerGuildIds ?? []).includes(guildId);
}

/** Where a moderator's additions in a server go: the global scope in an owner server, else the server's own. */
export function addScope(guildId: string, settings: Pick<BotSettings, 'ownerGuildIds'>): Scope {
  return isOwnerGuild(guildId, settings) ? GLOBAL_SCOPE : guildId;
}

/** The scopes a server's moderators manage: their own, and global too in an owner server. */
export function managedScopes(guildId: string, settings: Pick<BotSettings, 'ownerGuildIds'>): Scope[] {
  return isOwnerGuild(guildId, settings) ? [guildId, GLOBAL_SCOPE] : [guildId];
}

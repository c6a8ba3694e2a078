import { askCommand } from './ask.js';
import type { Command } from './command.js';
import { ingestCommand } from './ingest.js';
import { latestCommand } from './latest.js';
import { reingestCommand } from './reingest.js';
import { searchCommand } from './search.js';
import { statusCommand } from './status.js';

/** Every slash command, by name. */
export const commands: ReadonlyMap<string, Command> = new Map(
  [askCommand, searchCommand, latestCommand, statusCommand, ingestCommand, reingestCommand].map((c) => [c.data.name, c]),
);

/** Registration bodies for PUT /applications/{app}/commands. */
export function commandDefinitions() {
  return [...commands.values()].map((c) => c.data);
}

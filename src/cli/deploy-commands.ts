import { REST, Routes, type APIApplication } from 'discord.js';
import { commandDefinitions } from '../bot/commands/index.js';
import { boot, runMain } from './common.js';

runMain(async () => {
  const { config, logger } = await boot();
  const token = config.discord.token;
  if (!token) {
    console.error('DISCORD_TOKEN is not set: it is needed to register slash commands.');
    process.exitCode = 2;
    return;
  }
  const rest = new REST({ api: config.discord.apiUrl }).setToken(token);
  const application = (await rest.get(Routes.currentApplication())) as APIApplication;
  const body = commandDefinitions();
  const guildId = config.discord.guildId;
  await rest.put(guildId ? Routes.applicationGuildCommands(application.id, guildId) : Routes.applicationCommands(application.id), { body });
  logger.info(`registered ${body.length} slash commands ${guildId ? `in guild ${guildId} (available at once)` : 'globally (may take up to an hour to appear)'}`);
  console.log(body.map((c) => `/${c.name}`).join(' '));
});

import { configDefaults, defineConfig } from 'vitest/config';

/**
 * CPU-heavy files run after all the others (a later group), so their load never overlaps the
 * timing-sensitive tests (acknowledgement deadlines, heartbeats, timeouts).
 */
const HEAVY = ['tests/reliability/ingest-responsiveness.test.ts'];

export default defineConfig({
  test: {
    // Every test fails when the bot broke a Discord rule the fake Discord recorded.
    setupFiles: ['tests/helpers/setup-rule-checks.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['tests/**/*.test.ts'], exclude: [...configDefaults.exclude, ...HEAVY] } },
      { extends: true, test: { name: 'heavy', include: HEAVY, sequence: { groupOrder: 1 } } },
    ],
  },
});

import { afterAll, afterEach } from 'vitest';
import { assertNoRuleBreaks } from './rule-breaks.js';

// Every test file (vitest.config.ts setupFiles): a test during which the bot broke a Discord rule
// fails, and so does the file when a break lands after its last test (e.g. while stopping).
afterEach(() => assertNoRuleBreaks());
afterAll(() => assertNoRuleBreaks());

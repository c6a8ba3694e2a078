/**
 * The rule breaks the fake Discord records, and the check every test file runs after each test
 * (tests/helpers/setup-rule-checks.ts, wired in vitest.config.ts). Kept apart from the fake so the
 * check costs unit-test files no discord.js import.
 */

/** One call the bot made that Discord would refuse (protocol) or that breaks the bot's own rules (policy). */
export interface RuleBreak {
  /** protocol: the fake answered with Discord's error status and code; policy: accepted, but the bot must not do it. */
  kind: 'protocol' | 'policy';
  /** Short stable name of the rule, e.g. `ack-deadline`, `content-length`, `allowed-mentions`. */
  rule: string;
  method: string;
  path: string;
  /** HTTP status and Discord JSON code of the error answered (protocol breaks only). */
  status?: number;
  code?: number;
  detail: string;
  at: number;
}

/** Something that collects rule breaks (a FakeDiscord). */
export interface RuleBreakSource {
  /** Returns the breaks recorded since the last call and forgets them. */
  takeRuleBreaks(): RuleBreak[];
}

const sources = new Set<RuleBreakSource>();

/** Registers a source for the after-each check of the running test file. */
export function watchRuleBreaks(source: RuleBreakSource): void {
  sources.add(source);
}

/** One line per break, for an assertion message. */
export function describeRuleBreaks(breaks: RuleBreak[]): string {
  return breaks
    .map((b) => `- ${b.kind} ${b.rule}: ${b.method} ${b.path}${b.status ? ` -> ${b.status}${b.code !== undefined ? ` (code ${b.code})` : ''}` : ''}: ${b.detail}`)
    .join('\n');
}

/** Throws, listing them, when any watched source recorded a rule break since the last check. */
export function assertNoRuleBreaks(breaks: RuleBreak[] = [...sources].flatMap((s) => s.takeRuleBreaks())): void {
  if (breaks.length === 0) return;
  throw new Error(`the bot broke ${breaks.length} Discord rule(s):\n${describeRuleBreaks(breaks)}`);
}

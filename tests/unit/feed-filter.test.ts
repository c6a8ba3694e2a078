import { describe, expect, it } from 'vitest';
import { parseFeedFilter } from '../../src/app/feed-filter.js';
import { InvalidFilterError } from '../../src/core/errors.js';

describe('parseFeedFilter', () => {
  it('matches any of its words or "phrases" as whole words, case ignored, in the title or the lede', () => {
    const f = parseFeedFilter('tunnel "night market"');
    expect(f('Harbour Tunnel approved', '')).toBe(true);
    expect(f('Quay news', 'The NIGHT  market returns on Friday.')).toBe(true);
    expect(f('Tunnels of the old town', 'A market by night.')).toBe(false);
    // Only the start of a long text is read.
    expect(f('Quay news', `${'word '.repeat(400)} tunnel`)).toBe(false);
  });

  it('takes a /regular expression/ (case-insensitive unless flags are given)', () => {
    expect(parseFeedFilter('/tunnel|bridge/')('New BRIDGE opens', '')).toBe(true);
    expect(parseFeedFilter('/Bridge/u')('new bridge opens', '')).toBe(false);
    expect(parseFeedFilter('/^Breaking:/')('breaking: storm', '')).toBe(true);
  });

  it('refuses an empty or too long filter, an invalid expression, and one that could backtrack exponentially', () => {
    for (const bad of ['', '  ', 'x'.repeat(201), '/(unclosed/', '/(a+)+$/', '/(\\w*)*x/', '/(a|b+){2,}/']) {
      expect(() => parseFeedFilter(bad), bad).toThrow(InvalidFilterError);
    }
  });
});

describe('a regular expression that backtracks for ever', () => {
  it('is stopped after its time limit and matches nothing more in that check (one time limit per feed and check, not one per item); the next check matches as usual', () => {
    const f = parseFeedFilter('/(a|a)*b/');
    expect(f('ab', '')).toBe(true);
    expect(f('a'.repeat(40), '')).toBe(false);
    expect(f('ab', '')).toBe(false);
    expect(parseFeedFilter('/(a|a)*b/')('ab', '')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { NewsBotError, ErrorCodes } from '../../src/core/errors.js';
import { isConnectionLoss, withReconnect } from '../../src/store/postgres/pg-retry.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('pg-retry', () => {
  it('tells a lost or refused connection (also wrapped as a store error) from a wrong query', () => {
    expect(isConnectionLoss(refused())).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isConnectionLoss(new NewsBotError(ErrorCodes.StoreIo, 'could not write to the database', { cause: refused() }))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))).toBe(false);
    expect(isConnectionLoss(Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }))).toBe(false);
  });

  it('retries a lost connection with doubling waits until it works, logging each retry', async () => {
    const logs: string[] = [];
    const waits: number[] = [];
    let calls = 0;
    const out = await withReconnect(
      async () => {
        if (++calls < 4) throw refused();
        return 'written';
      },
      { deadlineMs: 60_000, what: 'a write', logger: createLogger('info', (l) => logs.push(l)), sleep: async (ms) => void waits.push(ms) },
    );
    expect(out).toBe('written');
    expect(waits).toEqual([250, 500, 1_000]);
    expect(logs.filter((l) => l.startsWith('warn  database unreachable'))).toHaveLength(3);
    expect(logs.at(-1)).toBe('info  database reachable again: a write went through after 3 retries');
  });

  it('never repeats a wrong query, nor a write whose COMMIT was sent, and gives up at the deadline with the last error', async () => {
    const logger = createLogger('silent');
    let calls = 0;
    const wrong = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(withReconnect(async () => { calls++; throw wrong; }, { deadlineMs: 60_000, what: 'a read', logger })).rejects.toBe(wrong);
    expect(calls).toBe(1);
    calls = 0;
    await expect(withReconnect(async (unsafe) => { calls++; unsafe(); throw refused(); }, { deadlineMs: 60_000, what: 'a write', logger, sleep: async () => {} })).rejects.toThrow(/ECONNREFUSED/);
    expect(calls).toBe(1);
    calls = 0;
    const started = Date.now();
    await expect(withReconnect(async () => { calls++; throw refused(); }, { deadlineMs: 300, what: 'a read', logger })).rejects.toThrow(/ECONNREFUSED/);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

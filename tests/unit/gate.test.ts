import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { BUSY, Gate, RESTARTING, moderatorOnly, questionGiven, type Asker, type GateRequest, type GateSettings } from '../../src/bot/gate.js';

const MOD_ROLE = '444444444444444444';
const BOT = '111111111111111111';

function asker(userId: string, roles: string[] = [], manageGuild = false): Asker {
  return { userId, isModerator: (moderatorRoleIds) => manageGuild || roles.some((r) => moderatorRoleIds.includes(r)) };
}

/** A slash command request, as src/bot/commands/index.ts builds it. */
function command(name: string, who: Asker, options: { moderator?: boolean; queued?: boolean } = {}): GateRequest {
  return { name: `/${name}`, asker: who, preconditions: options.moderator ? [moderatorOnly] : [], queued: options.queued ?? true };
}

/** A mention request, as src/bot/mentions.ts builds it. */
function mention(question: string, who: Asker): GateRequest {
  return { name: 'mention', asker: who, preconditions: [questionGiven], queued: true, mention: { question, botUserId: BOT } };
}

function makeGate(settings: Partial<GateSettings> = {}) {
  let now = 1_000_000;
  const logs: string[] = [];
  const gate = new Gate(
    { moderatorRoleIds: [MOD_ROLE], rateLimitPerMinute: 3, maxConcurrent: 1, maxQueued: 1, ...settings },
    createLogger('debug', (line) => logs.push(line)),
    () => now,
  );
  return { gate, logs, advance: (ms: number) => (now += ms) };
}

const refusal = (decision: ReturnType<Gate['check']>) => (decision.ok ? null : decision.refusal);

/** Holds one queue slot until `release` is called. */
function hold(gate: Gate, request: GateRequest): { release: () => void; done: Promise<void> } {
  const decision = gate.check(request);
  if (!decision.ok) throw new Error(`expected ${request.name} to pass, got ${decision.refusal.reason}`);
  let release!: () => void;
  const done = decision.run(() => new Promise<void>((resolve) => (release = resolve)));
  return { release: () => release(), done };
}

describe('Gate: one path for slash commands and mentions', () => {
  it('lets a question through by either path and runs its work', async () => {
    const { gate } = makeGate();
    for (const request of [command('ask', asker('1')), mention('what did Starmer ask for?', asker('2'))]) {
      const decision = gate.check(request);
      expect(decision.ok).toBe(true);
      if (decision.ok) expect(await decision.run(async () => 'answered')).toBe('answered');
    }
  });

  it('refuses both paths with the same "restarting" notice once closed, before any other check', async () => {
    const { gate } = makeGate();
    await gate.close(100);
    const plain = asker('3');
    for (const request of [command('ask', plain), mention('what happened?', plain), command('ingest', plain, { moderator: true, queued: false }), mention('', plain)]) {
      expect(refusal(gate.check(request))).toEqual({ reason: 'stopping', message: RESTARTING });
    }
  });

  it('the moderator precondition refuses a command and a mention that carry it, and lets moderators through', () => {
    const { gate, logs } = makeGate();
    const member = asker('4');
    expect(refusal(gate.check(command('ingest', member, { moderator: true, queued: false })))).toEqual({
      reason: 'precondition',
      precondition: 'moderator-only',
      message: 'Only moderators can use /ingest.',
    });
    expect(refusal(gate.check({ ...mention('reingest everything', member), preconditions: [questionGiven, moderatorOnly] }))).toMatchObject({
      reason: 'precondition',
      precondition: 'moderator-only',
    });
    expect(logs.filter((l) => l.startsWith('warn  moderator command refused'))).toHaveLength(2);
    expect(gate.check(command('ingest', asker('5', [MOD_ROLE]), { moderator: true, queued: false })).ok).toBe(true);
    expect(gate.check(command('ingest', asker('6', [], true), { moderator: true, queued: false })).ok).toBe(true);
    expect(gate.check({ ...mention('reingest everything', asker('5', [MOD_ROLE])), preconditions: [questionGiven, moderatorOnly] }).ok).toBe(true);
  });

  it('a mention without a question gets the usage hint, and costs no question of the rate limit', () => {
    const { gate } = makeGate({ rateLimitPerMinute: 1 });
    const who = asker('7');
    for (let i = 0; i < 3; i++) {
      expect(refusal(gate.check(mention('', who)))).toEqual({
        reason: 'precondition',
        precondition: 'question-given',
        message: `Ask me about the news, e.g. <@${BOT}> what happened in Ukraine this week?`,
      });
    }
    expect(gate.check(mention('a real question', who)).ok).toBe(true);
  });

  it('one rate limit per user across commands and mentions; other users and unqueued commands are not held back', () => {
    const { gate, logs, advance } = makeGate({ rateLimitPerMinute: 3, maxQueued: 10 });
    const eager = asker('8');
    expect(gate.check(command('ask', eager)).ok).toBe(true);
    expect(gate.check(mention('second', eager)).ok).toBe(true);
    expect(gate.check(command('search', eager)).ok).toBe(true);
    const byMention = refusal(gate.check(mention('fourth', eager)));
    const byCommand = refusal(gate.check(command('latest', eager)));
    for (const r of [byMention, byCommand]) {
      expect(r).toMatchObject({ reason: 'rate-limited', message: expect.stringMatching(/^You're asking faster than I can read\. Please try again in \d+ s\.$/) });
    }
    expect(byMention!.reason === 'rate-limited' && byMention!.waitMs).toBeGreaterThan(59_000);
    expect(logs.filter((l) => /^info {2}rate limited request="(mention|\/latest)" user="8" waitMs=\d+$/.test(l))).toHaveLength(2);
    expect(gate.check(command('status', eager, { queued: false })).ok).toBe(true);
    expect(gate.check(mention('someone else', asker('9'))).ok).toBe(true);
    advance(60_000);
    expect(gate.check(mention('a minute later', eager)).ok).toBe(true);
  });

  it('a full answer queue refuses both paths with the same "busy" notice; unqueued commands still run', async () => {
    const { gate, logs } = makeGate({ maxConcurrent: 1, maxQueued: 1, rateLimitPerMinute: 100 });
    const running = hold(gate, command('ask', asker('10')));
    const waiting = hold(gate, mention('queued behind it', asker('11')));
    expect(refusal(gate.check(command('ask', asker('12'))))).toEqual({ reason: 'busy', message: BUSY });
    expect(refusal(gate.check(mention('and me?', asker('13'))))).toEqual({ reason: 'busy', message: BUSY });
    expect(logs.some((l) => l.startsWith('warn  answer queue full; /ask refused'))).toBe(true);
    expect(logs.some((l) => l.startsWith('warn  answer queue full; mention refused'))).toBe(true);
    expect(gate.check(command('status', asker('12'), { queued: false })).ok).toBe(true);
    running.release();
    await running.done;
    await new Promise((resolve) => setImmediate(resolve));
    waiting.release();
    await waiting.done;
    expect(gate.check(mention('room again', asker('13'))).ok).toBe(true);
  });

  it('close waits for queued work to finish', async () => {
    const { gate } = makeGate();
    const job = hold(gate, command('ask', asker('14')));
    let closed = false;
    const closing = gate.close(5_000).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(closed).toBe(false);
    job.release();
    await closing;
    expect(closed).toBe(true);
  });
});

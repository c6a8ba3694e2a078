import { describe, expect, it } from 'vitest';
import { briefDue } from '../../src/app/deliveries.js';
import { isTimeZone, localTime } from '../../src/core/clock.js';
import type { BriefSchedule } from '../../src/store/ports.js';

const schedule = (over: Partial<BriefSchedule>): BriefSchedule => ({ guildId: '1', channelId: '2', time: '08:00', timeZone: 'UTC', topics: null, lastBriefAt: null, lastBriefDay: null, lastError: null, ...over });

describe('local time and due briefs', () => {
  it('tells the day and time of an instant in a time zone, summer time included', () => {
    expect(localTime(Date.parse('2026-12-08T07:30:00Z'), 'UTC')).toEqual({ day: '2026-12-08', time: '07:30' });
    expect(localTime(Date.parse('2026-12-08T07:30:00Z'), 'Europe/Paris')).toEqual({ day: '2026-12-08', time: '08:30' });
    expect(localTime(Date.parse('2026-07-08T07:30:00Z'), 'Europe/Paris')).toEqual({ day: '2026-07-08', time: '09:30' });
    expect(localTime(Date.parse('2026-12-08T03:00:00Z'), 'America/New_York')).toEqual({ day: '2026-12-07', time: '22:00' });
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('a brief is due from its local time on, once a local day', () => {
    const paris = schedule({ timeZone: 'Europe/Paris' });
    expect(briefDue(paris, Date.parse('2026-12-08T06:59:00Z'))).toBeNull();
    expect(briefDue(paris, Date.parse('2026-12-08T07:00:00Z'))).toBe('2026-12-08');
    expect(briefDue({ ...paris, lastBriefDay: '2026-12-08' }, Date.parse('2026-12-08T20:00:00Z'))).toBeNull();
    expect(briefDue({ ...paris, lastBriefDay: '2026-12-08' }, Date.parse('2026-12-09T07:00:00Z'))).toBe('2026-12-09');
  });
});

import { describe, expect, it } from 'vitest';
import { FUTURE_FACTOR, parseTimeWindow, RECENCY_BOOST, RECENCY_DAYS, timeFactor, WINDOW_BOOST } from '../../src/retrieval/time.js';

const asOf = new Date('2024-05-15T12:00:00Z'); // a Wednesday

describe('parseTimeWindow', () => {
  it.each([
    ['What happened today?', '2024-05-14', '2024-05-15'],
    ['Who resigned yesterday?', '2024-05-13', '2024-05-14'],
    ['Which team won this week?', '2024-05-08', '2024-05-15'],
    ['What did the court rule last week?', '2024-05-01', '2024-05-10'],
    ['What was announced in March?', '2024-03-01', '2024-03-31'],
    ['What was announced in December?', '2023-12-01', '2023-12-31'],
    ['What happened in March 2022?', '2022-03-01', '2022-03-31'],
    ['What did he say on Monday?', '2024-05-12', '2024-05-14'],
    ['What happened last month?', '2024-04-01', '2024-04-30'],
    ['What did she say three days ago?', '2024-05-11', '2024-05-13'],
  ])('%s', (question, from, to) => {
    expect(parseTimeWindow(question, asOf)).toMatchObject({ from, to });
  });

  it('names the phrase that set the window, and returns null when no time is named', () => {
    expect(parseTimeWindow('Which team won this week?', asOf)?.phrase).toBe('this week');
    expect(parseTimeWindow('What did Starmer ask Trump for?', asOf)).toBeNull();
  });
});

describe('timeFactor', () => {
  const march = { from: '2024-03-01', to: '2024-03-31', phrase: 'in march' };

  it('weighs an article by its age: 1 + RECENCY_BOOST at "now", decaying over RECENCY_DAYS, never below 1', () => {
    const ageOf = (date: string) => (asOf.getTime() - Date.parse(`${date}T00:00:00Z`)) / 86_400_000;
    expect(timeFactor('2024-05-15', asOf, null)).toBeCloseTo(1 + RECENCY_BOOST * Math.exp(-ageOf('2024-05-15') / RECENCY_DAYS), 12);
    expect(timeFactor('2024-05-14', asOf, null)).toBeGreaterThan(1.8);
    expect(timeFactor('2024-05-08', asOf, null)).toBeCloseTo(1 + RECENCY_BOOST * Math.exp(-ageOf('2024-05-08') / RECENCY_DAYS), 12);
    expect(timeFactor('2024-04-01', asOf, null)).toBeLessThan(1.01);
    expect(timeFactor('2020-01-01', asOf, null)).toBeGreaterThanOrEqual(1);
  });

  it('weighs an article dated after "now" down (past a day of grace), never to zero', () => {
    expect(timeFactor('2024-06-01', asOf, null)).toBe(FUTURE_FACTOR);
    expect(FUTURE_FACTOR).toBeGreaterThan(0);
    // The next day is within the grace (time zones, late editions): the full recency weight.
    expect(timeFactor('2024-05-16', asOf, null)).toBe(1 + RECENCY_BOOST);
  });

  it('adds WINDOW_BOOST inside the window the question names, on top of the recency prior', () => {
    expect(timeFactor('2024-03-10', asOf, march)).toBeCloseTo(timeFactor('2024-03-10', asOf, null) * (1 + WINDOW_BOOST), 12);
    expect(timeFactor('2024-03-31', asOf, march)).toBeGreaterThan(timeFactor('2024-03-31', asOf, null));
    expect(timeFactor('2024-04-10', asOf, march)).toBe(timeFactor('2024-04-10', asOf, null));
  });

  it('leaves undated and unparsable dates neutral', () => {
    expect(timeFactor(null, asOf, march)).toBe(1);
    expect(timeFactor('someday', asOf, march)).toBe(1);
  });
});

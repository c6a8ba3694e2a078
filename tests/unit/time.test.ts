import { describe, expect, it } from 'vitest';
import { ANCHOR_SHARE, FUTURE_FACTOR, parseTimeWindow, RECENCY_BOOST, RECENCY_DAYS, recencyAnchor, timeFactor, WINDOW_BOOST } from '../../src/retrieval/time.js';

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

describe('recencyAnchor and a year-old story', () => {
  const later = new Date('2025-05-15T12:00:00Z'); // a year after asOf
  const dates = new Map<number, string>([[1, '2024-05-01'], [2, '2024-04-10'], [3, '2024-05-10'], [4, '2025-06-01']]);
  const dateOf = (id: number) => dates.get(id);

  it('is the end of the newest strong candidate\'s day, never later than now', () => {
    // 3 scores under ANCHOR_SHARE of the best: it cannot set the anchor.
    const lexical = [{ id: 1, score: 10 }, { id: 2, score: 9 }, { id: 3, score: 10 * ANCHOR_SHARE - 0.1 }];
    expect(recencyAnchor(lexical, [], dateOf, later, null).toISOString()).toBe('2024-05-01T23:59:59.000Z');
    // The first vector hits count too.
    expect(recencyAnchor(lexical, [{ id: 3, score: 0.9 }], dateOf, later, null).toISOString()).toBe('2024-05-10T23:59:59.000Z');
    // An article dated after now (or after the news it is given) cannot set it.
    expect(recencyAnchor([{ id: 4, score: 10 }, ...lexical], [], dateOf, later, null).toISOString()).toBe('2024-05-01T23:59:59.000Z');
    expect(recencyAnchor(lexical, [{ id: 3, score: 0.9 }], dateOf, later, null, new Date('2024-05-05T23:59:59Z')).toISOString()).toBe('2024-05-01T23:59:59.000Z');
  });

  it('keeps now for a question that names a time, or with no dated strong candidate', () => {
    const window = parseTimeWindow('What happened last month?', later);
    expect(recencyAnchor([{ id: 1, score: 10 }], [], dateOf, later, window)).toBe(later);
    expect(recencyAnchor([{ id: 99, score: 10 }], [], dateOf, later, null)).toBe(later);
  });

  it('prefers the newer of two year-old stories as much as on the day', () => {
    const anchor = recencyAnchor([{ id: 1, score: 10 }, { id: 2, score: 9 }], [], dateOf, later, null);
    const onTheDay = new Date('2024-05-01T23:59:59Z');
    const ratio = (now: Date, a: Date) => timeFactor('2024-05-01', now, null, a) / timeFactor('2024-04-10', now, null, a);
    expect(ratio(later, anchor)).toBeCloseTo(ratio(onTheDay, onTheDay), 12);
    expect(ratio(later, anchor)).toBeGreaterThan(1.5);
    // Counted from now, the two are all but equal a year later.
    expect(ratio(later, later)).toBeLessThan(1.001);
  });

  it('weighs articles after the news it is given as not yet published', () => {
    const newsUntil = new Date('2024-05-15T23:59:59Z');
    expect(timeFactor('2024-06-01', later, null, later, newsUntil)).toBe(FUTURE_FACTOR);
    expect(timeFactor('2024-06-01', later, null)).not.toBe(FUTURE_FACTOR);
  });
});

import { describe, expect, it } from 'vitest';
import { ftsQuery, parseTimeWindow, queryTerms } from '../../src/retrieval/query.js';

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
  ])('%s', (question, from, to) => {
    expect(parseTimeWindow(question, asOf)).toMatchObject({ from, to });
  });

  it('returns null when no time is named', () => {
    expect(parseTimeWindow('What did Starmer ask Trump for?', asOf)).toBeNull();
  });
});

describe('queryTerms and ftsQuery', () => {
  it('keeps content words once and quotes them', () => {
    const terms = queryTerms('What did Starmer ask Trump for? Starmer "AND" NEAR(x)');
    expect(terms).toEqual(['starmer', 'ask', 'trump', 'near']);
    expect(ftsQuery(terms)).toBe('"starmer" OR "ask" OR "trump" OR "near"');
  });
});

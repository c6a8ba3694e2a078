import { describe, expect, it } from 'vitest';
import { answerTypeOf, hasAnswerCandidate } from '../../src/retrieval/answer-type.js';

describe('answer types', () => {
  it('classifies answer types and spots candidates not already in the question', () => {
    expect(answerTypeOf('Which country launched a moon mission?')).toBe('country');
    expect(answerTypeOf('How many people were evacuated?')).toBe('number');
    expect(answerTypeOf('Who won the Iowa caucuses?')).toBe('person');
    expect(answerTypeOf('Which US state sued the administration?')).toBe('us_state');
    expect(answerTypeOf('Which automaker recalled cars?')).toBe('name');
    expect(answerTypeOf('Tell me about storms')).toBeNull();
    expect(answerTypeOf('Where did the ceremony take place?')).toBe('place');
    expect(answerTypeOf('When will the next eclipse occur?')).toBe('date');
    expect(answerTypeOf('Whose arrival caused traffic jams around Paris?')).toBe('person');
    expect(answerTypeOf('The robocall faked the voice of who?')).toBe('person');
    expect(hasAnswerCandidate('The flame was lit in Olympia on Tuesday.', 'place', new Set(['where', 'flame']))).toBe(true);
    expect(hasAnswerCandidate('the flame was lit at dawn.', 'place', new Set(['where', 'flame']))).toBe(false);
    expect(hasAnswerCandidate('It will be visible again in August 2044.', 'date', new Set(['when']))).toBe(true);
    expect(hasAnswerCandidate('It will be visible again soon.', 'date', new Set(['when']))).toBe(false);
    const q = new Set(['which', 'country', 'japan']);
    expect(hasAnswerCandidate('Japan and India both landed.', 'country', q)).toBe(true);
    expect(hasAnswerCandidate('Japan landed again.', 'country', q)).toBe(false);
    expect(hasAnswerCandidate('It cost 35 dollars.', 'number', new Set())).toBe(true);
    expect(hasAnswerCandidate('The race was won by Luke Humphries on Monday.', 'person', new Set(['who']))).toBe(true);
  });
});

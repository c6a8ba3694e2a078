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

  it('reads a person precisely when asked: a name, not a place or a body, and not the one the question names', () => {
    const who = new Set(['who', 'did', 'the', 'libertarian', 'party', 'choose', 'as', 'its', 'nominee']);
    const precise = { precise: true };
    const peach = 'The Libertarian Party chose its nominee for president and he is from the Peach State.';
    // The loose test (retrieval's) takes any two capitalized words; the precise one does not.
    expect(hasAnswerCandidate(peach, 'person', who)).toBe(true);
    expect(hasAnswerCandidate(peach, 'person', who, precise)).toBe(false);
    expect(hasAnswerCandidate('Chase Oliver, a former Democrat from Georgia, was selected.', 'person', who, precise)).toBe(true);
    expect(hasAnswerCandidate('Officials met at the Security Council on Monday.', 'person', who, precise)).toBe(false);
    expect(hasAnswerCandidate('Prince William returned to royal duties on Wednesday.', 'person', who, precise)).toBe(true);
    expect(hasAnswerCandidate('On Sunday President Joe Biden spoke to graduates.', 'person', who, precise)).toBe(true);
    // A name the question already holds is not an answer; a new surname with a shared first name is.
    const darts = new Set(['who', 'beat', 'luke', 'littler']);
    expect(hasAnswerCandidate('Fans cheered for Luke Littler all night.', 'person', darts, precise)).toBe(false);
    expect(hasAnswerCandidate('The final was won by Luke Humphries.', 'person', darts, precise)).toBe(true);
  });
});

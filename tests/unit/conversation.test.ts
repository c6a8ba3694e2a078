import { describe, expect, it } from 'vitest';
import { conversationTurn, planFollowUp, rewriteMessages, type ConversationTurn } from '../../src/answer/conversation.js';

const STARMER = { articleId: 'seed', title: 'Starmer pushes Trump for Ukraine guarantees against Putin' };
const BIDEN = { articleId: 'biden', title: 'Biden sends a careful but chilling new nuclear message to Putin' };
const turn = (question: string, sources = [STARMER]): ConversationTurn => ({ question, answer: 'An answer [1].', sources });

describe('planFollowUp', () => {
  const first = turn('What did Starmer ask Trump for?');

  it('leaves a first question alone', () => {
    const plan = planFollowUp('What did Starmer ask Trump for?', []);
    expect(plan).toEqual({ question: 'What did Starmer ask Trump for?', query: 'What did Starmer ask Trump for?', context: new Map(), preferArticles: new Map(), topic: [] });
  });

  it('searches a follow-up with the earlier questions\' words and a prior for the cited articles', () => {
    const plan = planFollowUp('why does he want that?', [first]);
    expect(plan.question).toBe('why does he want that?');
    expect(plan.query).toBe('why does he want that? starmer ask trump');
    expect(plan.context).toEqual(new Map([['starmer', 0.6], ['ask', 0.6], ['trump', 0.6]]));
    expect(plan.preferArticles).toEqual(new Map([['seed', 4]]));
    expect(plan.topic).toEqual([first]);
  });

  it('weighs older questions\' words and citations less, turn by turn', () => {
    const history = [first, turn('why does he want that?'), turn('and what did he say about Putin?', [STARMER, BIDEN])];
    const plan = planFollowUp('what did Macron do?', history);
    expect(plan.context.get('putin')).toBeCloseTo(0.6);
    expect(plan.context.get('want')).toBeCloseTo(0.3);
    expect(plan.context.get('starmer')).toBeCloseTo(0.15);
    // Most recent words first in the query; the question's own words come first of all.
    expect(plan.query).toBe('what did Macron do? putin want starmer ask trump');
    // Cited by every answer: the strongest prior; cited once, by the last answer: a full one too.
    expect(plan.preferArticles.get('seed')).toBe(4);
    expect(plan.preferArticles.get('biden')).toBe(4);
    const older = planFollowUp('and then?', [...history, turn('what did Macron do?')]);
    expect(older.preferArticles.get('biden')).toBe(2.5);
    // Words four questions back are left out.
    expect(older.context.has('starmer')).toBe(false);
    expect(older.context.get('macron')).toBeCloseTo(0.6);
  });

  it('keeps a self-contained question on the same topic with its context', () => {
    const plan = planFollowUp('What did Starmer say about Ukraine peacekeepers?', [first]);
    expect(plan.topic).toHaveLength(1);
    expect(plan.preferArticles.get('seed')).toBe(4);
    expect(plan.query).toBe('What did Starmer say about Ukraine peacekeepers? ask trump');
  });

  it('drops the topic for a question on a new subject', () => {
    const history = [first, turn('why does he want that?')];
    for (const question of ['Who won the Champions League final?', 'Which club won the Champions League final this week?']) {
      const plan = planFollowUp(question, history);
      expect(plan).toEqual({ question, query: question, context: new Map(), preferArticles: new Map(), topic: [] });
    }
    // After the change of subject, a follow-up follows the new topic only.
    const football = turn('Who won the Champions League final?', [{ articleId: 'cl', title: 'Champions League final chaos in Paris' }]);
    const plan = planFollowUp('and who scored?', [...history, football]);
    expect(plan.topic).toEqual([football]);
    expect([...plan.preferArticles.keys()]).toEqual(['cl']);
    expect(plan.query).toBe('and who scored? won champions league final');
  });

  it('uses a model\'s standalone rewrite in place of the follow-up', () => {
    const plan = planFollowUp('and what did he say about Putin?', [first], 'What did Keir Starmer say about Vladimir Putin?');
    expect(plan.question).toBe('What did Keir Starmer say about Vladimir Putin?');
    expect(plan.query).toBe('What did Keir Starmer say about Vladimir Putin? ask trump');
    expect(plan.preferArticles.get('seed')).toBe(4);
    // A rewrite on a new subject drops the topic like the question itself would.
    const away = planFollowUp('Who won the Champions League final?', [first], 'Who won the Champions League final?');
    expect(away.topic).toEqual([]);
  });

  it('keeps the query within eight words', () => {
    const plan = planFollowUp('and what about it?', [turn('Starmer Trump Ukraine backstop ceasefire Putin Macron Zelensky Washington Paris')]);
    expect(plan.query.split(' ').length - 'and what about it?'.split(' ').length).toBe(8);
  });
});

describe('conversation turns', () => {
  it('keeps the answer text and the cited articles', () => {
    const answer = { text: 'A backstop [1].', mode: 'extractive' as const, notes: [], citations: [{ n: 1, articleId: 'seed', title: STARMER.title, date: null, url: null, source: 'corpus', passage: 'p' }] };
    expect(conversationTurn('Q?', answer)).toEqual({ question: 'Q?', answer: 'A backstop [1].', sources: [STARMER] });
  });

  it('asks the model for one standalone line, with the chat so far and no citation markers', () => {
    const messages = rewriteMessages('why does he want that?', [{ question: 'What did Starmer ask Trump for?', answer: 'A US backstop [1] for Ukraine [2].' }]);
    expect(messages[0]!.role).toBe('system');
    expect(messages[0]!.content).toMatch(/standalone|understood without the chat/);
    expect(messages[1]!.content).toContain('User: What did Starmer ask Trump for?\nBot: A US backstop for Ukraine.');
    expect(messages[1]!.content).toContain('Last question: why does he want that?');
  });
});

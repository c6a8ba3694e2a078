import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyTerms } from '../../src/answer/topic.js';
import { aggregate, aggregateUnanswerable, containsAnswer, firstHitRank, isOffTopicArticle, LEDE_CHARS } from '../../src/eval/metrics.js';
import { contentTerms } from '../../src/core/text.js';
import { readQuestions, runEval } from '../../src/eval/run-eval.js';
import { tempDir } from '../helpers/env.js';

describe('eval metrics', () => {
  it('matches answers case-insensitively across quote and dash styles', () => {
    expect(containsAnswer('Denmark’s Queen Margrethe II abdicated', "Denmark's Queen Margrethe II")).toBe(true);
    expect(containsAnswer('scores were 84–82 at the end', '84-82')).toBe(true);
    expect(containsAnswer('FOX NEWS said', 'Fox News')).toBe(true);
    expect(containsAnswer('nothing here', 'Fox News')).toBe(false);
    expect(containsAnswer('anything', '  ')).toBe(false);
  });

  it('finds the first hit rank', () => {
    expect(firstHitRank(['a', 'b Japan', 'Japan again'], 'japan')).toBe(2);
    expect(firstHitRank(['a', 'b'], 'japan')).toBeNull();
  });

  it('aggregates recall@k, MRR@10 and answer hits', () => {
    const m = aggregate([
      { id: '1', hitRank: 1, answerHit: true, articleHitRank: 1, offTopic: false, refused: false, answerable: true },
      { id: '2', hitRank: 3, answerHit: false, articleHitRank: 1, offTopic: true, refused: false, answerable: true },
      { id: '3', hitRank: 7, answerHit: false, articleHitRank: 5, offTopic: null, refused: true, answerable: true },
      { id: '4', hitRank: null, answerHit: true, articleHitRank: null, offTopic: false, refused: false, answerable: true },
    ]);
    expect(m).toEqual({
      questions: 4,
      'recall@1': 0.25,
      'recall@5': 0.5,
      'recall@10': 0.75,
      'mrr@10': Math.round(((1 + 1 / 3 + 1 / 7) / 4) * 1000) / 1000,
      answer_hit: 0.5,
      'article_recall@1': 0.5,
      'article_recall@5': 0.75,
      // One of the three judged answers (question 3 quoted nothing) quotes an off-topic article.
      off_topic: 0.333,
      // Question 3 is a refusal; question 2 answered without the gold answer.
      refused: 0.25,
      answered_wrong: 0.25,
    });
    expect(aggregate([])).toMatchObject({ questions: 0, 'recall@1': 0, refused: 0 });
  });

  it('reports unanswerable questions by their refusal and off-topic shares', () => {
    const base = { hitRank: null, articleHitRank: null, answerHit: false, answerable: false };
    const m = aggregateUnanswerable([
      { ...base, id: 'u1', offTopic: null, refused: true },
      { ...base, id: 'u2', offTopic: null, refused: true },
      { ...base, id: 'u3', offTopic: true, refused: false },
      { ...base, id: 'u4', offTopic: false, refused: false },
    ]);
    expect(m).toEqual({ questions: 4, refused: 0.5, off_topic: 0.5 });
  });
});

describe('off-topic quotes', () => {
  const idf = new Map([['starmer', 6.1], ['trump', 2.2], ['ask', 1.4], ['champion', 4.8], ['leagu', 3.9], ['final', 2.5], ['won', 1.9]]);

  it('calls an article off-topic when its title and lede hold none of the key terms', () => {
    const keys = keyTerms(contentTerms('What did Starmer ask Trump for?'), idf);
    const article = (title: string, text: string) => ({ title, text });
    expect(isOffTopicArticle(article('Trump lawyer begins cross-examining Keith Davidson', 'Trump asked whether Cohen lied.'), keys)).toBe(true);
    expect(isOffTopicArticle(article('Starmer pushes Trump for Ukraine guarantees', 'He will plead for a backstop.'), keys)).toBe(false);
    // The key term in the text's lede counts; one far down a long roundup does not.
    expect(isOffTopicArticle(article('Talks in Washington', "Keir Starmer's plea to Trump: a backstop."), keys)).toBe(false);
    expect(isOffTopicArticle(article('News from around our 50 states', `${'Alabama: a fair opened. '.repeat(60)}Starmer visited.`), keys)).toBe(true);
    expect(isOffTopicArticle(article('x', `${'y '.repeat(LEDE_CHARS / 2 - 10)} Starmer`), keys)).toBe(false);
    const two = ['champion', 'leagu'];
    expect(isOffTopicArticle(article('Final', 'The league final drew a record crowd.'), two)).toBe(false);
    expect(isOffTopicArticle(article('Final', 'Real Madrid won the final.'), two)).toBe(true);
    expect(isOffTopicArticle(article('anything', 'at all'), [])).toBe(false);
  });
});

describe('runEval on a small fixture set', () => {
  it('ingests the set, asks each answerable question as of its date, and caches the store', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const set = path.join(dir, 'mini-set');
      fs.mkdirSync(set);
      const articles = [
        { id: 'a1', url: 'https://x.example/1', title: 'Japan lands spacecraft on the moon', published: '2024-01-20', text: 'Japan became the fifth country to land a spacecraft on the moon on Friday, the space agency JAXA said.' },
        { id: 'a2', url: 'https://x.example/2', title: 'Old moon mission news', published: '2019-01-03', text: 'China landed a rover on the far side of the moon, a first for any country.' },
        { id: 'a3', url: 'https://x.example/3', title: 'Markets rally', published: '2024-01-19', text: 'Stocks rose on Friday as tech shares gained.' },
      ];
      fs.writeFileSync(path.join(set, 'articles.jsonl'), articles.map((a) => JSON.stringify(a)).join('\n'));
      const questions = [
        { id: 'q1', date: '2024-01-25', question: 'Which country landed a spacecraft on the moon this week?', choices: [], answer: 'Japan', answerable: true },
        { id: 'q2', date: '2024-01-25', question: 'Which index fell?', choices: [], answer: 'Nikkei', answerable: false },
        { id: 'q3', date: '2024-01-25', question: 'What rose as tech shares gained?', choices: [], answer: 'Stocks', answerable: true },
      ];
      fs.writeFileSync(path.join(set, 'questions.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n'));
      expect(readQuestions(set).map((q) => q.id)).toEqual(['q1', 'q3']);
      const logFile = path.join(dir, 'log.jsonl');
      const options = { setDir: set, cacheDir: path.join(dir, 'cache'), retrieval: { mode: 'lexical' as const, topK: 10 }, embedder: null, logFile };
      const first = await runEval(options);
      expect(first.reusedStore).toBe(false);
      expect(first.metrics).toMatchObject({ questions: 2, 'recall@1': 1, 'recall@5': 1, answer_hit: 1, 'article_recall@1': 1, off_topic: 0 });
      const log = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; hitRank: number; keyTerms: string[]; offTopicArticles: string[]; top: { title: string }[] });
      expect(log[0]).toMatchObject({ id: 'q1', hitRank: 1, offTopicArticles: [] });
      // "spacecraft" is in one article; "country", "landed" and "moon" in two (ties keep question order).
      expect(log[0]!.keyTerms).toEqual(['spacecraft', 'countri']);
      expect(log[0]!.top[0]!.title).toBe('Japan lands spacecraft on the moon');
      const second = await runEval(options);
      expect(second.reusedStore).toBe(true);
      expect(second.metrics).toEqual(first.metrics);
      expect(second.unanswerable).toBeNull();

      // --all-questions: the unanswerable question is asked too, and reported apart.
      const all = await runEval({ ...options, allQuestions: true });
      expect(all.outcomes.map((o) => o.id)).toEqual(['q1', 'q3', 'q2']);
      expect(all.metrics).toEqual(first.metrics);
      expect(all.unanswerable).toMatchObject({ questions: 1 });
      // --timeless leaves out q1 ("this week"); --asked-later asks a year after the question's date.
      const later = await runEval({ ...options, timeless: true, askedLaterDays: 365 });
      expect(later.outcomes.map((o) => o.id)).toEqual(['q3']);
      const laterLog = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { asOf: string });
      expect(laterLog.map((l) => l.asOf)).toEqual(['2025-01-24T23:59:59.000Z']);
    } finally {
      cleanup();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { NOTHING_FOUND, extractiveAnswer, isQuotable, otherForm } from '../../src/answer/extractive.js';
import { formatAnswerText } from '../../src/answer/format.js';
import type { RetrievedPassage } from '../../src/core/types.js';

let nextId = 1;
function hit(articleId: string, title: string, text: string, position = 0, extra: Partial<RetrievedPassage['article']> = {}): RetrievedPassage {
  const id = nextId++;
  return {
    passage: { id, articleId, position, start: 0, end: text.length, text },
    article: { id: articleId, title, date: '2024-05-02', source: 'wire', url: `https://news.example/${articleId}`, author: null, origin: 'x', contentHash: 'h', ...extra },
    score: 1 / id,
  };
}

describe('extractiveAnswer', () => {
  const passages = [
    hit('a', 'Council approves budget', 'The city council approved the 2025 budget on Tuesday after a long debate. The vote was 7 to 2. Critics said the budget cuts library hours.'),
    hit('b', 'Library hours cut', 'Library hours will be cut on weekends under the new budget, the mayor said. Parents protested outside city hall.'),
    hit('c', 'Weather', 'Rain is expected all week across the region, forecasters said.'),
  ];

  it('quotes the best sentences with citations numbered by first use', () => {
    const answer = extractiveAnswer('What did the council approve in the budget vote?', passages);
    expect(answer.mode).toBe('extractive');
    expect(answer.text).toMatch(/^The city council approved the 2025 budget on Tuesday after a long debate\. \[1\]/);
    expect(answer.citations[0]).toMatchObject({ n: 1, articleId: 'a', title: 'Council approves budget', url: 'https://news.example/a' });
    // Every marker refers to a listed citation, and every citation is used.
    const markers = [...answer.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(new Set(markers)).toEqual(new Set(answer.citations.map((c) => c.n)));
    expect(answer.text).not.toContain('Rain is expected');
  });

  it('stays within the character budget', () => {
    const long = hit('d', 'Long', `The budget ${'includes many detailed provisions for the council '.repeat(20)}and more.`);
    const answer = extractiveAnswer('What does the budget include?', [long], { maxChars: 200 });
    expect(answer.text.replace(/ \[\d+\]/g, '').length).toBeLessThanOrEqual(200);
    expect(answer.text).toMatch(/… \[1\]$/);
  });

  it('says it found nothing, naming the subject, when no sentence shares a content word with the question', () => {
    const answer = extractiveAnswer('Who won the chess olympiad?', passages);
    expect(answer).toEqual({ text: "I couldn't find anything about “the chess olympiad” in the news I have.", mode: 'none', citations: [], notes: [], confidence: 0 });
    for (const question of ['what is it?', '']) expect(extractiveAnswer(question, passages)).toMatchObject({ text: NOTHING_FOUND, mode: 'none', citations: [] });
    expect(extractiveAnswer('budget', []).mode).toBe('none');
  });

  it('drops datelines from quoted sentences', () => {
    const p = hit('e', 'Talks', 'WASHINGTON — Negotiators reached a trade deal on Friday, officials said.');
    expect(extractiveAnswer('What deal did negotiators reach?', [p]).text).toBe('Negotiators reached a trade deal on Friday, officials said. [1]');
  });

  it('formats sources with title, date, source and URL', () => {
    const answer = extractiveAnswer('What did the council approve in the budget vote?', passages);
    const text = formatAnswerText({ ...answer, notes: ['lexical search only'] });
    expect(text).toContain('Note: lexical search only');
    expect(text).toContain('Sources:\n[1] Council approves budget (2024-05-02, wire) https://news.example/a');
  });

  it('quotes the sentence before the best one when the best one only says "the automaker"', () => {
    const p = hit(
      'f',
      'Recall',
      'Officials in Springfield spoke on Monday. Zenith Motors recalled 40,000 cars over faulty airbags. The automaker said faulty airbag inflators could injure drivers and told owners of affected cars to stop driving them at once.',
    );
    const question = 'Which automaker told owners to stop driving cars with faulty airbag inflators?';
    expect(extractiveAnswer(question, [p]).text).toMatch(/^Zenith Motors recalled 40,000 cars over faulty airbags\. \[1\] The automaker said/);
    // Without the back-reference the neighbour is not pulled in ahead of the best sentence.
    const q = hit('g', 'Recall', p.passage.text.replace('The automaker said', 'Regulators said'));
    expect(extractiveAnswer(question.replace('Which automaker', 'Who'), [q]).text).toMatch(/^Regulators said/);
  });

  describe('on-topic quotes only (issue: padding from unrelated articles)', () => {
    const seedTitle = 'Starmer pushes Trump for Ukraine guarantees against Putin';
    const seed = hit(
      'seed',
      seedTitle,
      "British Prime Minister Keir Starmer will meet Donald Trump on Thursday to plead for a US backstop to any Ukraine ceasefire, insisting it would be the only way to stop Russia's Vladimir Putin from invading again. Starmer arrived in Washington late Wednesday.",
    );
    const trial = hit(
      'trial',
      'Judge weighs gag order fines in Trump hush money trial',
      'Trump lawyer Emil Bove begins cross-examining Keith Davidson\nExamples included on April 13, when Trump asked whether Cohen was “prosecuted for LYING?” Prosecutors asked the judge to fine Trump for each violation.',
      3,
    );
    const idf = new Map([['starmer', 6.3], ['trump', 1.3], ['ask', 2.3]]);

    it('quotes no sentence from an article that merely shares a common word with the question', () => {
      for (const options of [{ idf }, {}]) {
        const answer = extractiveAnswer('What did Starmer ask Trump for?', [seed, trial], options);
        expect(answer.text).toMatch(/^British Prime Minister Keir Starmer will meet Donald Trump on Thursday to plead for a US backstop/);
        expect(answer.citations.map((c) => c.articleId)).toEqual(['seed']);
        expect(answer.text).not.toMatch(/Cohen|Bove|fine Trump/);
      }
    });

    it('does quote another article that is itself about the question', () => {
      const other = hit('other', 'Starmer heads to Washington', 'Starmer asked Trump for American air cover and intelligence to back a European peacekeeping force.', 0);
      const answer = extractiveAnswer('What did Starmer ask Trump for?', [seed, trial, other], { idf });
      expect(answer.citations.map((c) => c.articleId)).toEqual(['seed', 'other']);
      expect(answer.text).toContain('air cover and intelligence');
    });

    it('tells a roundup that mentions the subject in passing from a live blog that covers it', () => {
      const question = 'How much did the council spend on golden taps?';
      const idf = new Map([['council', 2], ['spend', 1.5], ['golden', 5], ['tap', 6]]);
      const taps = hit('taps', 'Golden taps scandal', 'The council spent £4 million on golden taps for the town hall, the mayor admitted on Monday.', 0);
      // A roundup's later passage: the council and spending, and "Golden" only as a town's name.
      const roundup = hit('roundup', 'Prairie power, beer pig: News from around our 50 states', 'Golden: The city council is spending $2 million to have the old ships removed from the harbour.', 4);
      // A live blog whose lede is about something else: its passage covers the question's rarest
      // words deep down, but the blog is not about the question (its title and lede do not name it).
      const blog = hit('blog', 'Town hall live updates', 'Auditors said the golden taps cost the council more than any other fitting this year.', 6);
      const answer = extractiveAnswer(question, [taps, roundup, blog], { idf });
      expect(answer.citations.map((c) => c.articleId)).toEqual(['taps']);
      // With its lede given (it opens on the taps), the blog is about the question and supports the answer.
      const ledes = new Map([['blog', 'Golden taps: auditors report to the council today.']]);
      expect(extractiveAnswer(question, [taps, roundup, blog], { idf, ledes }).citations.map((c) => c.articleId)).toEqual(['taps', 'blog']);
      expect(answer.text).not.toContain('ships');
    });

    it('never quotes a title, a headline line or a fragment as a sentence', () => {
      const p = hit(
        'h',
        'Trump hush money trial: Keith Davidson testifies',
        'Trump hush money trial: Keith Davidson testifies\nTrump lawyer Emil Bove begins cross-examining Keith Davidson\nMORE: Davidson on Trump payments\nDavidson testified that he negotiated the payment to Stormy Daniels in 2016.',
      );
      const answer = extractiveAnswer('What did Keith Davidson say about Trump?', [p]);
      expect(answer.text).toBe('Davidson testified that he negotiated the payment to Stormy Daniels in 2016. [1]');
      expect(isQuotable('Trump lawyer Emil Bove begins cross-examining Keith Davidson', 'x')).toBe(false);
      expect(isQuotable('BREAKING: TRUMP LAWYER BEGINS CROSS-EXAMINATION TODAY.', 'x')).toBe(false);
      expect(isQuotable('Trump Lawyer Emil Bove Begins Cross-Examining Keith Davidson.', 'x')).toBe(false);
      expect(isQuotable('Starmer pushes Trump for Ukraine guarantees against Putin.', seedTitle)).toBe(false);
      expect(isQuotable('Five dead.', 'x')).toBe(false);
      // Real sentences pass, lists of names with commas included.
      expect(isQuotable('Davidson testified that he negotiated the payment.', 'x')).toBe(true);
      expect(isQuotable('Leaders at the summit included Italy\'s Giorgia Meloni, Germany\'s Olaf Scholz, France\'s Emmanuel Macron and Canada\'s Justin Trudeau.', 'x')).toBe(true);
      expect(isQuotable('“We will stop Putin,” von der Leyen said.”', 'x')).toBe(true);
    });

    it('prefers fewer sentences to padding with weak matches', () => {
      const p = hit('p', 'Budget', 'The council approved the library budget on Tuesday after a long debate. Parking fees downtown will rise next year. The weather was mild.');
      const answer = extractiveAnswer('What did the council approve in the library budget?', [p]);
      expect(answer.text).toBe('The council approved the library budget on Tuesday after a long debate. [1]');
    });

    it('weighs earlier questions\' words of a conversation below the question\'s own', () => {
      const p = hit(
        'c',
        seedTitle,
        'Starmer arrived in Washington late Wednesday to build on a visit by French President Emmanuel Macron. "The security guarantee has to be sufficient to deter Putin," Starmer told reporters on the plane to Washington.',
      );
      const context = new Map([['starmer', 0.5], ['washington', 0.25]]);
      const answer = extractiveAnswer('and what did he say about Putin?', [p], { context });
      expect(answer.text).toMatch(/^"The security guarantee has to be sufficient to deter Putin," Starmer told reporters/);
      // Without the question's own word, context alone still finds the topic's sentences.
      expect(extractiveAnswer('why does he want that?', [p], { context }).mode).toBe('extractive');
      expect(extractiveAnswer('why does he want that?', [p]).mode).toBe('none');
    });

    it('answers a follow-up with no word of its own ("why did he do that?", "why?") from the conversation\'s words', () => {
      const p = hit(
        'g',
        'Trump fined for violating gag order',
        'Judge Juan Merchan held former President Donald Trump in contempt of court Tuesday for nine gag order violations. He now faces a $9,000 fine and potential jail time if there are future gag order violations. The weather in Manhattan was mild.',
      );
      const context = new Map([['judg', 0.6], ['trump', 0.6], ['violat', 0.6], ['gag', 0.6], ['order', 0.6]]);
      for (const question of ['why did he do that?', 'why?', 'and then?']) {
        const answer = extractiveAnswer(question, [p], { context });
        expect(answer.mode, question).toBe('extractive');
        expect(answer.text, question).toMatch(/^Judge Juan Merchan held former President Donald Trump in contempt/);
        expect(answer.text, question).not.toContain('weather');
        // A first question with no word of its own still finds nothing.
        expect(extractiveAnswer(question, [p]).mode, question).toBe('none');
      }
    });

    it('answers "why" with the reason the article gives, not what the thread was already told', () => {
      const p = hit(
        'seed',
        'Starmer pushes Trump for Ukraine guarantees',
        'Keir Starmer will meet Donald Trump on Thursday to plead for a US backstop to any Ukraine ceasefire. Last week Trump called Starmer a "very nice guy" after a meeting in Paris. "The security guarantee has to be sufficient to deter Putin," Starmer told reporters.',
      );
      const context = new Map([['starmer', 0.6], ['ask', 0.6], ['trump', 0.6]]);
      const first = 'Keir Starmer will meet Donald Trump on Thursday to plead for a US backstop to any Ukraine ceasefire. [1]';
      const answer = extractiveAnswer('why does he want that?', [p], { context, alreadySaid: first, maxSentences: 1 });
      expect(answer.text).toBe('“The security guarantee has to be sufficient to deter Putin,” Starmer told reporters. [1]'.replace(/[“”]/g, '"'));
      // Without a reason in sight, the best match is quoted as before.
      const plain = extractiveAnswer('why does he want that?', [p], { context, maxSentences: 1 });
      expect(plain.mode).toBe('extractive');
    });
  });

  describe('whole quotations and the sentence a quote refers back to', () => {
    it('quotes a sentence that opens with "The comedian" after the sentence naming him, when both fit', () => {
      const story = hit(
        'tv',
        'Late-night shake-up',
        'Ratings for late-night shows fell again this year. Jon Stewart is going home again. The comedian will return to host the late-night show every Monday in February, the network announced Wednesday. Tickets sold out within an hour.',
      );
      const answer = extractiveAnswer('Which comedian announced he will return to late-night TV?', [story]);
      expect(answer.text).toMatch(/^Jon Stewart is going home again\. \[1\] The comedian will return to host/);
      // With no room for both, the answer sentence alone; nor more sentences than allowed.
      const short = extractiveAnswer('Which comedian announced he will return to late-night TV?', [story], { maxChars: 110 });
      expect(short.text).toMatch(/^The comedian will return/);
      const one = extractiveAnswer('Which comedian announced he will return to late-night TV?', [story], { maxSentences: 1 });
      expect(one.text).toMatch(/^The comedian will return[^[]*\[1\]$/);
    });

    it('does not take a name such as "The Federal Aviation Administration" for a reference back', () => {
      const story = hit(
        'faa',
        'Jets grounded',
        'Airlines cancelled hundreds of flights on Saturday. The Federal Aviation Administration grounded 171 Boeing 737 Max 9 jets after a door plug blew out.',
      );
      const answer = extractiveAnswer('How many Boeing 737 Max 9 jets were grounded?', [story]);
      expect(answer.text).toMatch(/^The Federal Aviation Administration grounded 171/);
      expect(answer.text).not.toContain('Airlines cancelled');
    });

    it('never quotes the tail of a quotation whose opening is not in the passage (a fragment)', () => {
      const story = hit(
        'cl',
        'Final chaos',
        'they asked you for 300 euros to take you out of the stadium after the Champions League final,” a fan told El Mundo. Fans waited for hours outside the stadium before the Champions League final, police said.',
      );
      const answer = extractiveAnswer('What happened to fans at the Champions League final?', [story]);
      expect(answer.text).toMatch(/^Fans waited for hours outside the stadium/);
      expect(answer.text).not.toContain('300 euros');
      // A quotation opened by a straight quote and closed by a curly one is whole, and quotable.
      const mixed = hit('mx', 'Mirage closes', '"We look forward to a new era for the Strip,” the Mirage casino posted on Facebook on Wednesday.');
      expect(extractiveAnswer('What did the Mirage casino post on Facebook?', [mixed]).text).toMatch(/^"We look forward/);
    });

    it('keeps a quotation the sentence splitter would cut apart in one piece', () => {
      const story = hit(
        'nfl',
        'Chiefs celebrate',
        '“This is awesome. This is legendary,” Mahomes said after the Chiefs won the championship parade vote. The parade is on Wednesday.',
      );
      const answer = extractiveAnswer('What did Mahomes say after the Chiefs won?', [story]);
      expect(answer.text).toMatch(/^“This is awesome\. This is legendary,” Mahomes said after the Chiefs won/);
    });
  });
});

describe('a very rare question word must be in the article quoted first (RARE_IDF)', () => {
  const finland = hit('alcohol', 'Finland plans a national tax on alcohol', "Finland's finance minister said on Monday that the new national tax on alcohol would fund hospitals.");
  const sauna = hit('sauna', 'Finland weighs a national sauna tax', 'Finland\'s sauna minister said on Monday that the new national sauna tax would fund public bathhouses.');
  const question = "What did Finland's sauna minister say about the new national sauna tax?";
  // "sauna" is held by a handful of passages in a large store: idf above RARE_IDF.
  const idf = new Map([['finland', 6.9], ['sauna', 9.7], ['minist', 4.2], ['new', 0.8], ['nation', 1.9], ['tax', 3.6]]);

  it('refuses when the only article found lacks it, however many other question words it holds', () => {
    const answer = extractiveAnswer(question, [finland], { idf });
    expect(answer.mode).toBe('none');
    expect(answer.text).toMatch(/^I couldn't find anything about/);
  });

  it('answers from the article that holds it', () => {
    const answer = extractiveAnswer(question, [finland, sauna], { idf });
    expect(answer.mode).toBe('extractive');
    expect(answer.citations[0]!.articleId).toBe('sauna');
  });

  it('another spelling or form of the word counts (British and American, a suffix)', () => {
    expect(otherForm('legalis', 'legaliz')).toBe(true);
    expect(otherForm('legalis', 'legal')).toBe(true);
    expect(otherForm('funerari', 'funer')).toBe(true);
    expect(otherForm('misbehaviour', 'misbehavior')).toBe(true);
    expect(otherForm('botswanan', 'botswana')).toBe(true);
    expect(otherForm('reclassif', 'reclassifi')).toBe(true);
    expect(otherForm('sauna', 'saudi')).toBe(false);
    expect(otherForm('bielefeld', 'bielsko')).toBe(false);
    expect(otherForm('badminton', 'badlands')).toBe(false);
  });
});

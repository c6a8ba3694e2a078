import { tokenize } from '../core/text.js';

/** What kind of answer a question asks for. */
export type AnswerType = 'number' | 'country' | 'us_state' | 'person' | 'place' | 'date' | 'name';

const COUNTRIES = (
  'afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan ' +
  'bolivia bosnia botswana brazil brunei bulgaria burkina burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba cyprus czech czechia ' +
  'denmark djibouti dominica dominican ecuador egypt salvador eritrea estonia eswatini ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada ' +
  'guatemala guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati korea kosovo ' +
  'kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius ' +
  'mexico micronesia moldova monaco mongolia montenegro morocco mozambique myanmar namibia nauru nepal netherlands zealand nicaragua niger nigeria macedonia norway oman ' +
  'pakistan palau palestine panama papua paraguay peru philippines poland portugal qatar romania russia rwanda samoa marino saudi senegal serbia seychelles sierra ' +
  'singapore slovakia slovenia solomon somalia africa spain sri lanka sudan suriname sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga trinidad ' +
  'tunisia turkey turkiye turkmenistan tuvalu uganda ukraine emirates uae britain uk england scotland wales usa uruguay uzbekistan vanuatu vatican venezuela vietnam yemen zambia zimbabwe'
).split(' ');

const US_STATES = (
  'alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois indiana iowa kansas kentucky louisiana maine ' +
  'maryland massachusetts michigan minnesota mississippi missouri montana nebraska nevada hampshire jersey mexico york carolina dakota ohio oklahoma oregon ' +
  'pennsylvania rhode tennessee texas utah vermont virginia washington wisconsin wyoming'
).split(' ');

const COUNTRY_SET = new Set(COUNTRIES);
const STATE_SET = new Set(US_STATES);

/** Classifies the answer a question wants, from its wording alone. Null when it cannot tell. */
export function answerTypeOf(question: string): AnswerType | null {
  const q = question.toLowerCase();
  if (/\b(how (many|much|old|long|far)|what (percentage|percent|share|proportion|number|amount|age|price|score|year|temperature|fine|sum)|at what (price|age|rate)|by how much|what was the (final )?score)\b/.test(q)) return 'number';
  if (/\b(which|what)\b(\s+\w+){0,3}\s+(country|countries|nation|nations)\b/.test(q)) return 'country';
  if (/\b(which|what)\b(\s+\w+){0,2}\s+(us |u\.s\. )?state\b/.test(q)) return 'us_state';
  if (/^\s*who\b|\bwho (is|was|won|became|has|will|did)\b|\b(which|what)\b(\s+\w+){0,3}\s+(person|politician|player|actor|actress|singer|musician|ceo|president|candidate|leader|author|writer|director|athlete|star|celebrity|rapper|minister|senator|governor|judge|coach|billionaire|executive|lawmaker|artist|golfer|footballer|driver|boxer|champion|royal|king|queen|prince|princess|pope)\b/.test(q)) return 'person';
  if (/\b(whom|whose)\b|\bwho\?\s*$/.test(q)) return 'person';
  if (/^\s*where\b|\bwhere (is|was|are|were|did|does|do|will|has|have)\b/.test(q)) return 'place';
  if (/^\s*when\b|\bwhen (is|was|are|were|did|does|do|will|has|have)\b|\bwhat (date|day|month)\b/.test(q)) return 'date';
  if (/\b(which|what)\b|\bname\b/.test(q)) return 'name';
  return null;
}

/** How strictly hasAnswerCandidate reads a sentence. */
export interface AnswerCandidateOptions {
  /**
   * A person is a name that reads as one: two capitalized words in a row anywhere in the sentence
   * (its first word too), the last not in the question, neither a word of places, bodies, dates or
   * a small word ("Chase Oliver", not "Peach State", "Security Council" or "In March") unless the
   * first is a title ("Prince William", "Dr. Lee"). Without it, two capitalized words in a row
   * after the sentence's first word, and two capitalized words there not in the question: looser,
   * which suits finding passages (retrieval's evidence) better than choosing the one sentence to
   * quote.
   */
  precise?: boolean;
}

/**
 * True when `sentence` holds a plausible answer of the given type that the question does not
 * already contain (a number, a country or US state, or a capitalized name).
 */
export function hasAnswerCandidate(sentence: string, type: AnswerType, questionTokens: ReadonlySet<string>, options: AnswerCandidateOptions = {}): boolean {
  switch (type) {
    case 'number':
      return /\d/.test(sentence.replace(/\b(19|20)\d\d\b/g, (y) => (questionTokens.has(y) ? '' : y)));
    case 'country':
      return tokenize(sentence).some((t) => COUNTRY_SET.has(t) && !questionTokens.has(t));
    case 'us_state':
      return tokenize(sentence).some((t) => STATE_SET.has(t) && !questionTokens.has(t));
    case 'date':
      return /\d|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|\b(january|february|march|april|june|july|august|september|october|november|december|spring|summer|autumn|fall|winter|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i.test(sentence);
    case 'place':
    case 'person':
    case 'name': {
      // Capitalized words not at the sentence start and not in the question.
      const words = sentence.match(/(?<=[\s("“'‘])[A-Z][\p{L}'’-]+/gu) ?? [];
      const fresh = words.filter((w) => !questionTokens.has(w.toLowerCase().replace(/['’]s$/, '')));
      if (type === 'person') {
        if (!options.precise) return /(?<=[\s("“'‘])[A-Z][\p{L}'’-]+\s+[A-Z][\p{L}'’-]+/u.test(sentence) && fresh.length >= 2;
        // A name not in the question: two capitalized words ("Chase Oliver") or a title and a name
        // ("Prince William"), not a place or body ("Peach State", "Security Council").
        for (const m of sentence.matchAll(/(?<![\p{L}'’-])(?=([A-Z][\p{L}'’-]*\.?)\s+([A-Z][\p{L}'’-]+))/gu)) {
          const first = m[1]!.toLowerCase().replace(/\.$/, '');
          const last = m[2]!.toLowerCase().replace(/['’]s$/, '');
          if (NOT_A_NAME.has(last) || questionTokens.has(last)) continue;
          if (TITLES.has(first) || !NOT_A_NAME.has(first)) return true;
        }
        return false;
      }
      return fresh.length >= 1 || (type === 'name' && /\d/.test(sentence));
    }
  }
}

/** Capitalized words that make a pair of capitalized words something other than a person's name. */
const NOT_A_NAME = new Set(
  (
    'the a an in on at of for and but if as when after before while this that these those he she it they we i ' +
    'state states party council house court department university college school county city town street avenue road ' +
    'day week month year award awards airlines airline administration committee association center centre club league ' +
    'company group bank news times post office agency service ministry board museum hospital church island islands river ' +
    'mountain mountains park bay beach valley coast north south east west national international united american democratic ' +
    'republican republicans democrats monday tuesday wednesday thursday friday saturday sunday january february march april ' +
    'may june july august september october november december prime secretary general chief minister'
  ).split(' '),
);
/** Words that put a person's name after them ("President Biden", "Prince William"). */
const TITLES = new Set('president senator governor gov sen rep mayor judge justice king queen prince princess pope mr mrs ms dr coach'.split(' '));
for (const t of TITLES) NOT_A_NAME.add(t);

import { contentTerms } from '../core/text.js';
import type { Answer, ArticleMeta } from '../core/types.js';
import { roundConfidence } from './confidence.js';

/** What the bot says when it has nothing about a question and cannot tell what it is about. */
export const NOTHING_FOUND = "I couldn't find anything about that in the news I have.";

/** Longest subject echoed in a refusal. */
const MAX_SUBJECT_CHARS = 80;

/** The question's opening that asks (who/what/why ... and its verb), not what it asks about. */
const ASKING =
  /^\W*(?:(?:and|but|so|also|ok|okay|hey|please|tell me|do you know|can you tell me|any news (?:on|about)|what about|how about)\b[\s,]*)*(?:(?:who|whom|whose|what|which|when|where|why|how(?: many| much| long| old| far)?)\b\s*(?:(?:won|wins|win|leads|led|became|becomes|hosted|hosts|replaced|replaces)\b\s*)?)?(?:(?:is|are|was|were|did|does|do|has|have|had|will|can|could|should|the latest on|happened (?:to|with|at|in)|happening (?:to|with|at|in)|going on (?:with|in|at))\b\s*)?/i;

/**
 * What a question is about, in its own words, for a refusal: the question without its asking
 * opening and its question mark ("What is the capital of Mongolia?" -> "the capital of
 * Mongolia"), at most MAX_SUBJECT_CHARS; null when nothing of substance is left ("why?") or it
 * holds anything but plain words (markup, code, emoji).
 */
export function questionSubject(question: string): string | null {
  let subject = question.replace(/\s+/g, ' ').trim().replace(ASKING, '').replace(/[?!.\s]+$/, '').trim();
  // Only plain words are echoed: markup, code or symbols get the plain refusal.
  if (contentTerms(subject).length === 0 || !/^[\p{L}\p{N}\s'’,.&:%$£€-]+$/u.test(subject)) return null;
  if (subject.length > MAX_SUBJECT_CHARS) subject = subject.slice(0, MAX_SUBJECT_CHARS - 1).replace(/\s+\S*$/, '') + '…';
  return subject;
}

/**
 * The refusal for a question no retrieved article is about (or that none answers): "I couldn't
 * find anything about “<subject>” in the news I have.", plus, when given, the closest dated
 * headline as a pointer (not an answer, and not a citation). `confidence` is the value that was
 * too low to answer with.
 */
export function refusalAnswer(question: string, closest: ArticleMeta | null, confidence = 0): Answer {
  const subject = questionSubject(question);
  const text = subject ? `I couldn't find anything about “${subject}” in the news I have.` : NOTHING_FOUND;
  const notes = closest ? [`The closest I have: “${closest.title}”${closest.date ? ` (${closest.date})` : ''}.`] : [];
  return { text, mode: 'none', citations: [], notes, confidence: roundConfidence(confidence) };
}

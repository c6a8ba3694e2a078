/** A news article as parsed from a source, before it is stored. */
export interface Article {
  /** Stable id: from the record's own id, its canonical URL, or its origin. */
  id: string;
  title: string;
  /** Body text, paragraphs separated by blank lines. */
  text: string;
  /** Publication day as YYYY-MM-DD, or null when unknown. */
  date: string | null;
  /** Outlet or origin label (e.g. "bbc.co.uk" or "corpus"). */
  source: string;
  url: string | null;
  author: string | null;
  /** Where the article came from: a file path, with a record locator for multi-record files. */
  origin: string;
  /** SHA-256 over title, date, url and text: changes exactly when the article's content changes. */
  contentHash: string;
}

/** Article fields kept beside every retrieved passage. */
export type ArticleMeta = Omit<Article, 'text'>;

/** A slice of an article's text, the unit of retrieval. */
export interface Passage {
  /** Integer id, also the label of the passage's vector in the HNSW index. */
  id: number;
  articleId: string;
  /** 0-based position of the passage within its article. */
  position: number;
  /** Character offsets into the article text: text === article.text.slice(start, end). */
  start: number;
  end: number;
  text: string;
}

/** Which search lists a retrieval uses. */
export type RetrievalMode = 'hybrid' | 'lexical' | 'vector';

/** A passage returned by retrieval, with its article and scores. */
export interface RetrievedPassage {
  passage: Passage;
  article: ArticleMeta;
  /** Final fused score, higher is better. */
  score: number;
  /** 1-based ranks in the lists that found it (absent when a list missed it). */
  lexicalRank?: number;
  vectorRank?: number;
  /** Raw BM25 score (higher is better) and cosine similarity. */
  lexicalScore?: number;
  vectorScore?: number;
}

/** A numbered source in an answer. */
export interface Citation {
  n: number;
  articleId: string;
  title: string;
  date: string | null;
  url: string | null;
  source: string;
  passage: string;
}

/** How an answer was produced. */
export type AnswerMode = 'extractive' | 'llm' | 'none';

/** Tokens used by one language-model answer. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** An answer to a question, with the sources it cites. */
export interface Answer {
  /** Answer text with [n] markers that refer to `citations`. */
  text: string;
  mode: AnswerMode;
  citations: Citation[];
  /** One-line notes for the reader, e.g. that the language model was unavailable. */
  notes: string[];
  /**
   * How sure the bot is that the answer is about the question and answers it, 0..1 (see
   * answer/confidence.ts); a refusal has the confidence that was too low to answer.
   */
  confidence?: number;
  /** LLM answers: tokens used (null when the server did not report them). */
  usage?: TokenUsage | null;
  /** LLM answers: true when the answer cites nothing and is not a refusal. */
  unsupported?: boolean;
  /** LLM answers: citation markers that pointed to no passage and were removed. */
  invalidCitations?: number;
  /** Calls made to the language model for this answer (retries included; absent: none). */
  llmCalls?: number;
  /** Why the language model's answer was replaced by the extractive one (its failure kind), when it was. */
  llmFallback?: string;
}

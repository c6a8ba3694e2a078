import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** How a question ended, as counted by `newsbot_questions_total`. */
export type QuestionOutcome =
  /** Answered with citations. */
  | 'answered'
  /** "I couldn't find anything about ..." (nothing in the news was about the question). */
  | 'refused'
  /** The first reading of the news was still running. */
  | 'still_reading'
  /** The answer failed (an error the user was told of briefly). */
  | 'failed'
  /** Refused by the gate: the asker's rate limit, a full queue, or shutdown. */
  | 'rate_limited'
  | 'busy'
  | 'restarting';

/** How one ingest run ended. */
export type IngestOutcome = 'finished' | 'failed' | 'stopped';

/**
 * The bot's Prometheus metrics (served at `/metrics` by the health server), in a registry of its
 * own so that tests and several bots in one process never share counters. Every name starts with
 * `newsbot_`; the process's own figures (CPU, memory, event-loop lag) come with prom-client's
 * default metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Questions by outcome, refusals included. */
  readonly questions = new Counter({ name: 'newsbot_questions_total', help: 'Questions by outcome (answered, refused, still_reading, failed, rate_limited, busy, restarting).', labelNames: ['outcome'] as const, registers: [this.registry] });
  /** Time from question to final answer, by how it was answered. */
  readonly answerSeconds = new Histogram({
    name: 'newsbot_answer_seconds',
    help: 'Seconds from a question to its final answer, by answer mode (llm, extractive, none).',
    labelNames: ['mode'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  /** Ingest runs by kind (corpus, url, feeds, ...) and outcome. */
  readonly ingestRuns = new Counter({ name: 'newsbot_ingest_runs_total', help: 'Ingest runs by kind and outcome (finished, failed, stopped).', labelNames: ['kind', 'outcome'] as const, registers: [this.registry] });
  /** Articles ingested by result. */
  readonly ingestArticles = new Counter({ name: 'newsbot_ingest_articles_total', help: 'Articles by ingest result (added, updated, unchanged, removed, skipped).', labelNames: ['result'] as const, registers: [this.registry] });
  /** Ingest runs that ended in an error. */
  readonly ingestErrors = new Counter({ name: 'newsbot_ingest_errors_total', help: 'Ingest runs that failed (the worker crashed, timed out or reported an error).', registers: [this.registry] });
  /** Language-model answer calls by outcome. */
  readonly llmCalls = new Counter({ name: 'newsbot_llm_calls_total', help: 'Language-model answer calls by outcome (ok, error).', labelNames: ['outcome'] as const, registers: [this.registry] });
  /** Tokens the language model reported, by kind. */
  readonly llmTokens = new Counter({ name: 'newsbot_llm_tokens_total', help: 'Tokens reported by the language model (prompt, completion).', labelNames: ['kind'] as const, registers: [this.registry] });
  /** Answers that fell back to quoting because the model failed, by failure kind. */
  readonly llmFallbacks = new Counter({ name: 'newsbot_llm_fallbacks_total', help: 'Answers quoted extractively because the language model failed, by failure kind.', labelNames: ['reason'] as const, registers: [this.registry] });
  /** Feed polls by outcome. */
  readonly feedPolls = new Counter({ name: 'newsbot_feed_polls_total', help: 'Scheduled feed polls by outcome (finished, failed, skipped).', labelNames: ['outcome'] as const, registers: [this.registry] });
  private queueSource: (() => { running: number; waiting: number }) | null = null;
  private gatewaySource: (() => boolean) | null = null;

  constructor(options: { processMetrics?: boolean } = {}) {
    const source = () => this.queueSource?.() ?? { running: 0, waiting: 0 };
    new Gauge({
      name: 'newsbot_answer_queue_depth',
      help: 'Answers being worked on (running) and waiting for a slot (waiting).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { running, waiting } = source();
        this.set({ state: 'running' }, running);
        this.set({ state: 'waiting' }, waiting);
      },
    });
    const gateway = () => this.gatewaySource;
    new Gauge({
      name: 'newsbot_gateway_connected',
      help: '1 while the Discord gateway connection is ready, 0 otherwise (absent in the console).',
      registers: [this.registry],
      collect() {
        const connected = gateway();
        if (connected) this.set(connected() ? 1 : 0);
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'newsbot_' });
  }

  /** Where the queue depth is read when metrics are scraped (the bot's answer queue). */
  observeQueue(source: () => { running: number; waiting: number }): void {
    this.queueSource = source;
  }

  /** Where the gateway's state is read when metrics are scraped. */
  observeGateway(source: () => boolean): void {
    this.gatewaySource = source;
  }

  /** The metrics in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Several processes' metrics (each `registry.getMetricsAsJSON()`), summed, as Prometheus text: the shard manager's /metrics. */
export async function aggregateMetricsText(lists: MetricObjectWithValues<MetricValue<string>>[][]): Promise<string> {
  return AggregatorRegistry.aggregate(lists).metrics();
}

import { QueueFullError } from '../core/errors.js';

/** Per-user sliding-window rate limit. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(limit: number, windowMs = 60_000, now: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Records a hit for `key`; returns 0 when allowed, else the ms to wait. */
  take(key: string): number {
    const now = this.now();
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return this.windowMs - (now - recent[0]!);
    }
    recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.prune(now);
    return 0;
  }

  private prune(now: number): void {
    for (const [key, times] of this.hits) if (times.every((t) => now - t >= this.windowMs)) this.hits.delete(key);
  }
}


/** Runs at most `concurrency` jobs at once; up to `maxQueued` more wait their turn in order. */
export class WorkQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly maxQueued: number;

  constructor(concurrency: number, maxQueued: number) {
    this.concurrency = concurrency;
    this.maxQueued = maxQueued;
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** True when a new job would be refused. */
  get full(): boolean {
    return this.active >= this.concurrency && this.waiting.length >= this.maxQueued;
  }

  /** Runs `job` when a slot is free. Throws QueueFullError at once when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) throw new QueueFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Resolves when no job is running or waiting (or after `timeoutMs`). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while ((this.active > 0 || this.waiting.length > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * One notice per key and window: the first refusal of a burst gets a short reply, the rest a quiet
 * reaction (so a burst of mentions never becomes a stream of public messages).
 */
export class NoticeThrottle {
  private readonly until = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** True when a notice for `key` may be sent now; it then holds the key for `windowMs`. */
  take(key: string, windowMs: number): boolean {
    const now = this.now();
    if ((this.until.get(key) ?? 0) > now) return false;
    if (this.until.size > 10_000) for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    this.until.set(key, now + windowMs);
    return true;
  }
}

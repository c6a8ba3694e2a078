import { DISCORD_MESSAGE_LIMIT, formatModelText } from './format.js';

/**
 * Turns a stream of text deltas into at most one message edit per interval. The preview shows the
 * text so far (as the final answer will: mentions defused, masked links and headings neutralized,
 * an open code fence closed; cut to fit one message) with a cursor.
 */
export class ThrottledEditor {
  private text = '';
  private lastSent = '';
  private lastEditAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly edit: (content: string) => Promise<unknown>;
  private readonly intervalMs: number;
  private readonly onError: (error: unknown) => void;

  constructor(edit: (content: string) => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void = () => {}) {
    this.edit = edit;
    this.intervalMs = intervalMs;
    this.onError = onError;
  }

  append(delta: string): void {
    this.text += delta;
    this.schedule();
  }

  /** Forgets the text so far (the answer is starting over). */
  reset(): void {
    this.text = '';
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    const wait = Math.max(0, this.lastEditAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
  }

  private send(): void {
    if (this.stopped || !this.text.trim()) return;
    const limit = DISCORD_MESSAGE_LIMIT - 10;
    let preview = formatModelText(this.text.length > limit ? this.text.slice(0, limit) + '…' : this.text);
    if (preview.length > limit) preview = preview.slice(0, limit) + '…';
    preview += ' ▌';
    if (preview === this.lastSent) return;
    this.lastSent = preview;
    this.lastEditAt = Date.now();
    this.inflight = this.inflight.then(() => this.edit(preview)).catch(this.onError);
  }

  /** Stops editing and waits for an edit in flight, so the final message lands last. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
  }
}

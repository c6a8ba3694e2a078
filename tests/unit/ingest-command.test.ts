import type { ChatInputCommandInteraction } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runIngestCommand } from '../../src/bot/commands/ingest.js';
import type { IngestRequest } from '../../src/core/ingest.js';
import type { BotServices, BotSettings } from '../../src/bot/services.js';
import { IngestBusyError, IngestFailedError, StoreModelMismatchError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { IngestSummary } from '../../src/core/ingest.js';

const SUMMARY: IngestSummary = { added: 3, updated: 0, unchanged: 1, removed: 0, skipped: [], skippedCount: 0, passages: 9, embedded: 9, vectors: true, durationMs: 12_300 };

/**
 * The parts of an interaction the command uses: its user and the edits of its deferred reply.
 * `createdAgoMs`: how long before the command ran Discord created the interaction (its deferral,
 * a busy bot, or a clock a few seconds off Discord's).
 */
function interaction(createdAgoMs = 0, options: { dmsClosed?: boolean } = {}): { edits: string[]; posts: string[]; dms: string[]; value: ChatInputCommandInteraction } {
  const edits: string[] = [];
  const posts: string[] = [];
  const dms: string[] = [];
  const createdTimestamp = Date.now() - createdAgoMs;
  const value = {
    user: {
      id: '555',
      send: (message: { content: string; allowedMentions: unknown }) => {
        expect(message.allowedMentions).toEqual({ parse: [], repliedUser: false });
        if (options.dmsClosed) return Promise.reject(new Error('Cannot send messages to this user'));
        dms.push(message.content);
        return Promise.resolve();
      },
    },
    createdTimestamp,
    channelId: '777',
    editReply: (options: { content: string; allowedMentions: unknown }) => {
      expect(options.allowedMentions).toEqual({ parse: [], repliedUser: false });
      // Discord refuses an edit once the interaction's token has expired (15 minutes).
      if (Date.now() - createdTimestamp > 15 * 60_000) return Promise.reject(new Error('Invalid Webhook Token'));
      if (options.content.length > 2000) return Promise.reject(new Error('Invalid Form Body: content: Must be 2000 or fewer in length.'));
      edits.push(options.content);
      return Promise.resolve();
    },
    channel: {
      isSendable: () => true,
      send: (options: { content: string; allowedMentions: unknown }) => {
        expect(options.allowedMentions).toEqual({ parse: [], repliedUser: false });
        posts.push(options.content);
        return Promise.resolve();
      },
    },
  } as unknown as ChatInputCommandInteraction & { user: { send: unknown }; channel: unknown };
  // The moderator is reached through the client: a DM channel opened with them, or the channel where they asked.
  Object.assign(value, {
    client: {
      users: { createDM: (userId: string) => (userId === '555' ? Promise.resolve({ send: value.user.send }) : Promise.reject(new Error('Unknown User'))) },
      channels: { fetch: (channelId: string) => (channelId === '777' ? Promise.resolve(value.channel) : Promise.reject(new Error('Unknown Channel'))) },
    },
  });
  return { edits, posts, dms, value };
}

function services(ingest: BotServices['ingest']): { services: BotServices; settings: BotSettings } {
  return { services: { ingest, logger: silentLogger } as unknown as BotServices, settings: {} as BotSettings };
}

/** Starts the command on an ingest that reports progress and ends when the test says. */
function startIngest(value: ChatInputCommandInteraction, request: IngestRequest, what: string) {
  let finish!: (s: IngestSummary) => void;
  let report!: (p: string) => void;
  const running = runIngestCommand(
    value,
    services((_request, onProgress) => {
      report = onProgress!;
      return new Promise((resolve) => (finish = resolve));
    }),
    request,
    what,
  );
  return { running, report: (p: string) => report(p), finish: (summary: IngestSummary) => finish(summary) };
}

describe('runIngestCommand (the reply of /ingest and /reingest)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows progress every few seconds while the ingest runs, then the summary', async () => {
    const { edits, value } = interaction();
    const { running, report, finish } = startIngest(value, { kind: 'all' }, 'the corpus and feeds');
    report('12 articles so far');
    await vi.advanceTimersByTimeAsync(5_000);
    report('40 of 300 articles');
    await vi.advanceTimersByTimeAsync(5_000);
    // Nothing new: no edit.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(edits).toEqual(['Ingesting the corpus and feeds: 12 articles so far…', 'Ingesting the corpus and feeds: 40 of 300 articles…']);
    finish(SUMMARY);
    await running;
    expect(edits.at(-1)).toMatch(/^Ingest of the corpus and feeds finished in 12\.3 s: 3 added, 0 updated, 1 unchanged/);
    // No progress edit after the summary.
    report('300 of 300 articles');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(edits).toHaveLength(3);
  });

  it('tells the moderator that an ingest is running, or that it did not finish', async () => {
    for (const error of [new IngestBusyError('An ingest is running (40 of 300 articles); try again when it has finished.'), new IngestFailedError('The ingest stopped unexpectedly (killed by SIGKILL); what it stored before is kept. Run it again to finish.')]) {
      const { edits, value } = interaction();
      await runIngestCommand(value, services(() => Promise.reject(error)), { kind: 'corpus' }, 'the corpus');
      // Markdown is escaped: "\(" shows as "(".
      expect(edits).toEqual([error.message.replace(/[()]/g, '\\$&')]);
    }
  });

  it('leaves other errors to the bot\'s error boundary', async () => {
    const { edits, value } = interaction();
    const error = new StoreModelMismatchError('the store was built with another model');
    await expect(runIngestCommand(value, services(() => Promise.reject(error)), { kind: 'corpus' }, 'the corpus')).rejects.toBe(error);
    expect(edits).toEqual([]);
  });

  it('an ingest running past the 15 minutes Discord lets a reply be edited says so, then sends its summary by direct message', async () => {
    const { edits, posts, dms, value } = interaction();
    const { running, report, finish } = startIngest(value, { kind: 'all' }, 'the corpus and feeds');
    report('4,000 of 90,000 articles');
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(edits.at(-1)).toBe(
      'Still ingesting the corpus and feeds: 4,000 of 90,000 articles. Discord lets me edit this reply for 15 minutes only: I will send you the summary by direct message when it ends.',
    );
    const editsBefore = edits.length;
    report('60,000 of 90,000 articles');
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    // No edit is tried after the window.
    expect(edits).toHaveLength(editsBefore);
    finish(SUMMARY);
    await running;
    expect(edits).toHaveLength(editsBefore);
    expect(posts).toEqual([]);
    expect(dms).toHaveLength(1);
    expect(dms[0]).toMatch(/^Your ingest ended\. Ingest of the corpus and feeds finished in 12\.3 s: 3 added/);
  });

  it('when the moderator takes no direct messages, the channel is told it ended, with counts only and no ping', async () => {
    const { posts, value } = interaction(0, { dmsClosed: true });
    const summary: IngestSummary = { ...SUMMARY, skipped: [{ origin: 'private/notes.md', reason: 'not UTF-8' }], skippedCount: 1 };
    const running = runIngestCommand(value, services(() => new Promise((resolve) => setTimeout(() => resolve(summary), 20 * 60_000))), { kind: 'all' }, 'the corpus and feeds');
    await vi.advanceTimersByTimeAsync(21 * 60_000);
    await running;
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatch(/^<@555>, your ingest ended \(I could not send you the details by direct message\)\. Ingest of the corpus and feeds finished in 12\.3 s: 3 added, .*1 skipped\.$/);
    expect(posts[0]).not.toContain('private/notes.md');
  });

  it('no progress edit replaces the hand-over note in the last second of the window, wherever the 5-second progress ticks fall', async () => {
    // Created 4.5 s before the command ran: a progress tick falls 0.5 s after the hand-over edit.
    const { edits, posts, value } = interaction(4_500);
    const { running, report, finish } = startIngest(value, { kind: 'all' }, 'the corpus and feeds');
    report('4,000 of 90,000 articles');
    // To just after the hand-over edit (1 s before the 14-minute window ends).
    await vi.advanceTimersByTimeAsync(14 * 60_000 - 4_500 - 1_000 + 100);
    expect(edits.at(-1)).toMatch(/^Still ingesting the corpus and feeds: 4,000 of 90,000 articles\. /);
    report('5,000 of 90,000 articles');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(edits.at(-1)).toMatch(/^Still ingesting the corpus and feeds: 4,000 of 90,000 articles\. .* I will send you the summary by direct message when it ends\.$/);
    finish(SUMMARY);
    await running;
    expect(posts).toEqual([]);
  });

  it('shows progress for a URL as long as the option allows (2,000 characters): no edit is over Discord\'s limit', async () => {
    const { edits, value } = interaction();
    const url = `https://news.example/${'a'.repeat(1_978)}`;
    const { running, report, finish } = startIngest(value, { kind: 'url', url }, `<${url}>`);
    report('fetching the page');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatch(/^Ingesting <https:\/\/news\.example\/a+/);
    finish(SUMMARY);
    await running;
    expect(edits).toHaveLength(2);
  });
});

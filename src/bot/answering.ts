import { ChannelType, MessageFlags, type ChatInputCommandInteraction, type Message } from 'discord.js';
import type { ConversationTurn } from '../answer/conversation.js';
import type { Metrics } from '../core/metrics.js';
import type { Answer } from '../core/types.js';
import { answerButtons } from './buttons.js';
import { NO_MENTIONS } from './commands/command.js';
import { formatAnswerForDiscord, splitMessage, threadName } from './format.js';
import { visibleScopes, type ScopeFilter } from '../store/ports.js';
import type { BotServices, BotSettings } from './services.js';
import { ThrottledEditor } from './streaming.js';

/** The reply to a question the news cannot answer yet because the first reading still runs. */
export function stillReading(progress: string): string {
  return `I'm still reading the news for the first time (${progress}); ask again in a minute.`;
}

/** Counts an answer in the metrics: its outcome and latency, and the language model's calls, tokens and fallback. */
function observeAnswer(metrics: Metrics, answer: Answer, stillReadingNews: boolean, seconds: number): void {
  metrics.questions.inc({ outcome: stillReadingNews ? 'still_reading' : answer.mode === 'none' ? 'refused' : 'answered' });
  metrics.answerSeconds.observe({ mode: answer.mode }, seconds);
  if (answer.llmCalls) {
    const failed = answer.llmFallback ? answer.llmCalls : answer.llmCalls - 1;
    if (failed > 0) metrics.llmCalls.inc({ outcome: 'error' }, failed);
    if (!answer.llmFallback) metrics.llmCalls.inc({ outcome: 'ok' });
  }
  if (answer.llmFallback) metrics.llmFallbacks.inc({ reason: answer.llmFallback });
  if (answer.usage) {
    metrics.llmTokens.inc({ kind: 'prompt' }, answer.usage.promptTokens);
    metrics.llmTokens.inc({ kind: 'completion' }, answer.usage.completionTokens);
  }
}

/** The messages of an answer: its text split to Discord's limit, with the buttons under the last one. */
function answerMessages(answer: Answer, answerId: string): { content: string; components: ReturnType<typeof answerButtons> }[] {
  const parts = splitMessage(formatAnswerForDiscord(answer));
  const buttons = answerButtons(answerId, answer.citations.length > 0);
  return parts.map((content, i) => ({ content, components: i === parts.length - 1 ? buttons : [] }));
}

/**
 * Answers a question where it was asked: into a slash command's deferred reply (streamed by
 * throttled edits), or as a reply to a mention (with a thread opened on it for follow-ups).
 * Every answer is recorded in the answer log (for the buttons and thread history), split at
 * Discord's limit, and carries the Sources and feedback buttons under its last part.
 */
export class Answering {
  private readonly services: BotServices;
  private readonly settings: Pick<BotSettings, 'editIntervalMs'>;

  constructor(services: BotServices, settings: Pick<BotSettings, 'editIntervalMs'>) {
    this.services = services;
    this.settings = settings;
  }

  /** Answers into an interaction's deferred reply; the other parts follow it (private when `ephemeral`). */
  async answerInteraction(interaction: ChatInputCommandInteraction, question: string, ephemeral: boolean): Promise<void> {
    const editor = new ThrottledEditor(
      (content) => interaction.editReply({ content, allowedMentions: NO_MENTIONS }),
      this.settings.editIntervalMs,
      (error) => this.services.logger.warn('streaming edit failed', { error: String(error) }),
    );
    const answer = await this.collect(question, { scopes: visibleScopes(interaction.guildId) }, editor);
    const id = this.services.log.record(question, answer, { userId: interaction.user.id, guildId: interaction.guildId, channelId: interaction.channelId, private: ephemeral });
    const [first, ...rest] = answerMessages(answer, id);
    await interaction.editReply({ ...(first ?? { content: '…', components: [] }), allowedMentions: NO_MENTIONS });
    for (const part of rest) {
      await interaction.followUp({ ...part, allowedMentions: NO_MENTIONS, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
    }
  }

  /**
   * Answers a mention with a reply in its channel. In a thread the bot opened, the thread's
   * earlier questions and answers give the follow-up its context; elsewhere a thread is opened on
   * the answer, named with the question.
   */
  async answerMention(message: Message, question: string, botUserId: string): Promise<void> {
    const channel = message.channel;
    const inThread = channel.isThread() && channel.ownerId === botUserId;
    if ('sendTyping' in channel) await channel.sendTyping().catch(() => {});
    const history = inThread ? this.services.log.threadHistory(channel.id) : [];
    const answer = await this.collect(question, { history, scopes: visibleScopes(message.guildId) }, null);
    const id = this.services.log.record(question, answer, {
      userId: message.author.id,
      guildId: message.guildId,
      channelId: message.channelId,
      threadId: inThread ? channel.id : null,
    });
    const [head, ...rest] = answerMessages(answer, id);
    const first = await message.reply({ ...head!, allowedMentions: NO_MENTIONS });
    for (const part of rest) {
      if (!('send' in channel)) break;
      await channel.send({ ...part, allowedMentions: NO_MENTIONS });
    }
    if (!inThread && channel.type === ChannelType.GuildText) {
      try {
        const thread = await first.startThread({ name: threadName(question) });
        this.services.log.setThread(id, thread.id);
      } catch (error) {
        this.services.logger.warn('could not open a thread for the answer', { error: String(error) });
      }
    }
  }

  /** Runs the answer stream into a throttled editor (when given); returns the final answer. */
  private async collect(question: string, options: { history?: ConversationTurn[]; scopes: ScopeFilter }, editor: ThrottledEditor | null): Promise<Answer> {
    const started = performance.now();
    let answer: Answer | undefined;
    try {
      for await (const event of this.services.answers.askStream(question, options)) {
        if (event.type === 'delta') editor?.append(event.text);
        else if (event.type === 'reset') editor?.reset();
        else answer = event.answer;
      }
    } finally {
      await editor?.stop();
    }
    // Nothing found while the first reading of the news still runs: say so, never "couldn't find".
    const reading = answer!.mode === 'none' ? this.services.firstReading?.() : null;
    if (this.services.metrics) observeAnswer(this.services.metrics, answer!, reading !== null && reading !== undefined, (performance.now() - started) / 1000);
    if (reading) return { ...answer!, text: stillReading(reading), notes: [] };
    return answer!;
  }
}

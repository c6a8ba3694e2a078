import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RESTJSONErrorCodes } from 'discord.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { flattenErrors, isEmptyMessage, messageErrors, threadErrors, type FormErrors } from './discord-limits.js';
import { watchRuleBreaks, type RuleBreak, type RuleBreakSource } from './rule-breaks.js';

/** A request the fake Discord REST API received. */
export interface RestCall {
  method: string;
  /** Path after /api/v10, decoded (so @original reads as such). */
  path: string;
  body: Record<string, unknown> | unknown[] | null;
  authorization: string | undefined;
  at: number;
}

/** Timings the fake enforces; tests shorten them to reach a limit quickly. */
export interface FakeDiscordOptions {
  /** heartbeat_interval sent in HELLO (Discord: 41,250 ms). */
  heartbeatIntervalMs?: number;
  /** How long an interaction's webhook token (edit, follow-up, delete) works after dispatch (Discord: 15 min). */
  tokenTtlMs?: number;
  /** How long after dispatch an interaction may be acknowledged (Discord: 3 s). */
  ackDeadlineMs?: number;
  /** The shard count GET /gateway/bot recommends (Discord: one per 1,000 guilds; here 1 unless set). */
  recommendedShards?: number;
  /** session_start_limit.max_concurrency of GET /gateway/bot: identifies allowed per 5 s (Discord: 1 for most bots). */
  maxConcurrency?: number;
}

/** A slash command option's value: a string, a boolean, an integer, or a channel. */
export type CommandOptionValue = string | boolean | number | { channel: string };

/** A server the bot is in, with one text channel. */
export interface FakeGuild {
  id: string;
  channelId: string;
  name: string;
}

/** A gateway shard as [shard_id, num_shards], as IDENTIFY and READY carry it. */
export type ShardTuple = [number, number];

/** The shard a guild's events go to, as Discord assigns it: (guild_id >> 22) % num_shards. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** One gateway WebSocket and the shard it identified as (null until IDENTIFY or RESUME). */
interface Connection {
  ws: WebSocket;
  session: Session | null;
}

/** A gateway session: its shard and the last sequence number sent (kept for RESUME). */
interface Session {
  id: string;
  shard: ShardTuple;
  seq: number;
}

/** A reaction the bot added. */
export interface Reaction {
  channelId: string;
  messageId: string;
  emoji: string;
  at: number;
}

interface User {
  id: string;
  username: string;
  bot?: boolean;
}

/** What the fake knows of one interaction it dispatched. */
interface InteractionState {
  id: string;
  token: string;
  kind: 'command' | 'component';
  channelId: string;
  /** For a component interaction: the message holding the component (what types 6 and 7 edit). */
  componentMessageId: string | null;
  dispatchedAt: number;
  callbacks: number;
  acknowledged: { at: number; type: number; ephemeral: boolean } | null;
  originalId: string | null;
  originalDeleted: boolean;
  followUps: Set<string>;
  timer: NodeJS.Timeout | null;
}

type Body = Record<string, unknown>;
/** What a route handler answers: a status and a JSON body (none for 204). */
interface Answer {
  status: number;
  data?: unknown;
  headers?: Record<string, string>;
}

const EVERYONE_PERMISSIONS = '1071698660929'; // view, send, read history, use commands...
const MANAGE_GUILD = 1n << 5n;
const EPHEMERAL = 64;
const LOADING = 128;
/** Callback types each interaction kind may answer with (pong and autocomplete never apply here). */
const CALLBACK_TYPES = { command: new Set([4, 5, 9]), component: new Set([4, 5, 6, 7, 9]) } as const;
/** A custom emoji `name:id`, or a short run of unicode emoji (pictographs, flags, keycaps). */
function isEmoji(text: string): boolean {
  if (/^[\w~-]+:\d+$/.test(text)) return true;
  return text.length <= 16 && !/[\s:/]/.test(text) && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u.test(text);
}

/** Discord's epoch (2015-01-01): a snowflake's top bits are milliseconds since it. */
const DISCORD_EPOCH = 1_420_070_400_000n;
let snowflake = 0n;
/**
 * A fresh Discord id: a real snowflake, so discord.js reads the time it was made from it (an
 * interaction's `createdTimestamp`, from which the bot knows how long its token still works).
 */
export function nextId(): string {
  snowflake = [snowflake + 1n, (BigInt(Date.now()) - DISCORD_EPOCH) << 22n].reduce((a, b) => (a > b ? a : b));
  return snowflake.toString();
}

/**
 * A fake Discord on 127.0.0.1: the REST v10 routes the bot uses plus a gateway WebSocket speaking
 * HELLO / IDENTIFY / READY / GUILD_CREATE / heartbeats / RESUME, driven by the real discord.js
 * Client. Tests inject interactions and messages and read what the bot sent.
 *
 * It shards as Discord does: the bot may open several gateway connections, each identifying as
 * `shard: [id, count]`; a guild belongs to shard (guild_id >> 22) % count, and its READY entry,
 * GUILD_CREATE, interactions and messages go to that shard's connection only (DMs to shard 0).
 * GET /gateway/bot recommends `recommendedShards`. There is one guild unless `addGuild` adds more.
 *
 * It enforces what Discord enforces, answering with Discord's status and JSON error
 * (`{ message, code, errors? }`): an interaction is acknowledged once (40060) within 3 s of
 * dispatch (else 10062); its webhook token works for 15 minutes (else 401, 50027); message, embed,
 * component and thread-name limits (50035 with an `errors` tree); empty messages (50006); unknown
 * channels, messages and emoji. Every such refusal is recorded as a rule break, and so is every
 * break of the bot's own rules that Discord would accept: a message without `allowed_mentions`
 * parsing nothing, a reply that pings its author, a non-ephemeral part of a private answer or
 * notice. Every test file fails on a recorded break (tests/helpers/setup-rule-checks.ts); a test
 * that breaks a rule on purpose takes its breaks with `takeRuleBreaks()`.
 */
export class FakeDiscord implements RuleBreakSource {
  readonly appId = '111111111111111111';
  readonly bot: User = { id: '111111111111111111', username: 'newsbot', bot: true };
  /** The first server (every test's default) and its channel; `addGuild` adds more. */
  readonly guildId = '222222222222222222';
  readonly channelId = '333333333333333333';
  readonly moderatorRoleId = '444444444444444444';
  /** Every server the bot is in, by id. */
  readonly guilds = new Map<string, FakeGuild>();
  /** Every IDENTIFY received: the shard it asked for, when. */
  readonly identified: { shard: ShardTuple; at: number }[] = [];
  readonly calls: RestCall[] = [];
  readonly gatewayOps: number[] = [];
  /** Date.now() of every heartbeat (op 1) received. */
  readonly heartbeatTimes: number[] = [];
  /** Reactions the bot added (PUT .../reactions/{emoji}/@me). */
  readonly reactions: Reaction[] = [];
  identifies = 0;
  resumes = 0;
  readonly heartbeatIntervalMs: number;
  readonly tokenTtlMs: number;
  readonly ackDeadlineMs: number;
  readonly recommendedShards: number;
  readonly maxConcurrency: number;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly sessions = new Map<string, Session>();
  private readonly httpSockets = new Set<Socket>();
  /** Channel id -> the guild it is in. */
  private readonly channelGuild = new Map<string, string>();
  private readonly rateLimits: { match: (c: RestCall) => boolean; retryAfterS: number; remaining: number }[] = [];
  private readonly failures: { match: (c: RestCall) => boolean; status: number; remaining: number }[] = [];
  private readonly threads = new Map<string, { id: string; parentId: string; name: string }>();
  /** Direct-message channels the bot opened: channel id -> the user's id. */
  readonly dmChannels = new Map<string, string>();
  /** Channels the bot may no longer post in (see `lockChannel`). */
  private readonly lockedChannels = new Set<string>();
  /** Forum channels (type 15): no messages of their own, a post is a thread opened with its first message. */
  private readonly forums = new Set<string>();
  /** Users who accept no direct messages from the bot: sending to them gets 403 / 50007, as on Discord. */
  readonly dmsClosed = new Set<string>();
  private readonly messages = new Map<string, Body>();
  private readonly interactions = new Map<string, InteractionState>();
  private readonly byToken = new Map<string, InteractionState>();
  private breaks: RuleBreak[] = [];
  private stopped = false;

  constructor(options: FakeDiscordOptions = {}) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.tokenTtlMs = options.tokenTtlMs ?? 15 * 60_000;
    this.ackDeadlineMs = options.ackDeadlineMs ?? 3_000;
    this.recommendedShards = options.recommendedShards ?? 1;
    this.maxConcurrency = options.maxConcurrency ?? 1;
    this.registerGuild({ id: this.guildId, channelId: this.channelId, name: 'Test Server' });
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.httpSockets.add(s);
      s.on('close', () => this.httpSockets.delete(s));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    watchRuleBreaks(this);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The REST base for `new Client({ rest: { api } })`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const i of this.interactions.values()) if (i.timer) clearTimeout(i.timer);
    for (const c of this.connections) c.ws.terminate();
    for (const s of this.httpSockets) s.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Rule breaks recorded and not yet taken. */
  get ruleBreaks(): readonly RuleBreak[] {
    return this.breaks;
  }

  /** Returns the rule breaks recorded since the last call and forgets them. */
  takeRuleBreaks(): RuleBreak[] {
    const taken = this.breaks;
    this.breaks = [];
    return taken;
  }

  /** When the fake dispatched an interaction (Date.now()), or undefined for an unknown id. */
  dispatchedAt(interactionId: string): number | undefined {
    return this.interactions.get(interactionId)?.dispatchedAt;
  }

  /** The next `count` calls matching get HTTP 429 with Retry-After. */
  rateLimit(match: (c: RestCall) => boolean, retryAfterS = 0.3, count = 1): void {
    this.rateLimits.push({ match, retryAfterS, remaining: count });
  }

  /** The next `count` calls matching get an HTTP error status (e.g. 502). */
  failNext(match: (c: RestCall) => boolean, status = 500, count = 1): void {
    this.failures.push({ match, status, remaining: count });
  }

  /** Drops every gateway connection abruptly (the client should resume). */
  dropGateway(): void {
    for (const c of this.connections) c.ws.terminate();
  }

  /**
   * Adds a server (with one text channel) the bot is in; `onShard` picks its id so that Discord's
   * rule puts it on that shard of that many. Add guilds before the bot connects: READY and
   * GUILD_CREATE announce them.
   */
  addGuild(options: { onShard?: ShardTuple } = {}): FakeGuild {
    const [shard, count] = options.onShard ?? [0, 1];
    // (id >> 22) is the id's timestamp part: step it until it lands on the shard.
    let high = BigInt(nextId()) >> 22n;
    while (high % BigInt(count) !== BigInt(shard)) high++;
    const id = ((high << 22n) | BigInt(this.guilds.size)).toString();
    return this.registerGuild({ id, channelId: nextId(), name: `Test Server ${this.guilds.size + 1}` });
  }

  /** The shards connected now (identified or resumed, socket open), in connection order. */
  connectedShards(): ShardTuple[] {
    return [...this.connections].filter((c) => c.session && c.ws.readyState === c.ws.OPEN).map((c) => c.session!.shard);
  }

  private registerGuild(guild: FakeGuild): FakeGuild {
    this.guilds.set(guild.id, guild);
    this.channelGuild.set(guild.channelId, guild.id);
    return guild;
  }

  /** The guild a channel or thread is in (the default guild for an unknown channel). */
  private guildOfChannel(channelId: string): FakeGuild {
    const thread = this.threads.get(channelId);
    const guildId = this.channelGuild.get(thread ? thread.parentId : channelId);
    return (guildId && this.guilds.get(guildId)) || this.guilds.get(this.guildId)!;
  }

  private guild(id: string | undefined): FakeGuild {
    const guild = this.guilds.get(id ?? this.guildId);
    if (!guild) throw new Error(`fake discord: no guild ${id}`);
    return guild;
  }

  /** Calls so far matching a method and a path pattern. */
  find(method: string, path: RegExp): RestCall[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path));
  }

  /** Waits until a call matching method and path arrives after `since` (an index into calls). */
  async waitFor(method: string, path: RegExp, options: { since?: number; timeoutMs?: number; where?: (c: RestCall) => boolean } = {}): Promise<RestCall> {
    const end = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const hit = this.calls.slice(options.since ?? 0).find((c) => c.method === method && path.test(c.path) && (options.where?.(c) ?? true));
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`timed out waiting for ${method} ${path}; saw:\n${this.calls.map((c) => `${c.method} ${c.path}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until no REST call has arrived for `quietMs` (the bot has finished reacting), at most `timeoutMs`. */
  async settle(quietMs = 400, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const last = this.calls[this.calls.length - 1]?.at ?? 0;
      if (Date.now() - last >= quietMs || Date.now() > end) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Sends a gateway dispatch as Discord routes it: an event of a guild to the connection of that
   * guild's shard only, any other event (a DM) to shard 0. Returns how many connections received it.
   */
  dispatch(t: string, d: unknown): number {
    const guildId = (d as Body | null)?.['guild_id'];
    let sent = 0;
    for (const c of this.connections) {
      if (!c.session) continue;
      const [shard, count] = c.session.shard;
      if ((typeof guildId === 'string' ? shardOf(guildId, count) : 0) !== shard) continue;
      if (this.sendEvent(c, t, d)) sent++;
    }
    return sent;
  }

  /** Sends a dispatch (op 0) on one connection with its session's next sequence number. */
  private sendEvent(c: Connection, t: string, d: unknown): boolean {
    return this.send(c.ws, { op: 0, t, s: ++c.session!.seq, d });
  }

  private send(ws: WebSocket, payload: unknown): boolean {
    if (ws.readyState !== ws.OPEN) return false;
    ws.send(JSON.stringify(payload));
    return true;
  }

  private member(user: User, roles: string[], permissions: bigint) {
    return {
      user: { id: user.id, username: user.username, discriminator: '0', global_name: user.username, avatar: null, bot: user.bot ?? false },
      roles,
      permissions: permissions.toString(),
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      nick: null,
      avatar: null,
      premium_since: null,
      communication_disabled_until: null,
    };
  }

  private guildPayload(guild: FakeGuild) {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: '999999999999999999',
      unavailable: false,
      large: false,
      member_count: 2,
      joined_at: '2024-01-01T00:00:00.000Z',
      features: [],
      roles: [
        { id: guild.id, name: '@everyone', permissions: EVERYONE_PERMISSIONS, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
        { id: this.moderatorRoleId, name: 'News mods', permissions: EVERYONE_PERMISSIONS, position: 1, color: 0, hoist: false, managed: false, mentionable: true, flags: 0 },
      ],
      channels: [{ id: guild.channelId, type: 0, name: 'news', position: 0, permission_overwrites: [], parent_id: null, topic: null, nsfw: false }],
      threads: [...this.threads.values()].filter((t) => this.guildOfChannel(t.id).id === guild.id).map((t) => this.threadPayload(t)),
      members: [this.member(this.bot, [], BigInt(EVERYONE_PERMISSIONS))],
      emojis: [],
      stickers: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      premium_tier: 0,
      preferred_locale: 'en-US',
      system_channel_flags: 0,
      nsfw_level: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      premium_progress_bar_enabled: false,
    };
  }

  private threadPayload(t: { id: string; parentId: string; name: string }) {
    return {
      id: t.id,
      type: 11,
      guild_id: this.guildOfChannel(t.parentId).id,
      parent_id: t.parentId,
      owner_id: this.bot.id,
      name: t.name,
      last_message_id: null,
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
      total_message_sent: 0,
      flags: 0,
    };
  }

  /**
   * One gateway connection: HELLO, then IDENTIFY (as `shard: [id, count]`, [0, 1] when absent)
   * starts a session that gets READY and a GUILD_CREATE for each guild of that shard only;
   * RESUME continues a known session (else op 9, Invalid Session).
   */
  private onGateway(ws: WebSocket): void {
    const connection: Connection = { ws, session: null };
    this.connections.add(connection);
    ws.on('close', () => this.connections.delete(connection));
    this.send(ws, { op: 10, s: null, t: null, d: { heartbeat_interval: this.heartbeatIntervalMs } });
    ws.on('message', (raw) => {
      const payload = JSON.parse(raw.toString()) as { op: number; d: Record<string, unknown> };
      this.gatewayOps.push(payload.op);
      switch (payload.op) {
        case 1:
          this.heartbeatTimes.push(Date.now());
          this.send(ws, { op: 11, s: null, t: null, d: null });
          break;
        case 2:
          this.identify(connection, payload.d);
          break;
        case 6: {
          const session = this.sessions.get(String(payload.d['session_id']));
          if (!session) {
            this.send(ws, { op: 9, s: null, t: null, d: false });
            break;
          }
          this.resumes++;
          connection.session = session;
          this.sendEvent(connection, 'RESUMED', {});
          break;
        }
        default:
          break;
      }
    });
  }

  private identify(connection: Connection, d: Record<string, unknown>): void {
    const [shard, count] = Array.isArray(d['shard']) ? (d['shard'] as ShardTuple) : [0, 1];
    if (!Number.isInteger(shard) || !Number.isInteger(count) || count < 1 || shard < 0 || shard >= count) {
      connection.ws.close(4010, 'Invalid shard');
      return;
    }
    this.identifies++;
    this.identified.push({ shard: [shard, count], at: Date.now() });
    const session: Session = { id: 'session-' + Math.random().toString(36).slice(2), shard: [shard, count], seq: 0 };
    this.sessions.set(session.id, session);
    connection.session = session;
    const guilds = [...this.guilds.values()].filter((g) => shardOf(g.id, count) === shard);
    this.sendEvent(connection, 'READY', {
      v: 10,
      user: { id: this.bot.id, username: this.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true, verified: true, flags: 0 },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.gatewayUrl,
      application: { id: this.appId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      shard: [shard, count],
    });
    setTimeout(() => {
      for (const g of guilds) if (connection.session === session) this.sendEvent(connection, 'GUILD_CREATE', this.guildPayload(g));
    }, 10);
  }

  /** Fields every guild interaction payload carries (channel, member, permissions, entitlements). */
  private interactionContext(member: ReturnType<FakeDiscord['member']>, guild: FakeGuild, channelId = guild.channelId) {
    const thread = this.threads.get(channelId);
    return {
      guild_id: guild.id,
      channel_id: channelId,
      channel: thread
        ? { id: channelId, type: 11, name: thread.name, guild_id: guild.id, parent_id: thread.parentId, permissions: EVERYONE_PERMISSIONS }
        : { id: channelId, type: 0, name: 'news', guild_id: guild.id, permissions: EVERYONE_PERMISSIONS },
      member,
      app_permissions: EVERYONE_PERMISSIONS,
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guild.id },
      context: 0,
      attachment_size_limit: 10485760,
    };
  }

  /**
   * Dispatches an interaction and remembers it: its dispatch time starts the acknowledgement
   * deadline and the token's lifetime. An interaction a connected client received and never
   * acknowledged is a rule break once the deadline passes (the user saw "This interaction failed").
   */
  private dispatchInteraction(kind: InteractionState['kind'], payload: Body & { id: string; token: string }): { id: string; token: string; at: number } {
    const message = payload['message'] as Body | undefined;
    if (message?.['id'] !== undefined && !this.messages.has(String(message['id']))) this.messages.set(String(message['id']), { ...message });
    const state: InteractionState = {
      id: payload.id,
      token: payload.token,
      kind,
      channelId: String(payload['channel_id']),
      componentMessageId: message?.['id'] !== undefined ? String(message['id']) : null,
      dispatchedAt: Date.now(),
      callbacks: 0,
      acknowledged: null,
      originalId: null,
      originalDeleted: false,
      followUps: new Set(),
      timer: null,
    };
    this.interactions.set(state.id, state);
    this.byToken.set(state.token, state);
    const received = this.dispatch('INTERACTION_CREATE', payload);
    if (received > 0) {
      state.timer = setTimeout(() => {
        state.timer = null;
        if (this.stopped || state.callbacks > 0) return;
        this.breaks.push({
          kind: 'protocol',
          rule: 'no-acknowledgement',
          method: 'INTERACTION_CREATE',
          path: `interaction ${state.id}`,
          detail: `never acknowledged within ${this.ackDeadlineMs} ms: the user saw "This interaction failed"`,
          at: Date.now(),
        });
      }, this.ackDeadlineMs + 100);
      state.timer.unref();
    }
    return { id: state.id, token: state.token, at: state.dispatchedAt };
  }

  /**
   * Sends a slash command from a user (in the default guild unless `guildId`); returns the
   * interaction's id, token and dispatch time. `name` may name a subcommand ("brief set"), or
   * `as.subcommand` give it (as Discord nests them, the options are that subcommand's). Option
   * values: a string, a boolean, an integer, or `{ channel: id }` (a channel option, resolved as
   * Discord resolves it).
   */
  interaction(
    name: string,
    options: Record<string, CommandOptionValue>,
    as: { user?: User; roles?: string[]; permissions?: bigint; guildId?: string; subcommand?: string } = {},
  ): { id: string; token: string; at: number } {
    const guild = this.guild(as.guildId);
    const id = nextId();
    const user = as.user ?? { id: '555555555555555555', username: 'reader' };
    const permissions = as.permissions ?? BigInt(EVERYONE_PERMISSIONS);
    const [command, subcommand] = name.split(' ') as [string, string | undefined];
    const channels: Record<string, Body> = {};
    const values = Object.entries(options).map(([k, v]) => {
      if (typeof v === 'object') {
        channels[v.channel] = { id: v.channel, type: this.forums.has(v.channel) ? 15 : 0, name: 'news', guild_id: this.guildOfChannel(v.channel).id, permissions: EVERYONE_PERMISSIONS };
        return { name: k, type: 7, value: v.channel };
      }
      return { name: k, type: typeof v === 'boolean' ? 5 : typeof v === 'number' ? 4 : 3, value: v };
    });
    return this.dispatchInteraction('command', {
      id,
      application_id: this.appId,
      type: 2,
      token: `tok-${id}`,
      version: 1,
      data: {
        id: `cmd-${command}`,
        name: command,
        type: 1,
        guild_id: guild.id,
        options: (subcommand ?? as.subcommand) ? [{ name: subcommand ?? as.subcommand, type: 1, options: values }] : values,
        ...(Object.keys(channels).length ? { resolved: { channels } } : {}),
      },
      ...this.interactionContext(this.member(user, as.roles ?? [], permissions), guild),
    });
  }

  /** Adds a text channel to a server (the default one unless `guildId`); returns its id. */
  addChannel(guildId: string = this.guildId): string {
    const id = nextId();
    this.channelGuild.set(id, this.guild(guildId).id);
    return id;
  }

  /** Adds a forum channel to a server (the default one unless `guildId`); returns its id. */
  addForumChannel(guildId: string = this.guildId): string {
    const id = this.addChannel(guildId);
    this.forums.add(id);
    return id;
  }

  /** Posts (threads with their first message) the bot opened in a forum channel, oldest first. */
  forumPosts(forumId: string): RestCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${forumId}/threads`);
  }

  /**
   * Takes away the bot's right to post in a channel (a moderator changed its permissions): posts
   * there get 403 / 50013 Missing Permissions, as on Discord. Not a rule break: the bot cannot
   * know before it tries.
   */
  lockChannel(channelId: string): void {
    this.lockedChannels.add(channelId);
  }

  /** Gives the bot back its right to post in a channel locked with `lockChannel`. */
  unlockChannel(channelId: string): void {
    this.lockedChannels.delete(channelId);
  }

  /** Messages the bot posted in a channel or thread (not interaction replies), oldest first. */
  postedIn(channelId: string): RestCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`);
  }

  /** Clicks a button on a message the bot sent. */
  button(customId: string, message: Record<string, unknown>, as: { user?: User } = {}): { id: string; token: string; at: number } {
    const id = nextId();
    const user = as.user ?? { id: '555555555555555555', username: 'reader' };
    const channelId = String(message['channel_id'] ?? this.channelId);
    return this.dispatchInteraction('component', {
      id,
      application_id: this.appId,
      type: 3,
      token: `tok-${id}`,
      version: 1,
      data: { custom_id: customId, component_type: 2 },
      message: { ...message, channel_id: channelId },
      ...this.interactionContext(this.member(user, [], BigInt(EVERYONE_PERMISSIONS)), this.guildOfChannel(channelId), channelId),
    });
  }

  /**
   * A user posts a message (mentioning the bot when `mention` is true) in a channel or thread
   * (default: the channel of `guildId`, or of the default guild); returns its id.
   */
  message(content: string, options: { mention?: boolean; channelId?: string; guildId?: string; user?: User } = {}): string {
    const channelId = options.channelId ?? this.guild(options.guildId).channelId;
    const id = nextId();
    const user = options.user ?? { id: '555555555555555555', username: 'reader' };
    const mention = options.mention ?? true;
    const message = {
      id,
      channel_id: channelId,
      ...(this.dmChannels.has(channelId) ? {} : { guild_id: this.guildOfChannel(channelId).id }),
      author: { id: user.id, username: user.username, discriminator: '0', global_name: null, avatar: null, bot: user.bot ?? false },
      member: { roles: [], joined_at: '2024-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 },
      content: mention ? `<@${this.bot.id}> ${content}` : content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: mention ? [{ id: this.bot.id, username: this.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true }] : [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
      components: [],
    };
    this.messages.set(id, message);
    this.dispatch('MESSAGE_CREATE', message);
    return id;
  }

  private messagePayload(channelId: string, body: Body, extra: Body = {}): Body {
    const message: Body = {
      id: nextId(),
      channel_id: channelId,
      ...(this.dmChannels.has(channelId) ? {} : { guild_id: this.guildOfChannel(channelId).id }),
      author: { id: this.bot.id, username: this.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true },
      content: body['content'] ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: body['embeds'] ?? [],
      pinned: false,
      type: 0,
      flags: body['flags'] ?? 0,
      components: body['components'] ?? [],
      ...extra,
    };
    this.messages.set(String(message['id']), message);
    return message;
  }

  /** Applies an edit to a stored message (content, embeds, components; flags never change). */
  private editMessage(message: Body, body: Body): Body {
    for (const key of ['content', 'embeds', 'components', 'attachments'] as const) if (body[key] !== undefined) message[key] = body[key];
    message['edited_timestamp'] = new Date().toISOString();
    return message;
  }

  private knownChannel(id: string): boolean {
    return this.channelGuild.has(id) || this.threads.has(id) || this.dmChannels.has(id);
  }

  /** POST /users/@me/channels: opens (or finds) the direct-message channel with a user. */
  private onOpenDm(body: Body): Answer {
    const userId = String(body['recipient_id'] ?? '');
    let id = [...this.dmChannels].find(([, user]) => user === userId)?.[0];
    if (!id) {
      id = nextId();
      this.dmChannels.set(id, userId);
    }
    return { status: 200, data: { id, type: 1, last_message_id: null, recipients: [{ id: userId, username: 'reader', discriminator: '0', global_name: null, avatar: null }] } };
  }

  /** A refusal as Discord words it, recorded as a protocol rule break. */
  private refuse(call: RestCall, rule: string, status: number, code: number, message: string, detail: string, errors?: FormErrors): Answer {
    this.breaks.push({ kind: 'protocol', rule, method: call.method, path: call.path, status, code, detail, at: Date.now() });
    return { status, data: errors ? { message, code, errors } : { message, code } };
  }

  /** 400 / 50035 Invalid Form Body with the errors tree. */
  private invalidForm(call: RestCall, errors: FormErrors): Answer {
    return this.refuse(call, 'invalid-form-body', 400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, 'Invalid Form Body', flattenErrors(errors).join('; '), errors);
  }

  private emptyMessage(call: RestCall): Answer {
    return this.refuse(call, 'empty-message', 400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message', 'no content, embeds, components or files');
  }

  private policy(call: RestCall, rule: string, detail: string): void {
    this.breaks.push({ kind: 'policy', rule, method: call.method, path: call.path, detail, at: Date.now() });
  }

  /**
   * The bot's own rules for anything it posts: no mention can ping (allowed_mentions present,
   * parsing nothing, listing nobody) and a reply does not ping the replied-to author.
   */
  private checkMentions(call: RestCall, body: Body, isReply: boolean): void {
    const am = body['allowed_mentions'] as Body | undefined | null;
    if (!am) {
      this.policy(call, 'allowed-mentions', 'no allowed_mentions: Discord would parse every mention in the text');
      return;
    }
    const parse = am['parse'];
    if (!Array.isArray(parse) || parse.length > 0) this.policy(call, 'allowed-mentions', `allowed_mentions.parse is ${JSON.stringify(parse)}, not []`);
    for (const kind of ['users', 'roles'] as const) {
      const ids = am[kind];
      if (Array.isArray(ids) && ids.length > 0) this.policy(call, 'allowed-mentions', `allowed_mentions.${kind} lists ${ids.length} id(s)`);
    }
    if (isReply && am['replied_user'] !== false) this.policy(call, 'replied-user', 'a reply without allowed_mentions.replied_user: false pings its author');
  }

  /** POST /interactions/{id}/{token}/callback */
  private onCallback(call: RestCall, id: string, token: string, body: Body, withResponse: boolean): Answer {
    const i = this.interactions.get(id);
    if (!i || i.token !== token) return this.refuse(call, 'unknown-interaction', 404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction', 'no interaction with this id and token');
    i.callbacks++;
    const age = call.at - i.dispatchedAt;
    if (i.acknowledged) {
      return this.refuse(call, 'already-acknowledged', 400, RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged, 'Interaction has already been acknowledged.', `acknowledged ${call.at - i.acknowledged.at} ms earlier (type ${i.acknowledged.type})`);
    }
    if (age > this.ackDeadlineMs) {
      return this.refuse(call, 'ack-deadline', 404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction', `acknowledged ${age} ms after dispatch; Discord allows ${this.ackDeadlineMs} ms`);
    }
    const type = Number(body['type']);
    if (!CALLBACK_TYPES[i.kind].has(type)) {
      return this.invalidForm(call, { type: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: `Value must be one of {${[...CALLBACK_TYPES[i.kind]].join(', ')}}.` }] } });
    }
    const data = (body['data'] ?? {}) as Body;
    const flags = Number(data['flags'] ?? 0);
    if (type === 4 || type === 7) {
      const errors = messageErrors(data);
      if (errors) return this.invalidForm(call, { data: errors });
      if (type === 4 && isEmptyMessage(data)) return this.emptyMessage(call);
      this.checkMentions(call, data, false);
      if (type === 4 && !(flags & EPHEMERAL)) this.policy(call, 'private-notice', 'an immediate reply (type 4) is a notice for one user and must carry the ephemeral flag (64)');
    }
    const ephemeral = (type === 4 || type === 5) && (flags & EPHEMERAL) === EPHEMERAL;
    i.acknowledged = { at: call.at, type, ephemeral };
    let message: Body | null = null;
    if (type === 4 || type === 5) {
      message = this.messagePayload(i.channelId, type === 5 ? { flags: flags | LOADING } : data, { webhook_id: this.appId, application_id: this.appId, interaction_token: token });
      i.originalId = String(message['id']);
    } else if ((type === 6 || type === 7) && i.componentMessageId) {
      // A component update acts on the message holding the component: it becomes @original.
      i.originalId = i.componentMessageId;
      message = this.messages.get(i.originalId) ?? null;
      if (message && type === 7) this.editMessage(message, data);
    }
    if (!withResponse) return { status: 204 };
    return {
      status: 200,
      data: {
        interaction: { id, type: i.kind === 'command' ? 2 : 3, activity_instance_id: null, response_message_id: i.originalId, response_message_loading: type === 5, response_message_ephemeral: ephemeral },
        resource: { type, ...(message ? { message } : {}) },
      },
    };
  }

  /** /webhooks/{app}/{token}[/messages/{@original|id}]: follow-ups and edits of an interaction's replies. */
  private onWebhook(call: RestCall, appId: string, token: string, messageRef: string | undefined, body: Body): Answer | null {
    if (appId !== this.appId) return this.refuse(call, 'unknown-webhook', 404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook', `no application ${appId}`);
    const i = this.byToken.get(token);
    if (!i) return this.refuse(call, 'invalid-webhook-token', 401, RESTJSONErrorCodes.InvalidWebhookToken, 'Invalid Webhook Token', 'no interaction has this token');
    const age = call.at - i.dispatchedAt;
    if (age > this.tokenTtlMs) {
      return this.refuse(call, 'token-expired', 401, RESTJSONErrorCodes.InvalidWebhookToken, 'Invalid Webhook Token', `used ${age} ms after the interaction; its token lasts ${this.tokenTtlMs} ms`);
    }
    if (!i.acknowledged) return this.refuse(call, 'not-acknowledged', 404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook', 'the interaction has not been acknowledged yet');
    const extra = { webhook_id: this.appId, application_id: this.appId };
    if (messageRef === undefined) {
      if (call.method !== 'POST') return null;
      const errors = messageErrors(body);
      if (errors) return this.invalidForm(call, errors);
      if (isEmptyMessage(body)) return this.emptyMessage(call);
      this.checkMentions(call, body, false);
      const ephemeral = (Number(body['flags'] ?? 0) & EPHEMERAL) === EPHEMERAL;
      if (i.acknowledged.ephemeral && !ephemeral) this.policy(call, 'private-follow-up', 'a follow-up of a private (ephemeral) reply must carry the ephemeral flag (64)');
      else if (i.originalDeleted && !ephemeral) this.policy(call, 'private-notice', 'a follow-up that replaces a deleted public reply is a notice and must carry the ephemeral flag (64)');
      const message = this.messagePayload(i.channelId, body, extra);
      i.followUps.add(String(message['id']));
      return { status: 200, data: message };
    }
    const targetId = messageRef === '@original' ? (i.originalDeleted ? null : i.originalId) : i.followUps.has(messageRef) ? messageRef : null;
    const message = targetId ? this.messages.get(targetId) : undefined;
    if (!message) return this.refuse(call, 'unknown-message', 404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message', `no message ${messageRef} for this interaction`);
    if (call.method === 'GET') return { status: 200, data: message };
    if (call.method === 'DELETE') {
      this.messages.delete(targetId!);
      if (messageRef === '@original') i.originalDeleted = true;
      else i.followUps.delete(messageRef);
      return { status: 204 };
    }
    if (call.method !== 'PATCH') return null;
    const errors = messageErrors(body);
    if (errors) return this.invalidForm(call, errors);
    if (isEmptyMessage({ ...message, ...body })) return this.emptyMessage(call);
    this.checkMentions(call, body, false);
    const edited = this.editMessage(message, body);
    if (messageRef === '@original' && Number(edited['flags']) & LOADING) edited['flags'] = Number(edited['flags']) & ~LOADING;
    return { status: 200, data: edited };
  }

  /** /channels/{channel}/messages...: posts, replies, edits, threads and reactions in a channel. */
  private onChannel(call: RestCall, channelId: string, rest: string, body: Body): Answer | null {
    if (!this.knownChannel(channelId)) return this.refuse(call, 'unknown-channel', 404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel', `no channel ${channelId}`);
    let m: RegExpExecArray | null;
    if (rest === '/typing' && call.method === 'POST') return { status: 204 };
    if (rest === '/threads' && call.method === 'POST') return this.onForumPost(call, channelId, body);
    if (rest === '/messages' && call.method === 'POST' && this.forums.has(channelId)) {
      return this.refuse(call, 'channel-type', 400, RESTJSONErrorCodes.CannotSendMessagesInNonTextChannel, 'Cannot send messages in a non-text channel', 'a forum channel takes posts (threads), not messages');
    }
    if (rest === '/messages' && call.method === 'POST') {
      // Not the bot's fault: the user closed their DMs (Discord: 403 / 50007).
      const dmUser = this.dmChannels.get(channelId);
      if (dmUser && this.dmsClosed.has(dmUser)) return { status: 403, data: { message: 'Cannot send messages to this user', code: RESTJSONErrorCodes.CannotSendMessagesToThisUser } };
      if (this.lockedChannels.has(channelId)) return { status: 403, data: { message: 'Missing Permissions', code: RESTJSONErrorCodes.MissingPermissions } };
      const errors = messageErrors(body) ?? {};
      const reference = body['message_reference'] as Body | undefined;
      if (reference) {
        const target = this.messages.get(String(reference['message_id']));
        if ((!target || target['channel_id'] !== channelId) && reference['fail_if_not_exists'] !== false) {
          errors['message_reference'] = { _errors: [{ code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', message: 'Unknown message' }] };
        }
      }
      if (Object.keys(errors).length) return this.invalidForm(call, errors);
      if (isEmptyMessage(body)) return this.emptyMessage(call);
      this.checkMentions(call, body, Boolean(reference));
      return { status: 200, data: this.messagePayload(channelId, body, reference ? { message_reference: reference, type: 19 } : {}) };
    }
    if (!(m = /^\/messages\/(\d+)(\/.*)?$/.exec(rest))) return null;
    const messageId = m[1]!;
    const sub = m[2] ?? '';
    const message = this.messages.get(messageId);
    if (!message || message['channel_id'] !== channelId) return this.refuse(call, 'unknown-message', 404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message', `no message ${messageId} in channel ${channelId}`);
    const own = (message['author'] as Body)['id'] === this.bot.id;
    if (sub === '' && call.method === 'PATCH') {
      if (!own) return this.refuse(call, 'not-author', 403, RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser, 'Cannot edit a message authored by another user', 'the bot may edit only its own messages');
      const errors = messageErrors(body);
      if (errors) return this.invalidForm(call, errors);
      if (isEmptyMessage({ ...message, ...body })) return this.emptyMessage(call);
      this.checkMentions(call, body, message['message_reference'] !== undefined);
      return { status: 200, data: this.editMessage(message, body) };
    }
    if (sub === '' && call.method === 'DELETE') {
      this.messages.delete(messageId);
      return { status: 204 };
    }
    if (sub === '/threads' && call.method === 'POST') {
      if (this.threads.has(channelId)) return this.refuse(call, 'channel-type', 400, RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType, 'Cannot execute action on this channel type', 'a thread cannot hold another thread');
      const errors = threadErrors(body);
      if (errors) return this.invalidForm(call, errors);
      if (this.threads.has(messageId)) return this.refuse(call, 'thread-exists', 400, RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage, 'A thread has already been created for this message', `message ${messageId}`);
      const thread = { id: messageId, parentId: channelId, name: String(body['name']) };
      this.threads.set(thread.id, thread);
      const payload = this.threadPayload(thread);
      setTimeout(() => this.dispatch('THREAD_CREATE', { ...payload, newly_created: true }), 5);
      return { status: 201, data: payload };
    }
    if ((m = /^\/reactions\/([^/]+)\/@me$/.exec(sub)) && (call.method === 'PUT' || call.method === 'DELETE')) {
      const emoji = m[1]!;
      if (!isEmoji(emoji)) return this.refuse(call, 'unknown-emoji', 400, RESTJSONErrorCodes.UnknownEmoji, 'Unknown Emoji', `"${emoji}" is not an emoji`);
      if (call.method === 'PUT') this.reactions.push({ channelId, messageId, emoji, at: call.at });
      return { status: 204 };
    }
    return null;
  }

  /** POST /channels/{forum}/threads: a forum post, a thread opened with its first message (Discord's rules: a name, a valid message). */
  private onForumPost(call: RestCall, forumId: string, body: Body): Answer {
    if (!this.forums.has(forumId)) {
      return this.refuse(call, 'channel-type', 400, RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType, 'Cannot execute action on this channel type', 'only a forum post is opened without a message here');
    }
    if (this.lockedChannels.has(forumId)) return { status: 403, data: { message: 'Missing Permissions', code: RESTJSONErrorCodes.MissingPermissions } };
    const message = body['message'] as Body | undefined;
    const errors = { ...(threadErrors(body) ?? {}), ...(message ? (messageErrors(message) ?? {}) : {}) };
    if (Object.keys(errors).length) return this.invalidForm(call, errors);
    if (!message || isEmptyMessage(message)) return this.emptyMessage(call);
    this.checkMentions(call, message, false);
    const thread = { id: nextId(), parentId: forumId, name: String(body['name']) };
    this.threads.set(thread.id, thread);
    const payload = this.threadPayload(thread);
    const first = this.messagePayload(thread.id, message);
    setTimeout(() => this.dispatch('THREAD_CREATE', { ...payload, newly_created: true }), 5);
    return { status: 201, data: { ...payload, message: first } };
  }

  private route(call: RestCall, query: URLSearchParams): Answer {
    const { path, method } = call;
    const body = (call.body ?? {}) as Body;
    let m: RegExpExecArray | null;
    let answer: Answer | null = null;
    if (method === 'GET' && path === '/gateway/bot') {
      answer = {
        status: 200,
        data: { url: this.gatewayUrl, shards: this.recommendedShards, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: this.maxConcurrency } },
      };
    } else if (method === 'GET' && path === '/applications/@me') {
      answer = { status: 200, data: { id: this.appId, name: 'newsbot', icon: null, description: '', bot_public: true, bot_require_code_grant: false, verify_key: 'x', flags: 0 } };
    } else if (method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      const commands = (call.body ?? []) as Body[];
      answer = { status: 200, data: commands.map((c) => ({ ...c, id: nextId(), application_id: this.appId, version: '1', type: 1, default_member_permissions: c['default_member_permissions'] ?? null })) };
    } else if (method === 'POST' && (m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      answer = this.onCallback(call, m[1]!, m[2]!, body, query.get('with_response') === 'true');
    } else if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
      answer = this.onWebhook(call, m[1]!, m[2]!, m[3], body);
    } else if (method === 'POST' && path === '/users/@me/channels') {
      answer = this.onOpenDm(body);
    } else if ((m = /^\/channels\/(\d+)(\/.*)$/.exec(path))) {
      answer = this.onChannel(call, m[1]!, m[2]!, body);
    }
    if (answer) return answer;
    return this.refuse(call, 'unknown-route', 404, RESTJSONErrorCodes.GeneralError, `fake discord: no route for ${method} ${path}`, 'the fake does not know this route: add it, or the bot calls something Discord does not have');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    let body: RestCall['body'] = null;
    if (raw) {
      const type = req.headers['content-type'] ?? '';
      if (type.includes('multipart/form-data')) {
        const json = /name="payload_json"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(raw);
        body = json ? (JSON.parse(json[1]!) as Record<string, unknown>) : null;
      } else {
        body = JSON.parse(raw) as RestCall['body'];
      }
    }
    const call: RestCall = { method: req.method ?? 'GET', path, body, authorization: req.headers.authorization, at: Date.now() };
    this.calls.push(call);
    const answer = this.injected(call) ?? this.route(call, url.searchParams);
    if (answer.status === 204) {
      // A 204 must carry no JSON content type, or the client tries to parse an empty body.
      res.writeHead(204, answer.headers);
      res.end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.data));
  }

  /** A 429 or an error status a test asked for (not a rule break: the test made the fault). */
  private injected(call: RestCall): Answer | null {
    const limit = this.rateLimits.find((r) => r.remaining > 0 && r.match(call));
    if (limit) {
      limit.remaining--;
      return {
        status: 429,
        data: { message: 'You are being rate limited.', retry_after: limit.retryAfterS, global: false },
        headers: {
          'retry-after': String(limit.retryAfterS),
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset-after': String(limit.retryAfterS),
          'x-ratelimit-bucket': 'fake-bucket',
          'x-ratelimit-scope': 'user',
        },
      };
    }
    const failure = this.failures.find((f) => f.remaining > 0 && f.match(call));
    if (failure) {
      failure.remaining--;
      return { status: failure.status, data: { message: 'fake upstream error', code: 0 } };
    }
    return null;
  }

  /** Gateway permissions bit for Manage Server. */
  static readonly MANAGE_GUILD = MANAGE_GUILD | BigInt(EVERYONE_PERMISSIONS);
}

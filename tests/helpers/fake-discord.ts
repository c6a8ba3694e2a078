import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A request the fake Discord REST API received. */
export interface RestCall {
  method: string;
  /** Path after /api/v10, decoded (so @original reads as such). */
  path: string;
  body: Record<string, unknown> | unknown[] | null;
  authorization: string | undefined;
  at: number;
}

interface User {
  id: string;
  username: string;
  bot?: boolean;
}

const EVERYONE_PERMISSIONS = '1071698660929'; // view, send, read history, use commands...
const MANAGE_GUILD = 1n << 5n;

let snowflake = 900000000000000000n;
/** A fresh Discord-style id. */
export function nextId(): string {
  snowflake += 1n;
  return snowflake.toString();
}

/**
 * A fake Discord on 127.0.0.1: the REST v10 routes the bot uses plus a gateway WebSocket speaking
 * HELLO / IDENTIFY / READY / GUILD_CREATE / heartbeats / RESUME, driven by the real discord.js
 * Client. Tests inject interactions and messages and read what the bot sent.
 */
export class FakeDiscord {
  readonly appId = '111111111111111111';
  readonly bot: User = { id: '111111111111111111', username: 'newsbot', bot: true };
  readonly guildId = '222222222222222222';
  readonly channelId = '333333333333333333';
  readonly moderatorRoleId = '444444444444444444';
  readonly calls: RestCall[] = [];
  readonly gatewayOps: number[] = [];
  identifies = 0;
  resumes = 0;
  /** Date.now() of each gateway heartbeat (op 1) received. */
  readonly heartbeatTimes: number[] = [];
  private readonly heartbeatIntervalMs: number;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly httpSockets = new Set<Socket>();
  private seq = 0;
  private readonly sessionId = 'session-' + Math.random().toString(36).slice(2);
  private readonly rateLimits: { match: (c: RestCall) => boolean; retryAfterS: number; remaining: number }[] = [];
  private readonly failures: { match: (c: RestCall) => boolean; status: number; remaining: number }[] = [];
  private readonly threads = new Map<string, { id: string; parentId: string; name: string }>();
  private readonly messages = new Map<string, Record<string, unknown>>();

  constructor(options: { heartbeatIntervalMs?: number } = {}) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
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
    for (const ws of this.sockets) ws.terminate();
    for (const s of this.httpSockets) s.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
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
    for (const ws of this.sockets) ws.terminate();
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

  /** Sends a gateway dispatch to every connected client. */
  dispatch(t: string, d: unknown): void {
    for (const ws of this.sockets) this.send(ws, { op: 0, t, s: ++this.seq, d });
  }

  private send(ws: WebSocket, payload: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
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

  private guildPayload() {
    return {
      id: this.guildId,
      name: 'Test Server',
      icon: null,
      owner_id: '999999999999999999',
      unavailable: false,
      large: false,
      member_count: 2,
      joined_at: '2024-01-01T00:00:00.000Z',
      features: [],
      roles: [
        { id: this.guildId, name: '@everyone', permissions: EVERYONE_PERMISSIONS, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
        { id: this.moderatorRoleId, name: 'News mods', permissions: EVERYONE_PERMISSIONS, position: 1, color: 0, hoist: false, managed: false, mentionable: true, flags: 0 },
      ],
      channels: [{ id: this.channelId, type: 0, name: 'news', position: 0, permission_overwrites: [], parent_id: null, topic: null, nsfw: false }],
      threads: [...this.threads.values()].map((t) => this.threadPayload(t)),
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
      guild_id: this.guildId,
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

  private onGateway(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
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
          this.identifies++;
          this.send(ws, {
            op: 0,
            t: 'READY',
            s: ++this.seq,
            d: {
              v: 10,
              user: { id: this.bot.id, username: this.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true, verified: true, flags: 0 },
              guilds: [{ id: this.guildId, unavailable: true }],
              session_id: this.sessionId,
              resume_gateway_url: this.gatewayUrl,
              application: { id: this.appId, flags: 0 },
              private_channels: [],
              relationships: [],
              presences: [],
              shard: [0, 1],
            },
          });
          setTimeout(() => this.send(ws, { op: 0, t: 'GUILD_CREATE', s: ++this.seq, d: this.guildPayload() }), 10);
          break;
        case 6:
          this.resumes++;
          this.send(ws, { op: 0, t: 'RESUMED', s: ++this.seq, d: {} });
          break;
        default:
          break;
      }
    });
  }

  /** Fields every guild interaction payload carries (channel, member, permissions, entitlements). */
  private interactionContext(member: ReturnType<FakeDiscord['member']>) {
    return {
      guild_id: this.guildId,
      channel_id: this.channelId,
      channel: { id: this.channelId, type: 0, name: 'news', guild_id: this.guildId, permissions: EVERYONE_PERMISSIONS },
      member,
      app_permissions: EVERYONE_PERMISSIONS,
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: 10485760,
    };
  }

  /** Sends a slash command from a user; returns the interaction's id and token. */
  interaction(
    name: string,
    options: Record<string, string | boolean>,
    as: { user?: User; roles?: string[]; permissions?: bigint } = {},
  ): { id: string; token: string } {
    const id = nextId();
    const token = `tok-${id}`;
    const user = as.user ?? { id: '555555555555555555', username: 'reader' };
    const permissions = as.permissions ?? BigInt(EVERYONE_PERMISSIONS);
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.appId,
      type: 2,
      token,
      version: 1,
      data: {
        id: `cmd-${name}`,
        name,
        type: 1,
        guild_id: this.guildId,
        options: Object.entries(options).map(([k, v]) => ({ name: k, type: typeof v === 'boolean' ? 5 : 3, value: v })),
      },
      ...this.interactionContext(this.member(user, as.roles ?? [], permissions)),
    });
    return { id, token };
  }

  /** Clicks a button on a message the bot sent. */
  button(customId: string, message: Record<string, unknown>, as: { user?: User } = {}): { id: string; token: string } {
    const id = nextId();
    const token = `tok-${id}`;
    const user = as.user ?? { id: '555555555555555555', username: 'reader' };
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: this.appId,
      type: 3,
      token,
      version: 1,
      data: { custom_id: customId, component_type: 2 },
      message: { ...message, channel_id: message['channel_id'] ?? this.channelId },
      ...this.interactionContext(this.member(user, [], BigInt(EVERYONE_PERMISSIONS))),
    });
    return { id, token };
  }

  /** A user posts a message (mentioning the bot when `mention` is true). */
  message(content: string, options: { mention?: boolean; channelId?: string; user?: User } = {}): string {
    const id = nextId();
    const user = options.user ?? { id: '555555555555555555', username: 'reader' };
    const mention = options.mention ?? true;
    this.dispatch('MESSAGE_CREATE', {
      id,
      channel_id: options.channelId ?? this.channelId,
      guild_id: this.guildId,
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
    });
    return id;
  }

  private messagePayload(channelId: string, body: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const message = {
      id: nextId(),
      channel_id: channelId,
      guild_id: this.guildId,
      author: { id: this.bot.id, username: this.bot.username, discriminator: '0', global_name: null, avatar: null, bot: true },
      content: body['content'] ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: body['flags'] ?? 0,
      components: body['components'] ?? [],
      ...extra,
    };
    this.messages.set(message.id, message);
    return message;
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
    const json = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(data));
    };
    const empty = () => {
      // A 204 must carry no JSON content type, or the client tries to parse an empty body.
      res.writeHead(204);
      res.end();
    };
    const limit = this.rateLimits.find((r) => r.remaining > 0 && r.match(call));
    if (limit) {
      limit.remaining--;
      json(429, { message: 'You are being rate limited.', retry_after: limit.retryAfterS, global: false }, {
        'retry-after': String(limit.retryAfterS),
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset-after': String(limit.retryAfterS),
        'x-ratelimit-bucket': 'fake-bucket',
        'x-ratelimit-scope': 'user',
      });
      return;
    }
    const failure = this.failures.find((f) => f.remaining > 0 && f.match(call));
    if (failure) {
      failure.remaining--;
      json(failure.status, { message: 'fake upstream error', code: 0 });
      return;
    }
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (call.method === 'GET' && path === '/gateway/bot') {
      return json(200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
    }
    if (call.method === 'GET' && path === '/applications/@me') {
      return json(200, { id: this.appId, name: 'newsbot', icon: null, description: '', bot_public: true, bot_require_code_grant: false, verify_key: 'x', flags: 0 });
    }
    if (call.method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      return json(200, (body as Record<string, unknown>[]).map((c) => ({ ...c, id: nextId(), application_id: this.appId, version: '1', type: 1, default_member_permissions: c['default_member_permissions'] ?? null })));
    }
    if (call.method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      return empty();
    }
    if ((m = /^\/webhooks\/\d+\/([^/]+)\/messages\/@original$/.exec(path))) {
      if (call.method === 'DELETE') return empty();
      return json(200, this.messagePayload(this.channelId, b, { webhook_id: this.appId, application_id: this.appId, interaction_token: m[1] }));
    }
    if (call.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(path)) {
      return json(200, this.messagePayload(this.channelId, b, { webhook_id: this.appId, application_id: this.appId }));
    }
    if (call.method === 'POST' && (m = /^\/channels\/(\d+)\/typing$/.exec(path))) return empty();
    if (call.method === 'POST' && (m = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path))) {
      const thread = { id: m[2]!, parentId: m[1]!, name: String(b['name'] ?? 'thread') };
      this.threads.set(thread.id, thread);
      const payload = this.threadPayload(thread);
      json(201, payload);
      setTimeout(() => this.dispatch('THREAD_CREATE', { ...payload, newly_created: true }), 5);
      return;
    }
    if (call.method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) {
      return json(200, this.messagePayload(m[1]!, b, b['message_reference'] ? { message_reference: b['message_reference'], type: 19 } : {}));
    }
    json(404, { message: `fake discord: no route for ${call.method} ${path}`, code: 0 });
  }

  /** Gateway permissions bit for Manage Server. */
  static readonly MANAGE_GUILD = MANAGE_GUILD | BigInt(EVERYONE_PERMISSIONS);
}

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One scripted reply of the fake chat-completions server. */
export type FakeReply =
  | { kind: 'json'; content: string; usage?: { prompt_tokens: number; completion_tokens: number }; delayMs?: number }
  | {
      kind: 'stream';
      deltas: string[];
      usage?: { prompt_tokens: number; completion_tokens: number };
      cutAfter?: number;
      delayMs?: number;
      chunkDelayMs?: number;
      /** Sends the first delta, then waits for this before the rest (an answer held in progress until the test lets it go). */
      holdAfterFirst?: Promise<unknown>;
    }
  | { kind: 'error'; status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  | { kind: 'garbage'; delayMs?: number };

/** A request the fake server received. */
export interface FakeRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: {
    model: string;
    stream?: boolean;
    messages: { role: string; content: string }[];
    [key: string]: unknown;
  };
}

/**
 * A local HTTP server speaking the OpenAI chat-completions API (JSON and SSE streaming) on
 * 127.0.0.1, answering from a script: each request takes the next reply; the last one repeats.
 */
export class FakeOpenAI {
  readonly requests: FakeRequest[] = [];
  private script: FakeReply[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Starts listening; returns the base URL to give the SDK (…/v1). */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `${this.url}/v1`;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Replaces the script. */
  reply(...replies: FakeReply[]): void {
    this.script = replies;
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private next(): FakeReply {
    const reply = this.script.length > 1 ? this.script.shift()! : this.script[0];
    if (!reply) throw new Error('FakeOpenAI: no reply scripted');
    return reply;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const body = JSON.parse(raw) as FakeRequest['body'];
    this.requests.push({ path: req.url, headers: req.headers, body });
    const reply = this.next();
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    const id = `chatcmpl-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    switch (reply.kind) {
      case 'error':
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify({ error: { message: reply.message ?? `error ${reply.status}`, type: 'server_error', code: null } }));
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices": [ this is not json');
        return;
      case 'json': {
        const usage = reply.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id, object: 'chat.completion', created, model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' }],
            usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
          }),
        );
        return;
      }
      case 'stream': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
        const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
          id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }],
        });
        send(chunk({ role: 'assistant', content: '' }, null));
        for (let i = 0; i < reply.deltas.length; i++) {
          if (reply.cutAfter !== undefined && i >= reply.cutAfter) {
            // Let what was written reach the client, then drop the connection mid-stream.
            await new Promise((r) => setTimeout(r, 50));
            res.socket?.destroy();
            return;
          }
          send(chunk({ content: reply.deltas[i] }, null));
          if (i === 0 && reply.holdAfterFirst) await reply.holdAfterFirst;
          if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
        }
        send(chunk({}, 'stop'));
        const usage = reply.usage ?? { prompt_tokens: 100, completion_tokens: reply.deltas.length };
        send({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
        res.end('data: [DONE]\n\n');
        return;
      }
    }
  }
}

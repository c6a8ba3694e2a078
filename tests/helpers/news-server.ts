import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local web server with scripted pages (feeds, articles, broken responses). */
export class NewsServer {
  readonly hits: string[] = [];
  private readonly routes = new Map<string, { status?: number; type?: string; body: string | Buffer; delayMs?: number; headers?: Record<string, string> }>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  set(path: string, body: string | Buffer, options: { status?: number; type?: string; delayMs?: number; headers?: Record<string, string> } = {}): void {
    this.routes.set(path, { body, ...options });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.hits.push(`${path} ${req.headers['user-agent'] ?? ''}`);
    const route = this.routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.delayMs) await new Promise((r) => setTimeout(r, route.delayMs));
    if (res.destroyed) return;
    res.writeHead(route.status ?? 200, { 'content-type': route.type ?? 'text/html; charset=utf-8', ...route.headers });
    res.end(route.body);
  }
}

/** An article page with the given headline, date and paragraphs. */
export function articlePage(title: string, date: string, paragraphs: string[], extra = ''): string {
  return `<!doctype html><html><head><title>${title} | Local News</title><meta property="og:title" content="${title}"><meta property="article:published_time" content="${date}T09:00:00Z"><meta property="og:site_name" content="Local News">${extra}</head>
<body><nav><a href="/">Home</a> Sections Menu</nav><article><h1>${title}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</article><footer>© Local News</footer><script>track()</script></body></html>`;
}

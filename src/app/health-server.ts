import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';

/** One part of the health check: ok, or why not. */
export interface HealthCheck {
  ok: boolean;
  /** What was found ("connected", "not connected (reconnecting)", "open: 312 articles"). */
  detail: string;
}

/** The health of the process: every check must pass for a 200. */
export type HealthReport = Record<string, HealthCheck>;

/** The health server: `/healthz` and `/metrics` on one port. */
export interface HealthServer {
  /** The port it listens on (the configured one, or the one taken for port 0). */
  port: number;
  close(): Promise<void>;
}

/** How long one health check may take before it counts as failed (a store that hangs is not healthy). */
export const HEALTH_CHECK_TIMEOUT_MS = 3_000;

/** Runs the checks, each bounded by HEALTH_CHECK_TIMEOUT_MS; a check that throws or hangs fails with its reason. */
async function runChecks(checks: Record<string, () => Promise<HealthCheck> | HealthCheck>): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, HealthCheck]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<HealthCheck>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms` }), HEALTH_CHECK_TIMEOUT_MS);
      });
      try {
        return [name, await Promise.race([Promise.resolve().then(check), timeout])];
      } catch (error) {
        return [name, { ok: false, detail: error instanceof Error ? error.message : String(error) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Serves `/healthz` (200 with `{"status":"ok","checks":{...}}` when every check passes, 503 with
 * `{"status":"unavailable",...}` naming the failing ones otherwise) and `/metrics` (Prometheus
 * text, prom-client) on host:port (loopback by default: see HEALTH_HOST). Anything else is 404;
 * only GET and HEAD are answered. Resolves once it listens.
 */
export async function startHealthServer(options: {
  port: number;
  host: string;
  checks: Record<string, () => Promise<HealthCheck> | HealthCheck>;
  /** The bot's metrics, or (under a shard manager) any source of Prometheus text. */
  metrics: Pick<Metrics, 'text' | 'contentType'>;
  logger: Logger;
}): Promise<HealthServer> {
  const { checks, metrics, logger } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'text/plain', 'method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      void runChecks(checks).then((report) => {
        const ok = Object.values(report).every((c) => c.ok);
        send(ok ? 200 : 503, 'application/json', JSON.stringify({ status: ok ? 'ok' : 'unavailable', checks: report }) + '\n');
      });
      return;
    }
    if (path === '/metrics') {
      metrics
        .text()
        .then((text) => send(200, metrics.contentType, text))
        .catch((error: unknown) => {
          logger.error('collecting metrics failed', { error });
          send(500, 'text/plain', 'metrics unavailable\n');
        });
      return;
    }
    send(404, 'text/plain', 'not found: try /healthz or /metrics\n');
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ConfigError(`HEALTH_PORT: cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})`, { cause: error })),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(`health and metrics on http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port} (/healthz, /metrics)`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The store check: it answers a stats query (a closed or unreachable store fails, with its error). */
export function storeCheck(stats: () => Promise<{ articles: number }>): () => Promise<HealthCheck> {
  return async () => {
    const { articles } = await stats();
    return { ok: true, detail: `open: ${articles} articles` };
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_CHECK_TIMEOUT_MS, startHealthServer, storeCheck, type HealthServer } from '../../src/app/health-server.js';
import { ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { Metrics } from '../../src/core/metrics.js';

describe('health server', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const start = async (checks: Parameters<typeof startHealthServer>[0]['checks'], metrics = new Metrics({ processMetrics: false })) => {
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', checks, metrics, logger: silentLogger });
    servers.push(server);
    return (route: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${route}`, init);
  };

  it('/healthz is 200 when every check passes and 503 naming the failing one (a thrown error, a hung check) otherwise', async () => {
    let connected = true;
    const get = await start({
      gateway: () => (connected ? { ok: true, detail: 'connected' } : { ok: false, detail: 'not connected' }),
      store: storeCheck(async () => ({ articles: 12 })),
    });
    const ok = await get('/healthz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', checks: { gateway: { ok: true, detail: 'connected' }, store: { ok: true, detail: 'open: 12 articles' } } });
    connected = false;
    const down = await get('/healthz');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', checks: { gateway: { ok: false, detail: 'not connected' }, store: { ok: true, detail: 'open: 12 articles' } } });

    const broken = await start({ store: storeCheck(async () => Promise.reject(new Error('The database connection was closed'))) });
    const failed = await broken('/healthz');
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ status: 'unavailable', checks: { store: { ok: false, detail: 'The database connection was closed' } } });
  });

  it(`a check that hangs fails after ${HEALTH_CHECK_TIMEOUT_MS} ms instead of hanging the probe`, async () => {
    const get = await start({ store: () => new Promise(() => {}) });
    const response = await get('/healthz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', checks: { store: { ok: false, detail: `no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms` } } });
  });

  it('/metrics is Prometheus text with the bot\'s counters; other paths 404, other methods 405', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.questions.inc({ outcome: 'refused' });
    metrics.observeQueue(() => ({ running: 2, waiting: 5 }));
    const get = await start({}, metrics);
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^# TYPE newsbot_questions_total counter$/m);
    expect(text).toMatch(/^newsbot_questions_total\{outcome="refused"\} 1$/m);
    expect(text).toMatch(/^newsbot_answer_queue_depth\{state="waiting"\} 5$/m);
    expect((await get('/')).status).toBe(404);
    expect((await get('/healthz', { method: 'POST' })).status).toBe(405);
  });

  it('a port in use is a configuration error naming HEALTH_PORT', async () => {
    const get = await start({});
    const port = Number(new URL((await get('/healthz')).url).port);
    await expect(startHealthServer({ port, host: '127.0.0.1', checks: {}, metrics: new Metrics({ processMetrics: false }), logger: silentLogger })).rejects.toThrow(ConfigError);
    await expect(startHealthServer({ port, host: '127.0.0.1', checks: {}, metrics: new Metrics({ processMetrics: false }), logger: silentLogger })).rejects.toThrow(/HEALTH_PORT: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  });
});

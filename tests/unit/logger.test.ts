import { describe, expect, it } from 'vitest';
import { createLogger, registerSecret } from '../../src/core/logger.js';

describe('logger', () => {
  it('text format: "level message key=value" lines at or above the level', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.debug('hidden');
    log.info('ingest finished', { added: 3, kind: 'corpus' });
    expect(lines).toEqual(['info  ingest finished added=3 kind="corpus"']);
  });

  it('json format (LOG_FORMAT=json): one parseable object a line with level, time, msg and the fields; errors as type, message and stack', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l), 'json');
    log.debug('hidden');
    log.warn('feed poll failed', { feed: 'https://example.com/rss', error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), skipped: undefined });
    log.error('plain');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: 'warn', msg: 'feed poll failed', feed: 'https://example.com/rss', error: { type: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' } });
    expect(String((first['error'] as Record<string, unknown>)['stack'])).toMatch(/^Error: connect ECONNREFUSED\n\s+at /);
    expect(new Date(String(first['time'])).getTime()).not.toBeNaN();
    expect(first).not.toHaveProperty('skipped');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', msg: 'plain' });
  });

  it('masks registered secrets in both formats, in messages, fields and error stacks', () => {
    registerSecret('sk-test-logger-secret-123');
    for (const format of ['text', 'json'] as const) {
      const lines: string[] = [];
      const log = createLogger('info', (l) => lines.push(l), format);
      log.info('key sk-test-logger-secret-123 used', { header: 'Bearer sk-test-logger-secret-123', error: new Error('bad key sk-test-logger-secret-123') });
      expect(lines.join('\n')).not.toContain('sk-test-logger-secret-123');
      expect(lines.join('\n')).toContain('[redacted]');
      if (format === 'json') expect(() => JSON.parse(lines[0]!)).not.toThrow();
    }
  });
});

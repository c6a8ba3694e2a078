import { pino } from 'pino';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A leveled logger that writes one line per event. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Values that must never reach a log line (tokens, keys). */
const secrets = new Set<string>();

/** Registers a secret so that every later log line masks it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

/** Replaces registered secrets in a string with a mask. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * JSON of a value with registered secrets masked in every string inside it (keys and values),
 * for anything printed or stored as JSON (`ask --json`, the answer log).
 */
export function redactedJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redact(v) : v), space);
}

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (value instanceof Error) {
      parts.push(`${key}=${JSON.stringify(value.stack ?? value.message)}`);
    } else {
      parts.push(`${key}=${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value)}`);
    }
  }
  return parts.length ? ' ' + parts.join(' ') : '';
}

/** How log lines are written: readable `level message key=value` text, or one JSON object a line. */
export type LogFormat = 'text' | 'json';

/**
 * A field's value as JSON can carry it: an error becomes its type, message, code and stack (JSON
 * has no Error), anything else is kept as is.
 */
function jsonField(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { type: value.name, message: value.message, ...(code !== undefined ? { code } : {}), stack: value.stack };
}

/**
 * One JSON object a line through pino (`LOG_FORMAT=json`): `level` as its name, `time` as an ISO
 * string, `msg`, then the fields; registered secrets are masked in the whole line, as in text.
 */
function createJsonLogger(level: LogLevel, write: (line: string) => void): Logger {
  const destination = { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) };
  const log = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: redact },
      // Errors are turned into plain objects here (jsonField), under whatever key they come.
      serializers: { err: (value: unknown) => value },
    },
    destination,
  );
  const emit = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (!fields) {
      log[lvl](message);
      return;
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = jsonField(value);
    log[lvl](out, message);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * Creates a logger writing to a stream (stderr by default): `level message key=value` lines, or
 * with `format` 'json' one JSON object a line (pino). Registered secrets are masked either way.
 */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  format: LogFormat = 'text',
): Logger {
  if (format === 'json') return createJsonLogger(level, write);
  const threshold = ORDER[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    write(redact(`${lvl.padEnd(5)} ${message}${formatFields(fields)}`));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that drops everything (for tests and library defaults). */
export const silentLogger: Logger = createLogger('silent');

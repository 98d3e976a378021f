import { SeverityNumber } from '@opentelemetry/api';
import type { LogLevelName } from '../config.ts';

export type { LogLevelName };

/**
 * The old console Logger's numeric levels (utils/logger.ts), kept for old
 * call sites: `new Logger('X', LogLevel.DEBUG)`, `logger.setLevel(LogLevel.WARN)`.
 * A plain object rather than a TypeScript enum (the build allows only
 * erasable syntax); it keeps the enum's reverse mapping (`LogLevel[0] === 'DEBUG'`).
 */
export const LogLevel: {
  readonly DEBUG: 0;
  readonly INFO: 1;
  readonly WARN: 2;
  readonly ERROR: 3;
  readonly [n: number]: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
} = Object.freeze({ DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, 0: 'DEBUG', 1: 'INFO', 2: 'WARN', 3: 'ERROR' } as const);
export type LogLevel = 0 | 1 | 2 | 3;

/**
 * The structured logger's level names (`LogEntry.level`). The old monitoring
 * package exported its `LogLevel` type under this name.
 */
export const StructuredLogLevel = Object.freeze({ DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const);
export type StructuredLogLevel = LogLevelName;

export const LEVEL_NAMES: readonly LogLevelName[] = Object.freeze(['debug', 'info', 'warn', 'error'] as const);
/** Upper-case names, as the text line and the LogRecord's severityText carry them. */
export const LEVEL_TEXT: readonly string[] = Object.freeze(['DEBUG', 'INFO', 'WARN', 'ERROR']);
/** OTel severity numbers (logs data model): DEBUG=5, INFO=9, WARN=13, ERROR=17. */
export const LEVEL_SEVERITY: readonly SeverityNumber[] = Object.freeze([
  SeverityNumber.DEBUG,
  SeverityNumber.INFO,
  SeverityNumber.WARN,
  SeverityNumber.ERROR,
]);

/** Level name -> number; accepts names in any case and the numeric levels 0..3. */
export function levelNumber(level: LogLevelName | LogLevel | string | number): LogLevel | undefined {
  if (typeof level === 'number') return Number.isInteger(level) && level >= 0 && level <= 3 ? (level as LogLevel) : undefined;
  if (typeof level !== 'string') return undefined;
  const i = LEVEL_NAMES.indexOf(level.trim().toLowerCase() as LogLevelName);
  return i < 0 ? undefined : (i as LogLevel);
}

/** Like `levelNumber`, but misuse throws a precise message (definition-time API). */
export function requireLevel(level: unknown, what: string): LogLevel {
  const n = levelNumber(level as string);
  if (n === undefined) {
    throw new TypeError(
      `@wundr/otel: ${what} must be one of ${LEVEL_NAMES.join('|')} (or LogLevel.DEBUG..ERROR = 0..3); got ${describe(level)}`,
    );
  }
  return n;
}

export function isLogLevelName(v: unknown): v is LogLevelName {
  return typeof v === 'string' && (LEVEL_NAMES as readonly string[]).includes(v);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return String(v);
  return Object.prototype.toString.call(v);
}

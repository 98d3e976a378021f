/**
 * The process-wide logging settings every StructuredLogger reads: format,
 * redaction rules, destination and the OTel logger. Set by the SDK's logging
 * feature from the configuration; when no SDK was started (the package used
 * as a library without the preload) they are read from process.env on first
 * use. Each change bumps the level registry's version, which is what the
 * loggers compare on every call.
 */
import { isatty } from 'node:tty';
import { diag, logs, type Logger as OtelLogger } from '@opentelemetry/api';
import { loadConfig, type LogFormat, type LogLevelName, type WundrOtelConfig } from '../config.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';
import type { LogEntry } from './format.ts';
import { LineWriter } from './LineWriter.ts';
import { getLogLevelRegistry } from './LogLevelRegistry.ts';
import { requireLevel } from './levels.ts';
import { createRedactor, type Redactor } from './redact.ts';

/**
 * A destination for formatted lines. The logger passes the finished line
 * (with its '\n') and the LogEntry it was made from.
 */
export interface LogWriter {
  write(line: string, entry: LogEntry): void;
  flush?(): Promise<void> | void;
}

export interface LoggingSettings {
  format: LogFormat;
  redactor: Redactor;
  /** undefined: the default stdout LineWriter. */
  writer: LogWriter | undefined;
  /** Emit each call as an OTel LogRecord too (default true). */
  emitRecords: boolean;
}

export interface ConfigureLoggingOptions {
  format?: LogFormat;
  /** The global level (also what `getLogLevelRegistry().reset()` returns to). */
  level?: LogLevelName;
  redactKeys?: readonly string[];
  maxStringLength?: number;
  /** Where lines go: a LogWriter, or a file descriptor (default 1, stdout). */
  destination?: LogWriter | number;
  /** Bound of the asynchronous stdout buffer, in characters (default 8 Mi). */
  maxBufferedChars?: number;
  /** Emit each call as an OTel LogRecord through the global logs API (default true). */
  emitRecords?: boolean;
}

let settings: LoggingSettings | undefined;
let lineWriter: LineWriter | undefined;
let lineWriterOptions: { fd: number; maxBufferedChars: number | undefined } = { fd: 1, maxBufferedChars: undefined };
let otelLogger: OtelLogger | undefined;
let recordsEmitted = 0;
let internalErrors = 0;

const registry = getLogLevelRegistry();

/** The current settings; reads process.env the first time when nothing configured them. */
export function getSettings(): LoggingSettings {
  if (settings === undefined) {
    const { config, warnings } = loadConfig(process.env, { stdoutIsTTY: isatty(1) });
    // The preload prints config warnings; a library user sees them through diag.
    for (const w of warnings) if (w.variable.startsWith('LOG_')) diag.warn(`@wundr/otel: ${w.message}`);
    settings = fromConfig(config);
    registry.setBaseLevel(requireLevel(config.logging.level, 'LOG_LEVEL'));
  }
  return settings;
}

function fromConfig(config: WundrOtelConfig): LoggingSettings {
  return {
    format: config.logging.format,
    redactor: createRedactor(config.logging.redactKeys, { maxStringLength: config.logging.maxStringLength }),
    writer: settings?.writer,
    emitRecords: settings?.emitRecords ?? true,
  };
}

/** @internal The logging feature's configure hook. */
export function applyLoggingConfig(config: WundrOtelConfig): void {
  settings = fromConfig(config);
  otelLogger = undefined;
  registry.setBaseLevel(requireLevel(config.logging.level, 'config.logging.level'));
}

/**
 * Changes the logging settings at run time (for library use without the
 * preload, and for tests). Unset options keep their current values. Bad
 * options throw.
 *
 * @example
 * configureLogging({ format: 'text', level: 'debug' });
 * configureLogging({ destination: new InMemoryLogWriter() });
 */
export function configureLogging(options: ConfigureLoggingOptions): void {
  const cur = getSettings();
  if (options.format !== undefined && options.format !== 'json' && options.format !== 'text') {
    throw new TypeError(`@wundr/otel: format must be 'json' or 'text'; got ${JSON.stringify(options.format)}`);
  }
  const redactor =
    options.redactKeys !== undefined || options.maxStringLength !== undefined
      ? createRedactor(options.redactKeys ?? cur.redactor.keys, { maxStringLength: options.maxStringLength ?? cur.redactor.maxStringLength })
      : cur.redactor;
  let writer = cur.writer;
  const d = options.destination;
  if (d !== undefined) {
    if (typeof d === 'number') {
      if (!Number.isInteger(d) || d < 0) throw new TypeError(`@wundr/otel: destination must be a file descriptor or a LogWriter; got ${d}`);
      writer = undefined;
      if (lineWriter !== undefined && lineWriter.fd !== d) replaceLineWriter();
      lineWriterOptions = { ...lineWriterOptions, fd: d };
    } else if (typeof d === 'object' && d !== null && typeof d.write === 'function') {
      writer = d;
    } else {
      throw new TypeError('@wundr/otel: destination must be a file descriptor or an object with write(line, entry)');
    }
  }
  if (options.maxBufferedChars !== undefined) {
    if (!Number.isInteger(options.maxBufferedChars) || options.maxBufferedChars < 1) {
      throw new TypeError(`@wundr/otel: maxBufferedChars must be a positive integer; got ${options.maxBufferedChars}`);
    }
    lineWriterOptions = { ...lineWriterOptions, maxBufferedChars: options.maxBufferedChars };
    replaceLineWriter();
  }
  const level = options.level === undefined ? undefined : requireLevel(options.level, 'level');
  settings = {
    format: options.format ?? cur.format,
    redactor,
    writer,
    emitRecords: options.emitRecords ?? cur.emitRecords,
  };
  if (level !== undefined) registry.setBaseLevel(level);
  else registry.touch();
}

function replaceLineWriter(): void {
  if (lineWriter === undefined) return;
  lineWriter.flushSync();
  lineWriter.close();
  lineWriter = undefined;
}

/** The default destination: an asynchronous bounded writer on stdout (created on first line). */
export function getLineWriter(): LineWriter {
  return (lineWriter ??= new LineWriter(lineWriterOptions.fd, { maxBufferedChars: lineWriterOptions.maxBufferedChars }));
}

/** @internal The OTel logger all StructuredLoggers emit through (one instrumentation scope). */
export function getOtelLogger(): OtelLogger {
  return (otelLogger ??= logs.getLogger(PACKAGE_NAME, PACKAGE_VERSION));
}

/** @internal The logging feature's start hook: a provider was just registered. */
export function refreshOtelLogger(): void {
  otelLogger = undefined;
  registry.touch();
}

/** @internal */
export function countRecord(): void {
  recordsEmitted++;
}

/** @internal */
export function countInternalError(err: unknown): void {
  internalErrors++;
  if (internalErrors <= 10) diag.error(`@wundr/otel: a log call failed: ${(err as Error)?.message ?? String(err)}`);
}

export interface LoggingStats {
  /** Lines accepted by the stdout writer. */
  lines: number;
  /** Lines dropped: the stdout buffer was full, or stdout was closed (EPIPE). */
  dropped: number;
  /** Characters waiting to be written to stdout. */
  bufferedChars: number;
  /** stdout write errors (EPIPE and others), swallowed. */
  writeErrors: number;
  /** LogRecords handed to the OTel logs API. */
  recordsEmitted: number;
  /** Log calls that failed inside the logger (never thrown to the caller). */
  internalErrors: number;
}

/**
 * Counters of the logging pipeline, for a drop metric and /health.
 *
 * @example
 * const { dropped } = getLoggingStats();
 */
export function getLoggingStats(): LoggingStats {
  const s = lineWriter?.stats;
  return {
    lines: s?.lines ?? 0,
    dropped: s?.dropped ?? 0,
    bufferedChars: s?.bufferedChars ?? 0,
    writeErrors: s?.writeErrors ?? 0,
    recordsEmitted,
    internalErrors,
  };
}

/**
 * Resolves when every line logged so far has been written to stdout (and a
 * custom writer's flush resolved), or after `timeoutMs` with a stalled reader.
 */
export async function flushLogs(timeoutMs = 10000): Promise<void> {
  const w = settings?.writer;
  await Promise.allSettled([lineWriter?.flush(timeoutMs), w?.flush?.()]);
}

/** Writes what is buffered synchronously (before a deliberate process.exit, say). */
export function flushLogsSync(): void {
  lineWriter?.flushSync();
}

/** @internal Tests: forget every setting (next use reads process.env again). */
export function resetLoggingForTests(): void {
  replaceLineWriter();
  settings = undefined;
  otelLogger = undefined;
  lineWriterOptions = { fd: 1, maxBufferedChars: undefined };
  recordsEmitted = 0;
  internalErrors = 0;
  registry.reset();
}

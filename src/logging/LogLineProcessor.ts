import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { LogFormat } from '../config.ts';
import { formatJsonLine, formatTextLine, type LogEntry } from './format.ts';
import type { LogLevelName } from './levels.ts';
import type { Redactor } from './redact.ts';
import { getLineWriter, getSettings, type LogWriter } from './runtime.ts';

export interface LogLineProcessorOptions {
  /** Default: the logging settings' format (LOG_FORMAT). */
  format?: LogFormat;
  /** Default: the logging settings' redactor (LOG_REDACT_KEYS). */
  redactor?: Redactor;
  /** Default: the asynchronous stdout writer. */
  writer?: LogWriter;
  /**
   * Skip records of these instrumentation scopes. Default ['@wundr/otel']:
   * StructuredLogger prints its own lines, so only other emitters' records
   * (log bridges, instrumentations) are printed here.
   */
  skipScopes?: readonly string[];
}

const OWN_FIELDS = new Set(['component', 'sessionId', 'orchestratorId', 'correlationId', 'duration']);

/**
 * A LogRecordProcessor that prints any OTel LogRecord as a docs/LOGGING.md line
 * (json or text), e.g. records emitted by other libraries through the logs
 * API. Not installed by default (a library that bridges its own logger to
 * OTel usually prints its own lines too); add it to a LoggerProvider's
 * processors to print them.
 *
 * @example
 * new LoggerProvider({ processors: [new LogLineProcessor()] });
 */
export class LogLineProcessor implements LogRecordProcessor {
  private readonly options: LogLineProcessorOptions;
  private readonly skip: ReadonlySet<string>;

  constructor(options: LogLineProcessorOptions = {}) {
    this.options = options;
    this.skip = new Set(options.skipScopes ?? ['@wundr/otel']);
  }

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    if (this.skip.has(record.instrumentationScope.name)) return;
    try {
      const entry = recordToEntry(record, this.options.redactor ?? getSettings().redactor);
      const format = this.options.format ?? getSettings().format;
      const line = format === 'json' ? formatJsonLine(entry) : formatTextLine(entry);
      const w = this.options.writer ?? getSettings().writer;
      if (w === undefined) getLineWriter().write(line);
      else w.write(line, entry);
    } catch {
      // A record that cannot be printed is not the host's problem.
    }
  }

  async forceFlush(): Promise<void> {
    await (this.options.writer ?? getSettings().writer)?.flush?.();
    if ((this.options.writer ?? getSettings().writer) === undefined) await getLineWriter().flush();
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}

/** The LogEntry a record stands for (severity buckets per the OTel logs data model). */
export function recordToEntry(record: ReadWriteLogRecord, redactor: Redactor): LogEntry {
  const sev = record.severityNumber ?? 9;
  const level: LogLevelName = sev < 9 ? 'debug' : sev < 13 ? 'info' : sev < 17 ? 'warn' : 'error';
  const a = record.attributes;
  const body = record.body;
  const [s, ns] = record.hrTime;
  const entry: LogEntry = {
    timestamp: new Date(s * 1000 + Math.floor(ns / 1e6)).toISOString(),
    level,
    message: typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(redactor.redact(body)) ?? '',
    component: typeof a['component'] === 'string' ? a['component'] : record.instrumentationScope.name,
  };
  if (record.spanContext) {
    entry.traceId = record.spanContext.traceId;
    entry.spanId = record.spanContext.spanId;
  }
  for (const f of ['sessionId', 'orchestratorId', 'correlationId'] as const) if (typeof a[f] === 'string') entry[f] = a[f];
  if (typeof a['duration'] === 'number') entry.duration = a['duration'];
  if (a['exception.message'] !== undefined || a['exception.stacktrace'] !== undefined) {
    entry.error = { message: String(a['exception.message'] ?? '') };
    if (typeof a['exception.stacktrace'] === 'string') entry.error.stack = a['exception.stacktrace'];
    if (typeof a['exception.type'] === 'string' && a['exception.type'] !== 'Error') entry.error.code = a['exception.type'];
  }
  let meta: Record<string, unknown> | undefined;
  for (const k of Object.keys(a)) {
    if (OWN_FIELDS.has(k) || k.startsWith('exception.')) continue;
    (meta ??= {})[k] = a[k];
  }
  if (meta !== undefined) entry.metadata = redactor.redact(meta) as Record<string, unknown>;
  return entry;
}

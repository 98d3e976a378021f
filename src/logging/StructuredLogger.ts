import { context, isSpanContextValid, trace, type AnyValue, type Attributes, type Context } from '@opentelemetry/api';
import type { LogFormat, LogLevelName } from '../config.ts';
import { formatJsonLine, formatTextLine, type LogEntry } from './format.ts';
import { LEVEL_NAMES, LEVEL_SEVERITY, LEVEL_TEXT, requireLevel, type LogLevel } from './levels.ts';
import { getLogLevelRegistry } from './LogLevelRegistry.ts';
import type { Redactor } from './redact.ts';
import {
  countInternalError,
  countRecord,
  getLineWriter,
  getOtelLogger,
  getSettings,
  type LogWriter,
  type LoggingSettings,
} from './runtime.ts';

/** Fields a child logger binds (docs/LOGGING.md. Known LogEntry fields go to the top level, the rest into `metadata`. */
export interface LogContext {
  sessionId?: string;
  orchestratorId?: string;
  correlationId?: string;
  /** Used when no span is active (a span's ids always win). */
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  [key: string]: unknown;
}

/** The old StructuredLogger's second constructor argument. */
export interface StructuredLoggerConfig {
  /** This logger's level; a per-component level set at run time still wins. Default: the global level (LOG_LEVEL). */
  level?: LogLevelName | LogLevel;
  /** Overrides LOG_FORMAT for this logger. */
  format?: LogFormat;
  /** Sends this logger's lines here instead of stdout. */
  writer?: LogWriter;
}

const registry = getLogLevelRegistry();
const TOP_FIELDS = ['sessionId', 'orchestratorId', 'correlationId'] as const;
const TRACE_FIELDS = ['traceId', 'spanId', 'parentSpanId'] as const;

/** Bindings compiled once per logger (pino's habit): redacted, split into top-level fields and metadata. */
interface Bound {
  /** The raw bindings, merged parent-first (kept to recompile when redaction rules change). */
  raw: LogContext;
  sessionId?: string;
  orchestratorId?: string;
  correlationId?: string;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  /** Other bound fields, redacted; printed inside `metadata`. */
  extra: Record<string, unknown> | undefined;
  /** LogRecord attributes common to every call. */
  attrs: Attributes;
}

let lastMs = -1;
let lastIso = '';
/** ISO timestamp, recomputed once per millisecond. */
function isoNow(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * The structured logger (docs/LOGGING.md: one JSON (or text) line per call on
 * stdout in the docs/LOGGING.md LogEntry shape, and one OTel LogRecord through
 * the logs API, both carrying the active span's trace and span ids.
 * Same call sites as the old console `Logger`, which names this class too.
 *
 * Disabled levels cost one compare: the level is cached per logger and
 * refreshed when the level registry (or the logging configuration) changes.
 *
 * @example
 * const logger = new StructuredLogger('SessionExecutor');
 * const log = logger.child({ sessionId: 'sess_123', orchestratorId: 'orch_1' });
 * log.info('Session started', { model: 'gpt-4o' });
 * log.error('Tool failed', err); // err keeps message, stack and code
 */
export class StructuredLogger {
  readonly component: string;
  private readonly bound: Bound;
  private own: LogLevel | undefined;
  private readonly format: LogFormat | undefined;
  private readonly writer: LogWriter | undefined;
  /** Registry version the cached level belongs to. */
  private ver = -1;
  /** Lowest enabled level (0..3); 4 = off. */
  private min = 1;
  private redactor: Redactor | undefined;
  private settings!: LoggingSettings;

  constructor(component: string, config?: StructuredLoggerConfig | LogLevel, context?: LogContext) {
    if (typeof component !== 'string') {
      throw new TypeError(`@wundr/otel: a logger's component name must be a string; got ${component === null ? 'null' : typeof component}`);
    }
    this.component = component;
    if (typeof config === 'number') {
      this.own = requireLevel(config, `the level of logger ${JSON.stringify(component)}`);
    } else if (config !== undefined && config !== null) {
      if (typeof config !== 'object') throw new TypeError(`@wundr/otel: logger config must be an object or a LogLevel; got ${typeof config}`);
      if (config.level !== undefined) this.own = requireLevel(config.level, `the level of logger ${JSON.stringify(component)}`);
      if (config.format !== undefined && config.format !== 'json' && config.format !== 'text') {
        throw new TypeError(`@wundr/otel: logger format must be 'json' or 'text'; got ${JSON.stringify(config.format)}`);
      }
      if (config.writer !== undefined && typeof config.writer?.write !== 'function') {
        throw new TypeError('@wundr/otel: logger writer must have a write(line, entry) method');
      }
      this.format = config.format;
      this.writer = config.writer;
    }
    if (context !== undefined && (typeof context !== 'object' || context === null)) {
      throw new TypeError(`@wundr/otel: logger context must be an object; got ${context === null ? 'null' : typeof context}`);
    }
    this.bound = { raw: context ? { ...context } : {}, extra: undefined, attrs: {} };
    this.refresh();
  }

  debug(message: unknown, ...args: unknown[]): void;
  debug(message: unknown, metadata?: unknown): void {
    if (this.ver !== registry.version) this.refresh();
    if (this.min > 0) return;
    this.log(0, message, metadata, arguments.length > 2 ? Array.prototype.slice.call(arguments, 2) : undefined);
  }

  info(message: unknown, ...args: unknown[]): void;
  info(message: unknown, metadata?: unknown): void {
    if (this.ver !== registry.version) this.refresh();
    if (this.min > 1) return;
    this.log(1, message, metadata, arguments.length > 2 ? Array.prototype.slice.call(arguments, 2) : undefined);
  }

  warn(message: unknown, ...args: unknown[]): void;
  warn(message: unknown, metadata?: unknown): void {
    if (this.ver !== registry.version) this.refresh();
    if (this.min > 2) return;
    this.log(2, message, metadata, arguments.length > 2 ? Array.prototype.slice.call(arguments, 2) : undefined);
  }

  error(message: unknown, ...args: unknown[]): void;
  error(message: unknown, metadata?: unknown): void {
    if (this.ver !== registry.version) this.refresh();
    if (this.min > 3) return;
    this.log(3, message, metadata, arguments.length > 2 ? Array.prototype.slice.call(arguments, 2) : undefined);
  }

  /**
   * A logger with more bound fields (docs/LOGGING.md; the child's fields win over
   * the parent's, and children of children merge.
   *
   * @example
   * logger.child({ sessionId }).child({ correlationId }).info('step'); // both ids on the line
   */
  child(bindings: LogContext): StructuredLogger {
    if (typeof bindings !== 'object' || bindings === null) {
      throw new TypeError(`@wundr/otel: child() takes an object of fields; got ${bindings === null ? 'null' : typeof bindings}`);
    }
    return this.derive({ ...this.bound.raw, ...bindings }, this.own);
  }

  /** The same logger (component and bound fields) at another level. */
  withLevel(level: LogLevelName | LogLevel): StructuredLogger {
    return this.derive(this.bound.raw, requireLevel(level, `the level of logger ${JSON.stringify(this.component)}`));
  }

  /** Old console Logger API: changes this logger's own level. */
  setLevel(level: LogLevelName | LogLevel): void {
    this.own = requireLevel(level, `the level of logger ${JSON.stringify(this.component)}`);
    this.ver = -1;
  }

  /** This logger's effective level now. */
  getLevel(): LogLevelName {
    if (this.ver !== registry.version) this.refresh();
    return LEVEL_NAMES[Math.min(this.min, 3)]!;
  }

  isLevelEnabled(level: LogLevelName | LogLevel): boolean {
    if (this.ver !== registry.version) this.refresh();
    return requireLevel(level, 'level') >= this.min;
  }

  /**
   * Starts timing an operation; calling the returned function logs `message`
   * at info with `duration` (ms) and returns the duration.
   *
   * @example
   * const done = logger.startTimer('compaction');
   * await compact();
   * done({ tier: 'episodic' }); // {"message":"compaction","duration":12.3,...}
   */
  startTimer(message: string): (metadata?: Record<string, unknown>) => number {
    const t0 = performance.now();
    let done = false;
    return (metadata) => {
      const duration = Math.round((performance.now() - t0) * 1000) / 1000;
      if (!done) {
        done = true;
        this.info(message, metadata === undefined ? { duration } : { ...metadata, duration });
      }
      return duration;
    };
  }

  private derive(raw: LogContext, own: LogLevel | undefined): StructuredLogger {
    const c = Object.create(StructuredLogger.prototype) as StructuredLogger;
    const w = c as unknown as Record<string, unknown>;
    w['component'] = this.component;
    w['bound'] = { raw, extra: undefined, attrs: {} } satisfies Bound;
    w['own'] = own;
    w['format'] = this.format;
    w['writer'] = this.writer;
    w['ver'] = -1;
    w['min'] = 1;
    w['redactor'] = undefined;
    c.refresh();
    return c;
  }

  /** Re-reads the level and, when the rules changed, recompiles the bindings. */
  private refresh(): void {
    const s = getSettings();
    this.settings = s;
    this.ver = registry.version;
    this.min = registry.effective(this.component, this.own);
    if (this.redactor !== s.redactor) {
      this.redactor = s.redactor;
      compileBindings(this.bound, this.component, s.redactor);
    }
  }

  private log(lv: LogLevel, message: unknown, metadata: unknown, extra: unknown[] | undefined): void {
    try {
      const s = this.settings;
      const r = this.redactor!;
      const b = this.bound;
      const now = Date.now();
      const ctx = context.active();
      const entry: LogEntry = {
        timestamp: isoNow(now),
        level: LEVEL_NAMES[lv]!,
        message: '',
        component: this.component,
        traceId: b.traceId,
        spanId: b.spanId,
        parentSpanId: b.parentSpanId,
        sessionId: b.sessionId,
        orchestratorId: b.orchestratorId,
        correlationId: b.correlationId,
        duration: undefined,
        error: undefined,
        metadata: undefined,
      };
      const span = trace.getSpan(ctx);
      if (span !== undefined) {
        const sc = span.spanContext();
        if (isSpanContextValid(sc)) {
          entry.traceId = sc.traceId;
          entry.spanId = sc.spanId;
          const parent = (span as { parentSpanContext?: { spanId?: string } }).parentSpanContext;
          entry.parentSpanId = parent?.spanId;
        }
      }

      let err: unknown;
      if (typeof message === 'string') entry.message = message.length > r.maxStringLength ? r.truncate(message) : message;
      else if (message instanceof Error) {
        err = message;
        entry.message = r.truncate(String(message.message));
      } else entry.message = r.truncate(stringifyMessage(message, r));

      let meta: Record<string, unknown> | undefined;
      if (metadata !== undefined || extra !== undefined) {
        let args: unknown[] | undefined;
        if (metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) && !(metadata instanceof Error)) {
          const m = metadata as Record<string, unknown>;
          meta = r.redact(m) as Record<string, unknown>;
          // docs/LOGGING.md fields given per call go to the top level.
          const e = m['error'] ?? m['err'];
          if (e instanceof Error && err === undefined) {
            err = e;
            delete meta[m['error'] === e ? 'error' : 'err'];
          }
          if (typeof meta['duration'] === 'number') {
            entry.duration = meta['duration'];
            delete meta['duration'];
          }
          for (const f of TOP_FIELDS) {
            const v = meta[f];
            if (typeof v === 'string') {
              entry[f] = v;
              delete meta[f];
            }
          }
        } else if (metadata instanceof Error && err === undefined) err = metadata;
        else if (metadata !== undefined) args = [metadata];
        if (extra !== undefined) {
          for (const a of extra) {
            if (a instanceof Error && err === undefined) err = a;
            else (args ??= []).push(a);
          }
        }
        if (args !== undefined) (meta ??= {})['args'] = r.redact(args);
      }
      if (b.extra !== undefined) meta = meta === undefined ? b.extra : { ...b.extra, ...meta };
      if (meta !== undefined && hasKeys(meta)) entry.metadata = meta;
      let errInfo: Record<string, unknown> | undefined;
      if (err !== undefined) {
        errInfo = r.redact(err) as Record<string, unknown>;
        const ei: { message: string; stack?: string; code?: string } = { message: String(errInfo['message'] ?? '') };
        if (typeof errInfo['stack'] === 'string') ei.stack = errInfo['stack'];
        if (errInfo['code'] !== undefined) ei.code = String(errInfo['code']);
        entry.error = ei;
      }

      const format = this.format ?? s.format;
      const line = format === 'json' ? formatJsonLine(entry) : formatTextLine(entry);
      const w = this.writer ?? s.writer;
      if (w === undefined) getLineWriter().write(line);
      else w.write(line, entry);

      if (s.emitRecords) emitRecord(lv, now, entry, b, meta, errInfo, ctx);
    } catch (e) {
      countInternalError(e);
    }
  }
}

function emitRecord(
  lv: LogLevel,
  now: number,
  entry: LogEntry,
  b: Bound,
  meta: Record<string, unknown> | undefined,
  errInfo: Record<string, unknown> | undefined,
  ctx: Context,
): void {
  const attrs: Attributes = { ...b.attrs };
  // Per-call top-level fields override the bound ones.
  if (entry.sessionId !== undefined) attrs['sessionId'] = entry.sessionId;
  if (entry.orchestratorId !== undefined) attrs['orchestratorId'] = entry.orchestratorId;
  if (entry.correlationId !== undefined) attrs['correlationId'] = entry.correlationId;
  if (entry.duration !== undefined) attrs['duration'] = entry.duration;
  if (meta !== undefined) for (const k in meta) if (k !== 'component') attrs[k] = meta[k] as AnyValue;
  getOtelLogger().emit({
    timestamp: now,
    severityNumber: LEVEL_SEVERITY[lv]!,
    severityText: LEVEL_TEXT[lv]!,
    body: entry.message,
    attributes: attrs,
    // The SDK maps it to exception.type/message/stacktrace.
    exception: errInfo === undefined ? undefined : { name: 'Error', ...errInfo },
    context: ctx,
  });
  countRecord();
}

function compileBindings(b: Bound, component: string, r: Redactor): void {
  const red = r.redact(b.raw) as Record<string, unknown>;
  let extra: Record<string, unknown> | undefined;
  const attrs: Attributes = { component };
  for (const f of TOP_FIELDS) delete b[f];
  for (const f of TRACE_FIELDS) delete b[f];
  for (const k of Object.keys(red)) {
    const v = red[k];
    if (v === undefined) continue;
    if ((TOP_FIELDS as readonly string[]).includes(k) || (TRACE_FIELDS as readonly string[]).includes(k)) {
      const sv = typeof v === 'string' ? v : JSON.stringify(v);
      b[k as (typeof TOP_FIELDS)[number]] = sv;
      if (!(TRACE_FIELDS as readonly string[]).includes(k)) attrs[k] = sv;
      continue;
    }
    (extra ??= {})[k] = v;
    if (k !== 'component') attrs[k] = v as AnyValue;
  }
  b.extra = extra;
  b.attrs = attrs;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function stringifyMessage(m: unknown, r: Redactor): string {
  if (m === undefined) return 'undefined';
  if (m === null || typeof m !== 'object') return String(m);
  try {
    return JSON.stringify(r.redact(m)) ?? String(m);
  } catch {
    return Object.prototype.toString.call(m);
  }
}

/** The old console Logger's name for the same class. */
export const Logger = StructuredLogger;
export type Logger = StructuredLogger;

/** Old factory: `createLogger('SessionExecutor', { level: 'debug' })`. */
export function createLogger(component: string, config?: StructuredLoggerConfig | LogLevel, context?: LogContext): StructuredLogger {
  return new StructuredLogger(component, config, context);
}

/**
 * Old factory: a child of `parent` (a logger, or a component name for a new
 * logger) with `context` bound.
 */
export function createChildLogger(parent: StructuredLogger | string, context: LogContext): StructuredLogger {
  if (typeof parent === 'string') return new StructuredLogger(parent, undefined, context);
  if (!(parent instanceof StructuredLogger)) throw new TypeError('@wundr/otel: createChildLogger takes a StructuredLogger or a component name');
  return parent.child(context);
}

/**
 * StructuredLogger in-process: every line parsed and checked field by field
 * (through an InMemoryLogWriter, which gets exactly the line stdout would),
 * inside and outside active spans, through child loggers; the matching OTel
 * LogRecords through a real LoggerProvider with an in-memory exporter.
 */
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { context, logs, trace, SeverityNumber, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import * as root from '../../src/index.ts';
import {
  StructuredLogger,
  Logger,
  LogLevel,
  StructuredLogLevel,
  InMemoryLogWriter,
  configureLogging,
  createLogger,
  createChildLogger,
  getLogLevelRegistry,
  getLoggingStats,
  REDACTED,
  type LogEntry,
} from '../../src/logging/index.ts';
import { refreshOtelLogger, resetLoggingForTests } from '../../src/logging/runtime.ts';

const exporter = new InMemoryLogRecordExporter();
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
const tracerProvider = new TracerProvider();
const tracer = tracerProvider.getTracer('test');
let mem: InMemoryLogWriter;

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
});
after(async () => {
  resetLoggingForTests();
  await loggerProvider.shutdown();
  logs.disable();
  trace.disable();
  context.disable();
});
beforeEach(() => {
  resetLoggingForTests();
  mem = new InMemoryLogWriter();
  configureLogging({ format: 'json', level: 'info', destination: mem, redactKeys: ['password', 'token', 'authorization', 'apiKey'] });
  refreshOtelLogger();
  exporter.reset();
});

/** The last line, parsed — asserting it is exactly one JSON line. */
function lastLine(): Record<string, any> {
  const line = mem.lines.at(-1);
  assert.ok(line !== undefined, 'a line was written');
  assert.equal(line.indexOf('\n'), line.length - 1, 'exactly one line');
  return JSON.parse(line);
}
function records(): ReadableLogRecord[] {
  return exporter.getFinishedLogRecords();
}

test('the package root exports the logging API under the old names', () => {
  assert.equal(root.StructuredLogger, StructuredLogger);
  assert.equal(root.Logger, StructuredLogger);
  assert.equal(Logger, StructuredLogger);
  assert.equal(typeof root.getLogLevelRegistry, 'function');
  assert.equal(typeof root.createLogger, 'function');
  assert.equal(typeof root.createChildLogger, 'function');
  assert.equal(typeof root.InMemoryLogWriter, 'function');
  assert.equal(typeof root.redact, 'function');
  assert.equal(typeof root.getLoggingStats, 'function');
  assert.deepEqual([LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR], [0, 1, 2, 3]);
  assert.equal(LogLevel[2], 'WARN', 'the enum reverse mapping');
  assert.equal(StructuredLogLevel.WARN, 'warn');
});

test('outside a span: the seed §4.1 fields, nothing invented', () => {
  const before = Date.now();
  new Logger('SessionExecutor').info('Session started', { model: 'gpt-4o', tokens: 12 });
  const e = lastLine();
  assert.deepEqual(Object.keys(e), ['timestamp', 'level', 'message', 'component', 'metadata']);
  assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(e.timestamp) - before) < 5000);
  assert.equal(e.level, 'info');
  assert.equal(e.message, 'Session started');
  assert.equal(e.component, 'SessionExecutor');
  assert.deepEqual(e.metadata, { model: 'gpt-4o', tokens: 12 });

  const [r] = records();
  assert.ok(r);
  assert.equal(r.body, 'Session started');
  assert.equal(r.severityNumber, SeverityNumber.INFO);
  assert.equal(r.severityText, 'INFO');
  assert.equal(r.spanContext, undefined);
  assert.equal(r.instrumentationScope.name, '@wundr/otel');
  assert.deepEqual({ ...r.attributes }, { component: 'SessionExecutor', model: 'gpt-4o', tokens: 12 });
  assert.equal(Math.abs(r.hrTime[0] * 1000 + r.hrTime[1] / 1e6 - Date.parse(e.timestamp)) < 1, true, 'record time = line time');
});

test('inside active spans: traceId, spanId and parentSpanId on the line and the LogRecord', async () => {
  const log = new StructuredLogger('ToolExecutor');
  let outer!: Span;
  let inner!: Span;
  await tracer.startActiveSpan('session', async (o) => {
    outer = o;
    await tracer.startActiveSpan('tool', async (i) => {
      inner = i;
      await new Promise((r) => setImmediate(r)); // across an async hop
      log.warn('tool slow');
      i.end();
    });
    log.info('back in session');
    o.end();
  });
  const [l1, l2] = mem.lines.map((l) => JSON.parse(l));
  assert.equal(l1.traceId, inner.spanContext().traceId);
  assert.match(l1.traceId, /^[0-9a-f]{32}$/);
  assert.equal(l1.spanId, inner.spanContext().spanId);
  assert.equal(l1.parentSpanId, outer.spanContext().spanId);
  assert.deepEqual(Object.keys(l1).slice(0, 7), ['timestamp', 'level', 'message', 'component', 'traceId', 'spanId', 'parentSpanId']);
  assert.equal(l2.spanId, outer.spanContext().spanId);
  assert.equal(l2.parentSpanId, undefined, 'a root span has no parent');

  const [r1, r2] = records();
  assert.equal(r1!.spanContext?.traceId, l1.traceId);
  assert.equal(r1!.spanContext?.spanId, l1.spanId);
  assert.equal(r1!.severityNumber, SeverityNumber.WARN);
  assert.equal(r2!.spanContext?.spanId, l2.spanId);
});

test('child loggers bind fields; children of children merge; the child wins; the parent is unchanged', () => {
  const base = new StructuredLogger('SessionExecutor');
  const child = base.child({ sessionId: 'sess_123', orchestratorId: 'orch_1', traceId: 'trace_abc', region: 'eu' });
  const grand = child.child({ correlationId: 'req-9', sessionId: 'sess_456', attempt: 2 });
  child.info('Session started');
  assert.deepEqual(lastLine(), {
    timestamp: lastLine().timestamp,
    level: 'info',
    message: 'Session started',
    component: 'SessionExecutor',
    traceId: 'trace_abc',
    sessionId: 'sess_123',
    orchestratorId: 'orch_1',
    metadata: { region: 'eu' },
  });
  grand.error('step failed', { step: 'llm' });
  const g = lastLine();
  assert.equal(g.sessionId, 'sess_456');
  assert.equal(g.orchestratorId, 'orch_1');
  assert.equal(g.correlationId, 'req-9');
  assert.equal(g.traceId, 'trace_abc');
  assert.deepEqual(g.metadata, { region: 'eu', attempt: 2, step: 'llm' });
  base.info('plain');
  assert.deepEqual(Object.keys(lastLine()), ['timestamp', 'level', 'message', 'component']);

  const r = records().at(-2)!;
  assert.equal(r.attributes['sessionId'], 'sess_456');
  assert.equal(r.attributes['correlationId'], 'req-9');
  assert.equal(r.attributes['region'], 'eu');
  assert.equal(r.attributes['step'], 'llm');
  assert.equal(r.attributes['component'], 'SessionExecutor');
});

test('an active span wins over a bound traceId', () => {
  const log = new StructuredLogger('X').child({ traceId: 'bound-trace', spanId: 'bound-span' });
  tracer.startActiveSpan('s', (s) => {
    log.info('in span');
    s.end();
    const e = lastLine();
    assert.equal(e.traceId, s.spanContext().traceId);
    assert.equal(e.spanId, s.spanContext().spanId);
  });
  log.info('no span');
  assert.equal(lastLine().traceId, 'bound-trace');
  assert.equal(lastLine().spanId, 'bound-span');
});

test('Errors keep message, stack and code, in any position; extra arguments are kept', () => {
  const log = new StructuredLogger('X');
  const err = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' });
  log.error('redis down', err);
  let e = lastLine();
  assert.equal(e.error.message, 'connect refused');
  assert.equal(e.error.code, 'ECONNREFUSED');
  assert.match(e.error.stack, /^Error: connect refused\n\s+at /);
  assert.deepEqual(Object.keys(e.error), ['message', 'stack', 'code']);
  assert.equal(e.metadata, undefined);

  log.error(new TypeError('bad input'));
  e = lastLine();
  assert.equal(e.message, 'bad input');
  assert.match(e.error.stack, /^TypeError: bad input/);

  log.warn('retrying', { error: err, attempt: 3, duration: 250 });
  e = lastLine();
  assert.equal(e.error.code, 'ECONNREFUSED');
  assert.equal(e.duration, 250);
  assert.deepEqual(e.metadata, { attempt: 3 });

  // The old console Logger took (message, ...args).
  log.info('old style', 'a string', 42, { k: 'v' }, err);
  e = lastLine();
  assert.deepEqual(e.metadata, { args: ['a string', 42, { k: 'v' }] });
  assert.equal(e.error.message, 'connect refused');

  log.info({ not: 'a string' } as unknown as string);
  assert.equal(lastLine().message, '{"not":"a string"}');

  const rec = records().find((r) => r.body === 'redis down')!;
  assert.equal(rec.severityNumber, SeverityNumber.ERROR);
  assert.equal(rec.attributes['exception.message'], 'connect refused');
  assert.equal(rec.attributes['exception.type'], 'ECONNREFUSED');
  assert.match(String(rec.attributes['exception.stacktrace']), /connect refused/);
});

test('redaction at any depth in lines and records; bound fields too', () => {
  const log = new StructuredLogger('Auth').child({ token: 'bound-secret', user: 'ann' });
  log.info('login', { headers: { Authorization: 'Bearer xyz' }, body: { creds: [{ password: 'hunter2' }] }, api_key: 'k' });
  const line = mem.lines.at(-1)!;
  assert.ok(!/bound-secret|xyz|hunter2|"k"/.test(line), line);
  const e = JSON.parse(line);
  assert.equal(e.metadata.token, REDACTED);
  assert.equal(e.metadata.user, 'ann');
  assert.equal(e.metadata.headers.Authorization, REDACTED);
  assert.equal(e.metadata.body.creds[0].password, REDACTED);
  assert.equal(e.metadata.api_key, REDACTED);
  const r = records().at(-1)!;
  assert.ok(!/bound-secret|xyz|hunter2|"k"/.test(JSON.stringify(r.attributes)), JSON.stringify(r.attributes));
  assert.equal(r.attributes['token'], REDACTED);
});

test('circular metadata, BigInt, throwing getters and huge strings never throw', () => {
  configureLogging({ maxStringLength: 32 });
  const log = new StructuredLogger('X');
  const c: any = { id: 1n };
  c.self = c;
  Object.defineProperty(c, 'explodes', {
    enumerable: true,
    get() {
      throw new Error('nope');
    },
  });
  assert.doesNotThrow(() => log.info('x'.repeat(100), c));
  const e = lastLine();
  assert.equal(e.message, `${'x'.repeat(32)}…[truncated 68 chars]`);
  assert.deepEqual(e.metadata, { id: '1', self: '[Circular]', explodes: '[Throws: nope]' });
  assert.equal(records().at(-1)!.attributes['self'], '[Circular]');
  assert.doesNotThrow(() => log.info(10n as unknown as string));
  assert.equal(lastLine().message, '10');
  assert.equal(getLoggingStats().internalErrors, 0);
});

test('level filtering: below the level nothing is written or emitted', () => {
  const log = new StructuredLogger('X');
  log.debug('hidden');
  assert.equal(mem.lines.length, 0);
  assert.equal(records().length, 0);
  configureLogging({ level: 'warn' });
  log.info('hidden too');
  log.warn('shown');
  log.error('shown too');
  assert.deepEqual(mem.entries.map((e) => e.level), ['warn', 'error']);
  assert.deepEqual(records().map((r) => r.severityText), ['WARN', 'ERROR']);
  assert.equal(log.isLevelEnabled('info'), false);
  assert.equal(log.getLevel(), 'warn');
});

test('the level registry: global and per-component levels take effect at run time, on existing loggers', () => {
  const reg = getLogLevelRegistry();
  const session = new StructuredLogger('SessionExecutor');
  const sessionChild = session.child({ sessionId: 's' });
  const tool = new StructuredLogger('ToolExecutor');
  const seen: string[] = [];
  const off = reg.onChange((s) => seen.push(s.globalLevel));

  reg.setComponentLevel('SessionExecutor', 'debug');
  session.debug('session debug');
  sessionChild.debug('child debug');
  tool.debug('tool debug');
  assert.deepEqual(mem.entries.map((e) => e.message), ['session debug', 'child debug']);

  reg.setGlobalLevel('error');
  tool.warn('tool warn hidden');
  session.warn('session warn shown');
  assert.equal(mem.entries.at(-1)!.message, 'session warn shown');
  assert.deepEqual(reg.list(), {
    globalLevel: 'error',
    componentLevels: { SessionExecutor: 'debug' },
    validLevels: ['debug', 'info', 'warn', 'error'],
  });

  assert.equal(reg.clearComponentLevel('SessionExecutor'), true);
  assert.equal(reg.clearComponentLevel('SessionExecutor'), false);
  session.warn('hidden again');
  assert.equal(mem.entries.at(-1)!.message, 'session warn shown');

  reg.reset();
  assert.equal(reg.getGlobalLevel(), 'info', 'reset returns to the configured level');
  tool.info('after reset');
  assert.equal(mem.entries.at(-1)!.message, 'after reset');
  off();
  assert.deepEqual(seen, ['info', 'error', 'error', 'info']);

  assert.throws(() => reg.setGlobalLevel('verbose' as never), /the global log level must be one of debug\|info\|warn\|error .*got "verbose"/);
  assert.throws(() => reg.setComponentLevel('', 'info'), /component name must be a non-empty string/);
  assert.throws(() => reg.setComponentLevel('X', 7 as never), /got 7/);
});

test('precedence: component level > the logger\'s own level > global level', () => {
  const reg = getLogLevelRegistry();
  const own = new StructuredLogger('Own', { level: 'error' });
  const viaEnum = new Logger('Enum', LogLevel.DEBUG);
  own.warn('hidden: own level is error');
  viaEnum.debug('shown: own level debug beats global info');
  reg.setGlobalLevel('debug');
  own.warn('still hidden: own level beats global');
  reg.setComponentLevel('Own', 'warn');
  own.warn('shown: component level beats own');
  assert.deepEqual(mem.entries.map((e) => e.message), ['shown: own level debug beats global info', 'shown: component level beats own']);

  const w = new StructuredLogger('W').child({ sessionId: 's' }).withLevel('debug');
  w.debug('withLevel debug');
  assert.equal(mem.entries.at(-1)!.sessionId, 's');
  w.setLevel(LogLevel.ERROR);
  w.warn('hidden after setLevel');
  assert.equal(mem.entries.at(-1)!.message, 'withLevel debug');
});

test('text mode: one escaped line in the old format, per logger or globally', () => {
  configureLogging({ format: 'text' });
  const log = new StructuredLogger('Gateway').child({ sessionId: 'sess 1' });
  tracer.startActiveSpan('s', (s) => {
    log.warn('injected\n[2026-01-01T00:00:00.000Z] [ERROR] [Gateway] fake', { user: 'a\nb' });
    s.end();
    const line = mem.lines.at(-1)!;
    assert.equal(line.split('\n').length, 2);
    assert.match(
      line,
      new RegExp(
        `^\\[\\d{4}-[^\\]]+Z\\] \\[WARN\\] \\[Gateway\\] \\[trace=${s.spanContext().traceId.slice(0, 8)}\\] injected\\\\n\\[2026-01-01T00:00:00.000Z\\] \\[ERROR\\] \\[Gateway\\] fake spanId=${s.spanContext().spanId} sessionId="sess 1" user="a\\\\nb"\\n$`,
      ),
    );
  });
  configureLogging({ format: 'json' });
  new StructuredLogger('T', { format: 'text' }).info('per logger');
  assert.match(mem.lines.at(-1)!, /^\[[^\]]+\] \[INFO\] \[T\] per logger\n$/);
});

test('startTimer logs the duration once; createLogger/createChildLogger; a logger-level writer', async () => {
  const own = new InMemoryLogWriter();
  const log = createLogger('Memory', { writer: own }, { orchestratorId: 'o1' });
  const done = log.startTimer('compaction');
  await new Promise((r) => setTimeout(r, 20));
  const ms = done({ tier: 'episodic' });
  assert.ok(ms >= 15 && ms < 5000, String(ms));
  done();
  assert.equal(own.entries.length, 1, 'the timer logs once');
  const e: LogEntry = own.entries[0]!;
  assert.equal(e.message, 'compaction');
  assert.equal(e.duration, ms);
  assert.equal(e.orchestratorId, 'o1');
  assert.deepEqual(e.metadata, { tier: 'episodic' });
  assert.equal(mem.lines.length, 0, 'a logger-level writer replaces the global destination');

  createChildLogger(log, { sessionId: 's2' }).info('c1');
  assert.equal(own.entries.at(-1)!.sessionId, 's2');
  assert.equal(own.entries.at(-1)!.orchestratorId, 'o1');
  createChildLogger('Named', { sessionId: 's3' }).info('c2');
  assert.equal(mem.entries.at(-1)!.component, 'Named');
  assert.equal(mem.entries.at(-1)!.sessionId, 's3');
});

test('misuse at definition time throws a precise message', () => {
  assert.throws(() => new StructuredLogger(42 as never), /component name must be a string; got number/);
  assert.throws(() => new StructuredLogger('X', { level: 'loud' as never }), /the level of logger "X" must be one of debug\|info\|warn\|error .*got "loud"/);
  assert.throws(() => new StructuredLogger('X', { format: 'xml' as never }), /format must be 'json' or 'text'; got "xml"/);
  assert.throws(() => new StructuredLogger('X').child(null as never), /child\(\) takes an object of fields; got null/);
  assert.throws(() => configureLogging({ destination: -1 }), /destination must be a file descriptor or a LogWriter; got -1/);
  assert.throws(() => new InMemoryLogWriter(0), /maxEntries must be a positive integer; got 0/);
});

test('a writer that throws is counted, never thrown to the caller', () => {
  configureLogging({
    destination: {
      write() {
        throw new Error('disk full');
      },
    },
  });
  assert.doesNotThrow(() => new StructuredLogger('X').info('x'));
  assert.equal(getLoggingStats().internalErrors, 1);
});

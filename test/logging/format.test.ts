/** The pure line serializers against exact strings (seed §4.1 json, §4.2 text). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJsonLine, formatTextLine, escapeText, LOG_ENTRY_KEYS, type LogEntry } from '../../src/logging/format.ts';

const full: LogEntry = {
  timestamp: '2026-01-02T03:04:05.678Z',
  level: 'info',
  message: 'Session started',
  component: 'SessionExecutor',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '53995c3f42cd8ad8',
  sessionId: 'sess_123',
  orchestratorId: 'orch_1',
  correlationId: 'req-9',
  duration: 12.5,
  error: { message: 'boom', stack: 'Error: boom\n    at x', code: 'E1' },
  metadata: { model: 'gpt-4o', n: 3 },
};

test('json line: every seed §4.1 field, in seed order, one line', () => {
  const line = formatJsonLine(full);
  assert.equal(
    line,
    '{"timestamp":"2026-01-02T03:04:05.678Z","level":"info","message":"Session started","component":"SessionExecutor",' +
      '"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"53995c3f42cd8ad8",' +
      '"sessionId":"sess_123","orchestratorId":"orch_1","correlationId":"req-9","duration":12.5,' +
      '"error":{"message":"boom","stack":"Error: boom\\n    at x","code":"E1"},"metadata":{"model":"gpt-4o","n":3}}\n',
  );
  assert.deepEqual(Object.keys(JSON.parse(line)), [...LOG_ENTRY_KEYS]);
  assert.equal(line.indexOf('\n'), line.length - 1);
});

test('json line: the seed §4.3 example shape, absent fields left out', () => {
  const line = formatJsonLine({
    timestamp: '2026-01-02T03:04:05.678Z',
    level: 'info',
    message: 'Session started',
    component: 'SessionExecutor',
    traceId: 'trace_abc',
    sessionId: 'sess_123',
    orchestratorId: 'orch_1',
  });
  assert.equal(
    line,
    '{"timestamp":"2026-01-02T03:04:05.678Z","level":"info","message":"Session started","component":"SessionExecutor","traceId":"trace_abc","sessionId":"sess_123","orchestratorId":"orch_1"}\n',
  );
});

test('json line: a non-finite duration is null, hostile strings stay inside their field', () => {
  const line = formatJsonLine({
    timestamp: 't',
    level: 'warn',
    message: 'a"}\n{"level":"error","message":"forged',
    component: 'C\u2028',
    duration: Number.NaN,
  });
  const lines = line.split('\n');
  assert.equal(lines.length, 2);
  const parsed = JSON.parse(lines[0]!);
  assert.equal(parsed.message, 'a"}\n{"level":"error","message":"forged');
  assert.equal(parsed.level, 'warn');
  assert.equal(parsed.duration, null);
});

test('text line: the old format with trace=8 chars and key=value fields', () => {
  assert.equal(
    formatTextLine(full),
    '[2026-01-02T03:04:05.678Z] [INFO] [SessionExecutor] [trace=4bf92f35] Session started spanId=00f067aa0ba902b7 ' +
      'parentSpanId=53995c3f42cd8ad8 sessionId=sess_123 orchestratorId=orch_1 correlationId=req-9 duration=12.5ms ' +
      'model=gpt-4o n=3 error=boom code=E1 stack="Error: boom\\n    at x"\n',
  );
  assert.equal(
    formatTextLine({ timestamp: 'T', level: 'debug', message: 'plain', component: 'C' }),
    '[T] [DEBUG] [C] plain\n',
  );
});

test('text line: newlines, CR, ANSI escapes, NEL and U+2028 cannot start a new line or forge a field', () => {
  const line = formatTextLine({
    timestamp: 'T',
    level: 'error',
    message: 'x\n[T] [INFO] [C] forged\r\u001b[31m\u0085\u2028\u2029',
    component: 'C\nD',
    metadata: { 'k\ney': 'v\nw', quote: 'a "b" c=d', list: ['x\u2028'], empty: '' },
  });
  assert.equal(line.split(/[\n\r\u0085\u2028\u2029]/).length, 2, line);
  assert.equal(
    line,
    '[T] [ERROR] [C\\nD] x\\n[T] [INFO] [C] forged\\r\\u001b[31m\\u0085\\u2028\\u2029 "k\\ney"="v\\nw" quote="a \\"b\\" c=d" list=["x\\u2028"] empty=""\n',
  );
});

test('escapeText leaves ordinary text (and non-ASCII letters) alone', () => {
  assert.equal(escapeText('plain text, ünïcödé ✓'), 'plain text, ünïcödé ✓');
  assert.equal(escapeText('\t\u0000\u007f'), '\\t\\u0000\\u007f');
});

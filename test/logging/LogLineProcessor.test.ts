/** The optional processor that prints other emitters' LogRecords as seed §4.1 lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SeverityNumber, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { InMemoryLogWriter, LogLineProcessor, createRedactor } from '../../src/logging/index.ts';

test('foreign records become LogEntry lines (redacted); our own scope is skipped', async () => {
  const mem = new InMemoryLogWriter();
  const provider = new LoggerProvider({
    processors: [new LogLineProcessor({ writer: mem, format: 'json', redactor: createRedactor(['password']) })],
  });
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  provider.getLogger('pino-bridge').emit({
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    severityNumber: SeverityNumber.WARN2,
    body: 'from a bridge',
    attributes: { sessionId: 's1', duration: 5, password: 'p', extra: { n: 1 } },
    exception: Object.assign(new Error('bad'), { code: 'E_BAD' }),
    context: ctx,
  });
  provider.getLogger('@wundr/otel').emit({ severityNumber: SeverityNumber.INFO, body: 'printed by the logger itself' });
  await provider.shutdown();
  assert.equal(mem.lines.length, 1);
  const e = JSON.parse(mem.lines[0]!);
  assert.deepEqual(Object.keys(e), ['timestamp', 'level', 'message', 'component', 'traceId', 'spanId', 'sessionId', 'duration', 'error', 'metadata']);
  assert.equal(e.timestamp, '2026-01-02T03:04:05.678Z');
  assert.equal(e.level, 'warn');
  assert.equal(e.message, 'from a bridge');
  assert.equal(e.component, 'pino-bridge');
  assert.equal(e.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(e.error.message, 'bad');
  assert.equal(e.error.code, 'E_BAD');
  assert.deepEqual(e.metadata, { password: '[REDACTED]', extra: { n: 1 } });
});

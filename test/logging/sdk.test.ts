/**
 * The logging feature inside the real SDK assembly (startSdk): the config
 * reaches every logger, and records emitted through BOTH logs APIs — the
 * one in @opentelemetry/api 1.10 and the older @opentelemetry/api-logs
 * global that bridges still use — reach the same exporter.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { logs, SeverityNumber, trace } from '@opentelemetry/api';
import { logs as legacyLogs, SeverityNumber as LegacySeverity } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { loadConfig } from '../../src/config.ts';
import { startSdk } from '../../src/sdk/start.ts';
import type { Feature } from '../../src/feature.ts';
import { loggingFeature } from '../../src/logging/feature.ts';
import { InMemoryLogWriter, StructuredLogger, configureLogging, getLogLevelRegistry } from '../../src/logging/index.ts';
import { resetLoggingForTests } from '../../src/logging/runtime.ts';

const exporter = new InMemoryLogRecordExporter();
const memFeature: Feature = {
  name: 'test-exporter',
  configure(b) {
    b.logRecordProcessors.push(new SimpleLogRecordProcessor({ exporter }));
  },
};

after(() => resetLoggingForTests());

test('startSdk: LOG_LEVEL/LOG_FORMAT apply; our logger, the api logs API and the legacy api-logs API all reach the exporter', async () => {
  const mem = new InMemoryLogWriter();
  // A logger made before the SDK starts picks the SDK's settings up on its next call.
  const early = new StructuredLogger('Early');
  configureLogging({ destination: mem, format: 'json', level: 'debug' });

  const { config } = loadConfig({
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_TRACES_EXPORTER: 'none',
    METRICS_ENABLED: 'false',
    HEALTH_CHECK_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'text',
    LOG_REDACT_KEYS: 'sessionToken',
  });
  const sdk = startSdk(config, { features: [loggingFeature(), memFeature], endpoint: false, httpInstrumentation: false });
  try {
    assert.equal(getLogLevelRegistry().getGlobalLevel(), 'warn');
    early.info('below LOG_LEVEL');
    early.warn('kept', { sessionToken: 'abc', password: 'not in the custom list' });

    const tracer = trace.getTracer('t');
    tracer.startActiveSpan('op', (span) => {
      logs.getLogger('api-user').emit({ severityNumber: SeverityNumber.INFO, body: 'from @opentelemetry/api' });
      legacyLogs.getLogger('bridge').emit({ severityNumber: LegacySeverity.WARN, body: 'from @opentelemetry/api-logs' });
      span.end();
    });

    const recs = exporter.getFinishedLogRecords();
    assert.deepEqual(
      recs.map((r) => [r.instrumentationScope.name, r.body, r.severityNumber]),
      [
        ['@wundr/otel', 'kept', SeverityNumber.WARN],
        ['api-user', 'from @opentelemetry/api', SeverityNumber.INFO],
        ['bridge', 'from @opentelemetry/api-logs', SeverityNumber.WARN],
      ],
    );
    assert.equal(recs[0]!.attributes['sessionToken'], '[REDACTED]');
    assert.equal(recs[0]!.attributes['password'], 'not in the custom list');
    assert.equal(recs[1]!.resource.attributes['service.name'], 'wundr-orchestrator');
    assert.equal(recs[1]!.resource, recs[2]!.resource, 'one provider for both APIs');

    assert.equal(mem.lines.length, 1);
    assert.match(mem.lines[0]!, /^\[[^\]]+\] \[WARN\] \[Early\] kept sessionToken=\[REDACTED\] password="not in the custom list"\n$/);
  } finally {
    assert.equal(await sdk.shutdown(), true);
  }
});

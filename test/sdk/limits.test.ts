/**
 * The attribute, event and link limits of the specification's environment
 * variables (OTEL_*_LIMIT): read with their precedence, given to the tracer
 * and logger providers, and seen by a real OTLP receiver from a preloaded
 * child, with both http/protobuf encoders.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { ROOT, runChild, type Child } from '../support/child.ts';
import { loadConfig } from '../../src/config.ts';

let receiver: OtlpReceiver | undefined;
const children: Child[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
});

test('config: spec defaults, the specific variable over the general one, one warning for a bad value', () => {
  const d = loadConfig({});
  assert.deepEqual(d.warnings, []);
  assert.deepEqual(d.config.tracing.limits, {
    attributeValueLengthLimit: Infinity,
    attributeCountLimit: 128,
    eventCountLimit: 128,
    linkCountLimit: 128,
    attributePerEventCountLimit: 128,
    attributePerLinkCountLimit: 128,
  });
  assert.deepEqual(d.config.logging.limits, { attributeValueLengthLimit: Infinity, attributeCountLimit: 128 });

  const general = loadConfig({ OTEL_ATTRIBUTE_COUNT_LIMIT: '7', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '20', OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '3', OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '5' });
  assert.deepEqual(general.warnings, []);
  assert.equal(general.config.tracing.limits.attributeCountLimit, 7);
  assert.equal(general.config.tracing.limits.attributeValueLengthLimit, 5);
  assert.equal(general.config.logging.limits.attributeCountLimit, 3);
  assert.equal(general.config.logging.limits.attributeValueLengthLimit, 20);
  // The per-event and per-link limits do not fall back to the general count (as sdk-node's reading).
  assert.equal(general.config.tracing.limits.attributePerEventCountLimit, 128);

  const bad = loadConfig({ OTEL_ATTRIBUTE_COUNT_LIMIT: '9', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'lots', OTEL_SPAN_EVENT_COUNT_LIMIT: '-1' });
  assert.equal(bad.config.tracing.limits.attributeCountLimit, 9, 'a bad specific value gives way to the general one');
  assert.equal(bad.config.tracing.limits.eventCountLimit, 128);
  assert.deepEqual(
    bad.warnings.map((w) => w.variable),
    ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_EVENT_COUNT_LIMIT'],
  );
  assert.match(bad.warnings[0]!.message, /OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="lots" is not an integer from 0 to 1000000; using 9/);
  assert.ok(!bad.warnings.some((w) => /ignored/.test(w.message)), 'not reported as ignored any more');
});

for (const encoder of ['wundr', 'stock'] as const) {
  test(`${encoder} encoder: a span and a log record arrive cut to the limits, with their dropped counts`, async () => {
    receiver ??= await startOtlpReceiver();
    receiver.clear();
    const service = `limits-${encoder}`;
    const child = runChild({
      args: ['--require', '@wundr/otel/register', path.join(ROOT, 'test', 'sdk', 'fixtures', 'limits.cjs')],
      env: {
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        WUNDR_OTEL_OTLP_ENCODER: encoder,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
        OTEL_ATTRIBUTE_COUNT_LIMIT: '4',
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2',
        OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '2',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '10',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '1',
      },
    });
    children.push(child);
    await child.waitForOutput(/emitted/);
    const r = receiver;
    await r.waitFor(
      () => r.spans().some((s) => s.name === 'limited' && s.resource['service.name'] === service) && r.logs().some((l) => l.body === 'limited' && l.resource['service.name'] === service),
      20000,
      'the span and the log record',
    );
    child.kill('SIGKILL');
    const span = r.spans().find((s) => s.name === 'limited')!;
    assert.deepEqual(span.attributes, { a: 'a'.repeat(10), b: 'b'.repeat(10) });
    assert.equal(span.droppedAttributesCount, 3);
    assert.deepEqual(span.events.map((e) => e.name), ['ev2'], 'the newest event kept');
    const log = r.logs().find((l) => l.body === 'limited')!;
    assert.deepEqual(log.attributes, { a: 'a'.repeat(10), b: 'b'.repeat(10) });
    assert.equal(log.droppedAttributesCount, 3);
  });
}

/**
 * The helpers the collector-tier run judges the gateways with: the FNV-1a
 * hash against the published test vectors, the probabilistic share it
 * yields, trace classification and the Prometheus text reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { classify, fnv1a64, keptByHash, metricSum, shareTolerance } from './tier.ts';
import type { ReceivedSpan } from '../../support/otlpReceiver.ts';

test('fnv1a64 matches the FNV reference vectors', () => {
  assert.equal(fnv1a64(Buffer.from('')), 0xcbf29ce484222325n);
  assert.equal(fnv1a64(Buffer.from('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64(Buffer.from('foobar')), 0x85944171f73967e8n);
});

test('keptByHash keeps the configured share of random-looking trace ids, and none at 0 %, all at 100 %', () => {
  // Fixed ids: fresh random ones would leave the 3-sigma tolerance one run in 370.
  const ids = Array.from({ length: 20000 }, (_, i) => createHash('sha256').update(String(i)).digest('hex').slice(0, 32));
  const share = ids.filter((id) => keptByHash(id, 20)).length / ids.length;
  assert.ok(Math.abs(share - 0.2) <= shareTolerance(20, ids.length), `share ${share}`);
  assert.equal(ids.filter((id) => keptByHash(id, 0)).length, 0);
  assert.equal(ids.filter((id) => keptByHash(id, 100)).length, ids.length);
  // The salt changes the decision: the gateways must share it.
  assert.notDeepEqual(ids.slice(0, 200).map((id) => keptByHash(id, 50)), ids.slice(0, 200).map((id) => keptByHash(id, 50, 'other')));
});

const span = (traceId: string, spanId: string, startMs: number, endMs: number, code = 0, service = 'a'): ReceivedSpan => ({
  traceId, spanId, parentSpanId: '', traceState: '', name: 'x', kind: 1,
  startTimeUnixNano: String(BigInt(startMs) * 1_000_000n), endTimeUnixNano: String(BigInt(endMs) * 1_000_000n),
  attributes: {}, droppedAttributesCount: 0, events: [], links: [], status: { code, message: '' }, resource: { 'service.name': service }, scope: { name: '', version: '' },
});

test('classify: a trace is slow when its first start to last end, in whole ms, is over the threshold; in error when any span is', () => {
  const t = classify([span('aa'.repeat(16), '01'.repeat(8), 1000, 1200), span('aa'.repeat(16), '02'.repeat(8), 1100, 1600, 2, 'b'), span('bb'.repeat(16), '03'.repeat(8), 1000, 1499)], { slowMs: 500, percent: 0 });
  const a = t.get('aa'.repeat(16))!;
  assert.deepEqual([a.slow, a.error, a.spanIds.size, [...a.services].sort()], [true, true, 2, ['a', 'b']]);
  const b = t.get('bb'.repeat(16))!;
  assert.deepEqual([b.slow, b.error, b.byHash], [false, false, false]);
  // Exactly the threshold is not over it; 500.9 ms truncates to 500.
  const edge = (startNs: bigint, endNs: bigint) => {
    const s = span('cc'.repeat(16), '04'.repeat(8), 0, 0);
    return classify([{ ...s, startTimeUnixNano: String(startNs), endTimeUnixNano: String(endNs) }], { slowMs: 500, percent: 0 }).get('cc'.repeat(16))!.slow;
  };
  assert.equal(edge(1_000_000_123n, 1_500_900_000n), false);
  assert.equal(edge(1_000_000_000n, 1_501_000_000n), true);
});

test('metricSum adds the matching series of a family, with or without _total', () => {
  const text = [
    '# TYPE otelcol_exporter_send_failed_spans counter',
    'otelcol_exporter_send_failed_spans_total{exporter="load_balancing/gateways",x="1"} 3',
    'otelcol_exporter_send_failed_spans_total{exporter="otlp_http/gateway"} 5',
    'otelcol_exporter_send_failed_spans_totalx 7',
    'otelcol_loadbalancer_num_backends{resolver="static"} 2',
  ].join('\n');
  assert.equal(metricSum(text, 'otelcol_exporter_send_failed_spans'), 8);
  assert.equal(metricSum(text, 'otelcol_exporter_send_failed_spans', { exporter: 'load_balancing/gateways' }), 3);
  assert.equal(metricSum(text, 'otelcol_loadbalancer_num_backends'), 2);
});

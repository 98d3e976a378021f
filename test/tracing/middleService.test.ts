import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { request, ROOT, runChild, type Child } from '../support/child.ts';

const HOP = path.join(ROOT, 'build', 'test', 'tracing', 'fixtures', 'hop.js');
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');

let receiver: OtlpReceiver;
const children: Child[] = [];
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver.close();
});

async function service(name: string, env: Record<string, string>): Promise<number> {
  const child = runChild({
    args: ['--require', REGISTER, HOP],
    env: {
      OTEL_SERVICE_NAME: name,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_LOGS_EXPORTER: 'none',
      METRICS_ENABLED: 'false',
      HEALTH_CHECK_ENABLED: 'false',
      ALERTING_ENABLED: 'false',
      // Port 0: the fixture prints the port it got, so no other test can take it in between.
      APP_PORT: '0',
      ...env,
    },
  });
  children.push(child);
  const m = await child.waitForOutput(/listening (\d+)/);
  return Number(m[1]);
}

test('A -> B -> C with tracing off in B (TRACING_ENABLED=false): C continues A\'s trace, with A\'s span as parent', async () => {
  const c = await service('svc-c', {});
  const b = await service('svc-b', { TRACING_ENABLED: 'false', NEXT_URL: `http://127.0.0.1:${c}/call` });
  const a = await service('svc-a', { NEXT_URL: `http://127.0.0.1:${b}/call` });
  const res = await request(a, '/call');
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body) as { next: { received: string; next: { received: string } } };
  const [, aTrace, aSpan, flags] = body.next.received.split('-');
  assert.equal(body.next.next.received, body.next.received, 'B passed the traceparent on unchanged');
  assert.equal(flags, '01');

  await receiver.waitFor(() => receiver.spans().some((s) => s.resource['service.name'] === 'svc-c'), 15000, 'C exported its span');
  const cSpan = receiver.spans().find((s) => s.resource['service.name'] === 'svc-c')!;
  assert.equal(cSpan.traceId, aTrace, 'C is in A\'s trace');
  assert.equal(cSpan.parentSpanId, aSpan, 'C\'s parent is A\'s client span: B is invisible, not a hole');
  await receiver.waitFor(() => receiver.spans().some((s) => s.resource['service.name'] === 'svc-a' && s.spanId === aSpan), 15000, 'A exported its client span');
  assert.ok(!receiver.spans().some((s) => s.resource['service.name'] === 'svc-b'), 'B exported nothing');
});

test('A -> B -> C with B tracing but not exporting (OTEL_TRACES_EXPORTER=none): B sets parent-id to its own operation, keeps A\'s trace', async () => {
  const c = await service('svc-c2', {});
  const b = await service('svc-b2', { OTEL_TRACES_EXPORTER: 'none', NEXT_URL: `http://127.0.0.1:${c}/call` });
  const a = await service('svc-a2', { NEXT_URL: `http://127.0.0.1:${b}/call` });
  const res = await request(a, '/call');
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body) as { next: { received: string; next: { received: string } } };
  const [, aTrace, aSpan, aFlags] = body.next.received.split('-');
  const [version, bTrace, bSpan, bFlags] = body.next.next.received.split('-');
  assert.equal(version, '00');
  assert.equal(bTrace, aTrace, 'the same trace');
  assert.notEqual(bSpan, aSpan, 'parent-id is B\'s current operation, not A\'s');
  assert.match(bSpan!, /^[0-9a-f]{16}$/);
  assert.notEqual(bSpan, '0000000000000000');
  assert.equal(bFlags, aFlags, 'B\'s parent-based sampler follows A\'s flag');
  await receiver.waitFor(() => receiver.spans().some((s) => s.resource['service.name'] === 'svc-c2'), 15000, 'C exported its span');
  const cSpan = receiver.spans().find((s) => s.resource['service.name'] === 'svc-c2' && s.kind === 2)!;
  assert.equal(cSpan.traceId, aTrace);
  assert.equal(cSpan.parentSpanId, bSpan);
  assert.ok(!receiver.spans().some((s) => s.resource['service.name'] === 'svc-b2'), 'B exported nothing');
});

test('no traceparent into a service with OTEL_TRACES_EXPORTER=none: it starts a trace, downstream gets a valid fresh one', async () => {
  const c = await service('svc-c3', {});
  const b = await service('svc-b3', { OTEL_TRACES_EXPORTER: 'none', NEXT_URL: `http://127.0.0.1:${c}/call` });
  const seen = new Set<string>();
  for (const tp of [undefined, 'garbage', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`]) {
    const res = await request(b, '/call', tp ? { headers: { traceparent: tp } } : {});
    assert.equal(res.status, 200);
    const got = (JSON.parse(res.body) as { next: { received: string } }).next.received;
    assert.match(got, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, `a valid traceparent downstream for ${tp ?? 'none'}`);
    assert.ok(!got.includes('0'.repeat(32)));
    seen.add(got.split('-')[1]!);
  }
  assert.equal(seen.size, 3, 'a new trace each time');
});

test('a hostile traceparent into A starts a fresh trace; nothing breaks', async () => {
  const a = await service('svc-hostile', {});
  for (const tp of ['00-00000000000000000000000000000000-1111222233334444-01', 'garbage', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-${'x'.repeat(5000)}`]) {
    const res = await request(a, '/call', { headers: { traceparent: tp, tracestate: 'a=1,A=2', 'x-trace-id': 'not-hex' } });
    assert.equal(res.status, 200);
  }
  await receiver.waitFor(() => receiver.spans().filter((s) => s.resource['service.name'] === 'svc-hostile').length >= 3, 15000, 'three server spans');
  for (const s of receiver.spans().filter((x) => x.resource['service.name'] === 'svc-hostile')) {
    assert.equal(s.parentSpanId, '', 'a root span');
    assert.notEqual(s.traceId, 'a'.repeat(32));
  }
});

test('an old peer sending only x-trace-id (HTTP header) is joined: the server span continues that trace', async () => {
  const a = await service('svc-legacy', {});
  const legacyTrace = 'abcdefabcdefabcdefabcdefabcdef12';
  const res = await request(a, '/call', { headers: { 'x-trace-id': legacyTrace.toUpperCase(), 'x-span-id': '1234567890abcdef' } });
  assert.equal(res.status, 200);
  await receiver.waitFor(() => receiver.spans().some((s) => s.resource['service.name'] === 'svc-legacy'), 15000, 'the server span');
  const s = receiver.spans().find((x) => x.resource['service.name'] === 'svc-legacy')!;
  assert.equal(s.traceId, legacyTrace);
  assert.equal(s.parentSpanId, '1234567890abcdef');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { AlertEvaluator } from '../../src/alerting/AlertEvaluator.ts';
import { StaticMetricSource } from '../../src/metrics/MetricSnapshot.ts';
import { webhookBody } from '../../src/alerting/WebhookSender.ts';
import { freePort } from '../support/child.ts';
import type { AlertRule, Alert } from '../../src/alerting/types.ts';

interface Received {
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** A real local receiver; `respond` decides status (or hangs when it returns 'hang'). */
async function receiver(respond: (n: number) => number | 'hang') {
  const got: Received[] = [];
  let n = 0;
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      got.push({ body: JSON.parse(data), headers: req.headers });
      const r = respond(n++);
      if (r === 'hang') hung.push(res);
      else res.writeHead(r).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/v2/alerts`,
    got,
    close: () =>
      new Promise<void>((r) => {
        for (const h of hung) h.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function queueRule(webhook: Record<string, unknown>): AlertRule {
  return {
    name: 'QueueBacklog',
    description: 'Queue depth exceeds 100',
    metric: 'wundr_queue_depth',
    expr: { kind: 'value', by: ['queue_name'] },
    condition: 'gt',
    threshold: 100,
    duration: 0,
    severity: 'warning',
    labels: { team: 'core' },
    annotations: { summary: 'Queue {{ $labels.queue_name }} at {{ $value }}' },
    actions: [{ type: 'webhook', config: webhook }],
  };
}

async function fireAndResolve(ev: AlertEvaluator, src: StaticMetricSource): Promise<number> {
  src.set('wundr_queue_depth', 150, { queue_name: 'tasks' });
  const t0 = performance.now();
  await ev.evaluate();
  const firingMs = performance.now() - t0;
  src.set('wundr_queue_depth', 0, { queue_name: 'tasks' });
  await ev.evaluate();
  return firingMs;
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('webhook: firing and resolved reach a real receiver with an Alertmanager v2 body', async (t) => {
  const rx = await receiver(() => 200);
  t.after(() => rx.close());
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: [queueRule({ url: rx.url, headers: { 'X-Test': '1' } })], source: src });
  await fireAndResolve(ev, src);
  await until(() => rx.got.length === 2);
  // Delivered in order: firing first, then resolved.
  const [firing, resolved] = rx.got.map((g) => g.body as Record<string, any>[]);
  assert.equal(rx.got[0]!.headers['x-test'], '1');
  assert.equal(rx.got[0]!.headers['content-type'], 'application/json');
  assert.ok(Array.isArray(firing));
  assert.deepEqual(firing![0]!.labels, { alertname: 'QueueBacklog', severity: 'warning', team: 'core', queue_name: 'tasks' });
  assert.equal(firing![0]!.annotations.summary, 'Queue tasks at 150');
  assert.match(firing![0]!.startsAt, /^\d{4}-/);
  assert.equal(firing![0]!.endsAt, undefined);
  assert.match(resolved![0]!.endsAt, /^\d{4}-/, 'resolved carries endsAt (Alertmanager resolves on it)');
  await ev.flush();
  assert.equal(ev.webhooks.stats.sent, 2);
});

test('webhook: retries 5xx a bounded number of times, then gives up', async (t) => {
  const rx = await receiver(() => 503);
  t.after(() => rx.close());
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: [queueRule({ url: rx.url, retries: 2, backoffMs: 10 })], source: src });
  src.set('wundr_queue_depth', 150, { queue_name: 'tasks' });
  await ev.evaluate();
  await ev.flush();
  assert.equal(rx.got.length, 3, 'one attempt + 2 retries');
  assert.equal(ev.webhooks.stats.failed, 1);
  assert.equal(ev.webhooks.stats.retried, 2);
});

test('webhook: a 4xx is not retried; a 500 then 200 succeeds on retry', async (t) => {
  const rx = await receiver((n) => (n === 0 ? 400 : 200));
  t.after(() => rx.close());
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: [queueRule({ url: rx.url, backoffMs: 10 })], source: src });
  src.set('wundr_queue_depth', 150, { queue_name: 'tasks' });
  await ev.evaluate();
  await ev.flush();
  assert.equal(rx.got.length, 1);
  assert.equal(ev.webhooks.stats.failed, 1);

  const rx2 = await receiver((n) => (n === 0 ? 500 : 200));
  t.after(() => rx2.close());
  const ev2 = new AlertEvaluator({ rules: [queueRule({ url: rx2.url, backoffMs: 10 })], source: src });
  await ev2.evaluate();
  await ev2.flush();
  assert.equal(rx2.got.length, 2);
  assert.equal(ev2.webhooks.stats.sent, 1);
});

test('webhook: a dead receiver (connection refused) never blocks evaluation', async () => {
  const port = await freePort(); // nothing listens there
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: [queueRule({ url: `http://127.0.0.1:${port}/hook`, retries: 1, backoffMs: 10 })], source: src });
  await fireAndResolve(ev, src);
  assert.equal(ev.getResolvedAlerts().length, 1, 'state machine went on');
  await ev.flush();
  assert.equal(ev.webhooks.stats.failed, 2, 'both deliveries failed after their retry');
  assert.equal(ev.webhooks.stats.sent, 0);
});

test('webhook: deliveries to one receiver keep their order even when the first one is slow', async (t) => {
  let first = true;
  const order: string[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as { endsAt?: string }[];
      order.push(body[0]!.endsAt ? 'resolved' : 'firing');
      const delay = first ? 150 : 0;
      first = false;
      setTimeout(() => res.writeHead(200).end(), delay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: [queueRule({ url })], source: src });
  for (let i = 0; i < 3; i++) await fireAndResolve(ev, src);
  await ev.flush();
  assert.deepEqual(order, ['firing', 'resolved', 'firing', 'resolved', 'firing', 'resolved']);
});

test('webhook: a slow (hanging) receiver is cut at the timeout; evaluation does not wait for it', async (t) => {
  const rx = await receiver(() => 'hang');
  t.after(() => rx.close());
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: [queueRule({ url: rx.url, timeoutMs: 150, retries: 0 })], source: src });
  src.set('wundr_queue_depth', 150, { queue_name: 'tasks' });
  await ev.evaluate();
  assert.equal(ev.getFiringAlerts().length, 1);
  assert.equal(ev.webhooks.stats.inFlight, 1, 'evaluate() returned while the POST is still hanging');
  const t0 = Date.now();
  await ev.flush();
  assert.ok(Date.now() - t0 < 3000, 'the per-attempt timeout bounds the delivery');
  assert.equal(ev.webhooks.stats.failed, 1);
  assert.equal(rx.got.length, 1);
});

test('webhook body in the Alertmanager webhook-notification format', () => {
  const a: Alert = {
    id: 'QueueBacklog{queue_name="q"}',
    rule: 'QueueBacklog',
    state: 'firing',
    severity: 'warning',
    labels: { queue_name: 'q' },
    annotations: { summary: 's' },
    value: 150,
    threshold: 100,
    condition: 'gt',
    activeAt: '2026-01-01T00:00:00.000Z',
    firedAt: '2026-01-01T00:05:00.000Z',
  };
  const body = JSON.parse(webhookBody([a], 'webhook'));
  assert.equal(body.version, '4');
  assert.equal(body.status, 'firing');
  assert.deepEqual(body.commonLabels, { alertname: 'QueueBacklog', severity: 'warning', queue_name: 'q' });
  assert.equal(body.alerts[0].status, 'firing');
  assert.equal(body.alerts[0].startsAt, '2026-01-01T00:05:00.000Z');
});

test('definition-time misuse of rules throws precise messages', () => {
  const ev = new AlertEvaluator({ rules: [] });
  const base = queueRule({ url: 'http://127.0.0.1:1/' });
  assert.throws(() => ev.addRule({ ...base, actions: [{ type: 'webhook', config: {} }] }), /webhook action needs config.url/);
  assert.throws(() => ev.addRule({ ...base, metric: 'wundr_no_such_metric' }), /wundr_no_such_metric is not in the catalogue/);
  assert.throws(() => ev.addRule({ ...base, expr: { kind: 'rate', window: 300 } }), /wundr_queue_depth is a gauge; this expression needs a counter/);
  assert.throws(() => ev.addRule({ ...base, metric: 'wundr_tool_errors_total', expr: { kind: 'quantile', quantile: 0.9, window: 60 } }), /needs a histogram/);
  assert.throws(() => ev.addRule({ ...base, metric: 'wundr_session_duration_seconds', expr: { kind: 'quantile', quantile: 1.5, window: 60 } }), /quantile must be from 0 to 1/);
  assert.throws(() => ev.addRule({ ...base, expr: { kind: 'value', by: ['nope'] } }), /has no label nope/);
  assert.throws(() => ev.addRule({ ...base, expr: { kind: 'value', divisor: 2, divisorMetric: 'wundr_queue_depth' } }), /give divisor or divisorMetric, not both/);
  assert.throws(() => ev.addRule({ ...base, expr: { kind: 'value', divisorMetric: 'wundr_no_such_gauge' } }), /wundr_no_such_gauge is not in the catalogue/);
  assert.throws(() => ev.addRule({ ...base, name: 'bad name' }), /name must match/);
  assert.throws(() => ev.addRule({ ...base, condition: 'ne' as never }), /condition must be one of/);
  assert.throws(() => ev.addRule({ ...base, duration: -1 }), /duration must be >= 0/);
  assert.throws(() => new AlertEvaluator({ intervalSeconds: 0 }), /interval must be > 0/);
  ev.addRule({ ...base, metric: 'my_app_metric' }, { allowUnknownMetrics: true });
  assert.equal(ev.getRules().length, 1);
});

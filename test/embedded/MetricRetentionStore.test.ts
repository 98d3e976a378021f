/** The retention store on a moved clock: rollups, retention, caps, the dashboard export. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricRetentionStore } from '../../src/embedded/MetricRetentionStore.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

function store(extra: ConstructorParameters<typeof MetricRetentionStore>[0] = {}) {
  const clock = { now: Date.UTC(2026, 0, 1, 10, 0, 0) };
  const s = new MetricRetentionStore({ now: () => clock.now, ...extra });
  return { s, clock };
}

test('raw points roll up per complete minute (count, sum, min, max, avg); the current minute stays raw', () => {
  const { s, clock } = store();
  const t0 = clock.now;
  for (const v of [1, 2, 3, 6]) {
    s.record('wundr_queue_depth', v, { queue_name: 'tasks' });
    clock.now += 10_000;
  }
  clock.now = t0 + MIN + 5000;
  s.record('wundr_queue_depth', 100, { queue_name: 'tasks' });
  s.compact();
  const m = s.queryMinute('wundr_queue_depth', 0, { queue_name: 'tasks' });
  assert.deepEqual(m, [{ timestamp: t0, endTimestamp: t0 + MIN, count: 4, sum: 12, min: 1, max: 6, avg: 3 }]);
  assert.equal(s.queryRaw('wundr_queue_depth', 0, { queue_name: 'tasks' }).length, 5, 'raw kept for 5 minutes');
  // Compacting again does not roll the same minute twice.
  s.compact();
  assert.equal(s.queryMinute('wundr_queue_depth', 0, { queue_name: 'tasks' }).length, 1);
  assert.deepEqual(s.queryRaw('wundr_queue_depth', 0), [], 'a series is its name and labels');
});

test('retention: raw 5 min, minutes 1 h, hours 24 h', () => {
  const { s, clock } = store();
  const t0 = clock.now;
  for (let i = 0; i < 26 * 60; i++) {
    s.record('m', i);
    clock.now = t0 + (i + 1) * MIN;
    if (i % 10 === 0) s.compact();
  }
  s.compact();
  const raw = s.queryRaw('m', 0);
  assert.ok(raw.length <= 6 && raw.every((p) => p.timestamp >= clock.now - 5 * MIN), `raw ${raw.length}`);
  const minutes = s.queryMinute('m', 0);
  assert.ok(minutes.length >= 55 && minutes.length <= 61, `minutes ${minutes.length}`);
  const hours = s.queryHour('m', 0);
  assert.ok(hours.length >= 23 && hours.length <= 25, `hours ${hours.length}`);
  assert.ok(hours.every((h) => h.count === 60 || h.timestamp >= clock.now - 25 * HOUR));
  assert.equal(hours[0]!.count, 60);
});

test('caps: points per series and number of series', () => {
  const { s } = store({ maxRawPointsPerMetric: 10, maxSeries: 3 });
  for (let i = 0; i < 50; i++) s.record('a', i);
  assert.equal(s.queryRaw('a', 0).length, 10);
  assert.equal(s.queryRaw('a', 0)[0]!.value, 40);
  for (let i = 0; i < 10; i++) s.record('b', 1, { id: String(i) });
  assert.equal(s.getMetricKeys().length, 3);
  assert.equal(s.droppedPoints, 8);
  s.record('c', Number.NaN);
  assert.equal(s.getMetricKeys().length, 3, 'a non-finite value is not a point');
});

test('exportForDashboard: the old shape, resolutions and since honoured, metric filter', () => {
  const { s, clock } = store();
  const t0 = clock.now;
  s.record('x', 1, { k: 'v' });
  s.record('y', 2);
  clock.now += 2 * MIN;
  s.compact();
  s.record('x', 3, { k: 'v' });
  const all = s.exportForDashboard();
  assert.deepEqual(Object.keys(all).sort(), ['exportedAt', 'metrics', 'retentionConfig', 'summary']);
  assert.deepEqual(all.retentionConfig, { rawRetentionMs: 5 * MIN, minuteRetentionMs: HOUR, hourRetentionMs: 24 * HOUR });
  assert.deepEqual(all.summary, { totalMetrics: 2, totalRawPoints: 3, totalMinuteRollups: 2, totalHourRollups: 0 });
  const x = all.metrics.find((m) => m.metric === 'x' && m.resolution === 'minute')!;
  assert.deepEqual(x.labels, { k: 'v' });
  assert.deepEqual(x.points, [{ timestamp: t0, value: 1, min: 1, max: 1, count: 1 }]);
  const rawOnly = s.exportForDashboard({ includeMinute: false, includeHour: false, sinceMs: t0 + MIN });
  assert.deepEqual(rawOnly.metrics.map((m) => [m.metric, m.resolution, m.points.length]), [['x', 'raw', 1]]);
  assert.deepEqual(s.exportForDashboard({ metrics: ['y'] }).metrics.map((m) => m.metric), ['y', 'y']);
});

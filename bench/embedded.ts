/**
 * Memory of the embedded view at its bounds, measured on the heap:
 *   node --expose-gc build/bench/embedded.js [--series 600] [--traces 5000] [--rounds 21] [--spans 200000]
 *
 * 0. The ring's cost per span on the request path (below).
 * 1. The recent-trace ring filled past its default bounds with traces shaped
 *    like the example daemon's (12 spans with their attributes, 5 log lines).
 * 2. The retention store fed a day of collections (one every 5 s, `--series`
 *    series each, compacted every minute) on a moved clock, so raw, minute
 *    and hour tiers are all at their bounds.
 * The figures are heapUsed after a full GC, minus the same before.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TraceRing } from '../src/embedded/TraceRing.ts';
import { MetricRetentionStore } from '../src/embedded/MetricRetentionStore.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc\n');
  process.exit(2);
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const MiB = 1024 * 1024;

function ringMemory(traces: number): { heapMiB: number; estimateMiB: number; kept: number } {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const before = heap();
  const ring = new TraceRing();
  const resource = resourceFromAttributes({ 'service.name': 'wundr-orchestrator', 'service.instance.id': 'x' });
  const tracer = new TracerProvider({ resource, spanProcessors: [ring.spanProcessor()] }).getTracer('bench');
  const logger = new LoggerProvider({ resource, processors: [ring.logRecordProcessor()] }).getLogger('bench');
  for (let t = 0; t < traces; t++) {
    const root = tracer.startSpan('ws.message task', { attributes: { 'wundr.ws.message_type': 'task', 'wundr.ws.connection_id': `ws-${t % 7}`, 'wundr.ws.message_size_bytes': 181 } });
    const ctx = trace.setSpan(context.active(), root);
    context.with(ctx, () => {
      for (let i = 0; i < 11; i++) {
        const s = tracer.startSpan(i % 3 === 0 ? 'chat claude-sonnet-4' : `execute_tool tool_${i}`, {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'anthropic',
            'gen_ai.request.model': 'claude-sonnet-4',
            'gen_ai.usage.input_tokens': 812,
            'gen_ai.usage.output_tokens': 240,
            'wundr.session.id': `session_${t}`,
            'wundr.orchestrator.id': 'orch-1',
          },
        });
        if (i < 5) logger.emit({ body: `Session step ${i} of task ${t}`, severityText: 'INFO', attributes: { component: 'SessionExecutor', sessionId: `session_${t}`, orchestratorId: 'orch-1' } });
        s.end();
      }
    });
    root.end();
  }
  const after = heap();
  const out = { heapMiB: (after - before) / MiB, estimateMiB: ring.bytes / MiB, kept: ring.size };
  void ring;
  return out;
}

function storeMemory(series: number): { heapMiB: number; points: number } {
  const before = heap();
  const clock = { now: Date.UTC(2026, 0, 1) };
  const store = new MetricRetentionStore({ now: () => clock.now });
  const labels = Array.from({ length: series }, (_, i) => ({ name: `wundr_series_${i % 60}_total`, labels: { orchestrator_id: 'orch-1', kind: `k${i}` } }));
  const day = 24 * 3600 * 1000;
  let lastCompact = clock.now;
  for (let t = 0; t < day + 10 * 60_000; t += 5000) {
    clock.now += 5000;
    for (let i = 0; i < series; i++) store.recordAt(clock.now, labels[i]!.name, t / 1000 + i, labels[i]!.labels);
    if (clock.now - lastCompact >= 60_000) {
      lastCompact = clock.now;
      store.compact();
    }
  }
  const after = heap();
  const d = store.exportForDashboard();
  return { heapMiB: (after - before) / MiB, points: d.summary.totalRawPoints + d.summary.totalMinuteRollups + d.summary.totalHourRollups };
}

/**
 * The ring's cost per span on the request path: a SERVER span with the HTTP
 * attributes started and ended through a provider whose only processor is
 * the ring, against one whose only processor does nothing. Interleaved
 * rounds; the median of the per-round differences.
 */
function ringCostNs(rounds: number, perRound: number): { medianNs: number; rounds: number[] } {
  const resource = resourceFromAttributes({ 'service.name': 'bench' });
  const noop = { onStart() {}, onEnd() {}, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
  const ring = new TraceRing();
  const withRing = new TracerProvider({ resource, spanProcessors: [ring.spanProcessor()] }).getTracer('b');
  const without = new TracerProvider({ resource, spanProcessors: [noop] }).getTracer('b');
  const attrs = { 'http.request.method': 'GET', 'url.path': '/', 'url.scheme': 'http', 'server.address': '127.0.0.1', 'server.port': 8080, 'network.protocol.version': '1.1', 'user_agent.original': 'autocannon' };
  // CPU time of this process, not wall time: the machine is shared, and CPU time does not count
  // the moments another process had the core.
  const run = (tracer: typeof withRing): number => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < perRound; i++) {
      const s = tracer.startSpan('GET', { kind: 1, attributes: attrs });
      s.setAttribute('http.response.status_code', 200);
      s.end();
    }
    const d = process.cpuUsage(t0);
    return ((d.user + d.system) * 1000) / perRound;
  };
  run(withRing);
  run(without);
  const diffs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = r % 2 === 0 ? run(without) : 0;
    const b = run(withRing);
    const c = r % 2 === 1 ? run(without) : a;
    diffs.push(b - c);
  }
  const sorted = [...diffs].sort((x, y) => x - y);
  return { medianNs: sorted[Math.floor(sorted.length / 2)]!, rounds: diffs };
}

const cost = ringCostNs(arg('--rounds', 21), arg('--spans', 200_000));
process.stdout.write(`ring cost per span (SERVER span, 8 attributes), median of ${cost.rounds.length} interleaved rounds: ${cost.medianNs.toFixed(0)} ns of CPU (rounds: ${cost.rounds.map((x) => x.toFixed(0)).join(' ')})\n`);
const r = ringMemory(arg('--traces', 5000));
const s = storeMemory(arg('--series', 600));
process.stdout.write(
  `ring (defaults: 200 traces, 6 MiB estimated): ${r.kept} traces kept, heap +${r.heapMiB.toFixed(1)} MiB (its own estimate ${r.estimateMiB.toFixed(1)} MiB)\n` +
    `retention store, ${arg('--series', 600)} series after 24 h: ${s.points} points, heap +${s.heapMiB.toFixed(1)} MiB\n` +
    `total: +${(r.heapMiB + s.heapMiB).toFixed(1)} MiB\n`,
);

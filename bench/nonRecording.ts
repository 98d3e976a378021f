/**
 * The cost of participating in a trace without exporting
 * (OTEL_TRACES_EXPORTER=none, NonRecordingTracerProvider) against the API's
 * pass-through tracer (TRACING_ENABLED=false, the behaviour before), per
 * span started and ended, and per outgoing header injected:
 *
 *   root span         a request without a traceparent: pass-through gives the invalid span; ours makes two ids and asks the sampler
 *   child of remote   a request with a traceparent: pass-through wraps the parent; ours makes a span id and asks the parent-based sampler
 *   child + inject    the same, plus W3C traceparent/tracestate injection into a header object (an outgoing call)
 *
 * Interleaved rounds (each runs every variant once, in rotating order); the
 * report is the median ns per operation over rounds.
 *
 *   node_modules/.bin/node build/bench/nonRecording.js [rounds] [opsPerRound]
 */
import { ROOT_CONTEXT, trace, TraceFlags, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace';
import { NonRecordingTracer } from '../src/tracing/NonRecordingTracerProvider.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const N = Number(process.argv[3] ?? 200_000);

const passThrough: Tracer = trace.getTracerProvider().getTracer('bench');
const participating: Tracer = new NonRecordingTracer(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
const remote: Context = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});
const propagator = new W3CTraceContextPropagator();
const setter = { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) };
let sink = 0;

type Op = (t: Tracer) => void;
const OPS: Record<string, Op> = {
  'root span': (t) => {
    const s = t.startSpan('op', {}, ROOT_CONTEXT);
    sink += s.spanContext().spanId.length;
    s.end();
  },
  'child of remote': (t) => {
    const s = t.startSpan('op', {}, remote);
    sink += s.spanContext().spanId.length;
    s.end();
  },
  'child + inject': (t) => {
    const s = t.startSpan('op', {}, remote);
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(remote, s), headers, setter);
    sink += headers.traceparent?.length ?? 0;
    s.end();
  },
};

function run(op: Op, t: Tracer): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) op(t);
  return Number(process.hrtime.bigint() - t0) / N;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const variants: [string, Tracer][] = [
  ['pass-through (before)', passThrough],
  ['participating (now)', participating],
];
const results = new Map<string, number[]>();
for (const name of Object.keys(OPS)) for (const [v] of variants) results.set(`${name}|${v}`, []);
// Warm-up.
for (const op of Object.values(OPS)) for (const [, t] of variants) run(op, t);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  for (const [name, op] of Object.entries(OPS)) for (const [v, t] of order) results.get(`${name}|${v}`)!.push(run(op, t));
}
console.log(`| operation | ${variants.map(([v]) => `${v} ns`).join(' | ')} | added ns |`);
console.log(`|---|${variants.map(() => '---:').join('|')}|---:|`);
for (const name of Object.keys(OPS)) {
  const m = variants.map(([v]) => median(results.get(`${name}|${v}`)!));
  console.log(`| ${name} | ${m.map((x) => x.toFixed(0)).join(' | ')} | ${(m[1]! - m[0]!).toFixed(0)} |`);
}
console.log(`(${ROUNDS} interleaved rounds of ${N} operations; median per operation; ${sink > 0 ? 'ok' : ''})`);

/**
 * The cost of the fetch instrumentation per `fetch()`: sequential keep-alive
 * fetches to a local server (in a child process, so this process's CPU time
 * is the client's alone), with
 *   none       no instrumentation subscribed
 *   stock      @opentelemetry/instrumentation-undici as published
 *   wundr      the package's (stock + replacing propagation headers the caller set)
 * each under a sampled parent span, spans batched to a no-op exporter.
 * Variants run in interleaved rounds (rotating order) and are switched by
 * enable()/disable() on the same process; the report is the median over
 * rounds of CPU µs per fetch and of the ratio to `none` in the same round.
 *
 *   node_modules/.bin/node build/bench/fetch.js [rounds] [fetchesPerRound]
 */
import { spawn } from 'node:child_process';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { createUndiciInstrumentation } from '../src/sdk/internals/instrumentation-undici.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const N = Number(process.argv[3] ?? 400);

let exported = 0;
const noop: SpanExporter = {
  export(spans: ReadableSpan[], cb) {
    exported += spans.length;
    cb({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['-e', "const s=require('node:http').createServer((q,r)=>r.end('ok'));s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const url = `http://127.0.0.1:${port}/x?token=abc`;
  try {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    const provider = new TracerProvider({
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new BatchSpanProcessor({ exporter: noop, maxQueueSize: 8 * N, maxExportBatchSize: 512, scheduledDelayMillis: 20 })],
    });
    trace.setGlobalTracerProvider(provider);
    const variants: { name: string; inst?: Instrumentation }[] = [
      { name: 'none' },
      { name: 'stock instrumentation-undici' },
      { name: 'wundr (stock + header replacement)' },
    ];
    // Each subscribes when built (its config must say enabled: its hook checks it per request); off until its rounds.
    variants[1].inst = new UndiciInstrumentation();
    variants[2].inst = createUndiciInstrumentation();
    for (const v of variants) {
      v.inst?.setTracerProvider(provider);
      v.inst?.disable();
    }
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });

    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await context.with(parent, () => fetch(url));
        await r.text();
      }
    };
    await run(200); // warm-up: connection, JIT
    const cpu: Record<string, number[]> = {};
    const ratio: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      const us: Record<string, number> = {};
      for (const v of order) {
        v.inst?.enable();
        const c0 = process.cpuUsage();
        await run(N);
        const c = process.cpuUsage(c0);
        v.inst?.disable();
        us[v.name] = (c.user + c.system) / N;
        await provider.forceFlush();
      }
      for (const v of variants) {
        (cpu[v.name] ??= []).push(us[v.name]);
        (ratio[v.name] ??= []).push(us[v.name] / us.none);
      }
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const expected = 2 * ROUNDS * N;
    if (exported !== expected) throw new Error(`expected ${expected} spans exported, got ${exported}: an instrumentation did not trace`);
    console.log(`fetch() to a local keep-alive server, ${ROUNDS} interleaved rounds x ${N} fetches, Node ${process.versions.node}, ${exported} spans exported`);
    console.log('| variant | CPU µs/fetch (median) | ratio to none (median of per-round ratios) | added µs/fetch |');
    console.log('|---|---:|---:|---:|');
    for (const v of variants) {
      console.log(`| ${v.name} | ${median(cpu[v.name]).toFixed(1)} | ${median(ratio[v.name]).toFixed(3)} | ${(median(cpu[v.name]) - median(cpu.none)).toFixed(1)} |`);
    }
    await provider.shutdown();
  } finally {
    server.kill();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

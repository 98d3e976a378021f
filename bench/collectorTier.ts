/**
 * Throughput and memory of the collector tier (docs/SCALE.md), with the real
 * binaries on loopback: an agent (config.yaml + agent-loadbalancing.yaml,
 * static resolver) in front of two gateways (gateway.yaml, tail sampling)
 * exporting to Jaeger v2, driven by a closed-loop OTLP/HTTP protobuf load
 * generator in this process.
 *
 *   bash scripts/e2e/get-tools.sh && bash scripts/e2e/get-tools.sh collector-contrib
 *   flock /tmp/wundr-bench.lock npm run bench:tier -- [--duration 20] [--concurrency 4]
 *
 * Two runs: the whole tier (load into the agent), then one gateway alone
 * (load straight into gateway 1). Spans per second are the collectors' own
 * counters (otelcol_receiver_accepted_spans) over the run; memory is each
 * process's resident set, peak and at the end. The generator shares the
 * machine's cores with the collectors: the figures are what this machine
 * takes with its load source on it, not the collectors' ceiling.
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { freePort, ROOT } from '../test/support/child.ts';
import { encodeProtobuf } from '../test/support/otlpFullProto.ts';
import { http as httpCall, requireTools, startProc, waitFor, type Proc } from '../test/e2e/support/stack.ts';
import { memoryMiB, metricSum } from '../test/e2e/support/tier.ts';

const H = '127.0.0.1';
const CONF = path.join(ROOT, 'otel-collector');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const DURATION_S = arg('duration', 20);
const CONCURRENCY = arg('concurrency', 4);
const TRACES_PER_REQUEST = arg('traces', 50);
const SPANS_PER_TRACE = arg('spans', 10);
const DECISION_WAIT_S = arg('decision-wait', 10);
const PERCENT = arg('percent', 10);

/** One export request of TRACES_PER_REQUEST traces, and where each trace id sits in its bytes. */
function template(): { body: Buffer; offsets: number[][] } {
  const now = BigInt(Date.now()) * 1_000_000n;
  const traceIds = Array.from({ length: TRACES_PER_REQUEST }, () => randomBytes(16));
  const spans = traceIds.flatMap((traceId, t) => {
    const ids = Array.from({ length: SPANS_PER_TRACE }, () => randomBytes(8));
    return ids.map((spanId, i) => ({
      traceId,
      spanId,
      parentSpanId: i === 0 ? undefined : ids[i - 1],
      name: i === 0 ? 'ws.message task' : i % 3 === 0 ? 'execute_tool drift_detection' : 'chat claude-sonnet-4',
      kind: i === 0 ? 2 : 3,
      startTimeUnixNano: String(now + BigInt(i) * 1_000_000n),
      endTimeUnixNano: String(now + BigInt(i + 5) * 1_000_000n),
      attributes: [
        { key: 'gen_ai.provider.name', value: { stringValue: 'anthropic' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'claude-sonnet-4' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: 1200 } },
        { key: 'wundr.session.id', value: { stringValue: `session-${t}` } },
      ],
      status: { code: t % 50 === 0 && i === 1 ? 2 : 0 },
    }));
  });
  const body = encodeProtobuf('traces', {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'wundr-tier-bench' } }, { key: 'service.instance.id', value: { stringValue: 'bench-1' } }] },
      scopeSpans: [{ scope: { name: '@wundr/otel', version: '0.1.0' }, spans }],
    }],
  });
  const offsets = traceIds.map((id) => {
    const at: number[] = [];
    for (let i = body.indexOf(id); i >= 0; i = body.indexOf(id, i + 1)) at.push(i);
    return at;
  });
  return { body, offsets };
}

/** Closed loop: CONCURRENCY requests in flight for durationS, each with fresh trace ids. */
async function drive(url: string, durationS: number): Promise<{ requests: number; failed: number; spansOffered: number }> {
  const { body, offsets } = template();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = Date.now() + durationS * 1000;
  let requests = 0;
  let failed = 0;
  const post = (buf: Buffer) =>
    new Promise<number>((resolve) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': buf.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.setTimeout(10_000, () => req.destroy());
      req.end(buf);
    });
  const id = Buffer.alloc(16);
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const buf = Buffer.from(body);
      for (const at of offsets) {
        randomFillSync(id);
        for (const o of at) id.copy(buf, o);
      }
      const status = await post(buf);
      requests++;
      if (status !== 200) failed++;
    }
  }));
  agent.destroy();
  return { requests, failed, spansOffered: requests * TRACES_PER_REQUEST * SPANS_PER_TRACE };
}

async function main(): Promise<void> {
  const bin = requireTools(['jaeger', 'otelcol-wundr-contrib'], 'bash scripts/e2e/get-tools.sh && bash scripts/e2e/get-tools.sh collector-contrib');
  const work = mkdtempSync(path.join(tmpdir(), 'wundr-bench-tier-'));
  const ports: Record<string, number> = {};
  for (const k of ['jOtlpGrpc', 'jOtlpHttp', 'jQuery', 'jQueryGrpc', 'jHealth', 'jTelemetry', ...['agent', 'gw1', 'gw2'].flatMap((c) => [`${c}Grpc`, `${c}Http`, `${c}Health`, `${c}Telemetry`])]) {
    let p: number;
    do p = await freePort();
    while (Object.values(ports).includes(p));
    ports[k] = p;
  }
  const procs: Proc[] = [];
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const start = (name: string, cmd: string, args: string[], extra: Record<string, string>) => {
    const p = startProc(name, cmd, args, { cwd: ROOT, env: { ...env, ...extra }, logFile: path.join(work, `${name}.log`) });
    procs.push(p);
    return p;
  };
  const col = (c: string) => ({
    OTELCOL_OTLP_GRPC_ENDPOINT: `${H}:${ports[`${c}Grpc`]}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `${H}:${ports[`${c}Http`]}`,
    OTELCOL_HEALTH_ENDPOINT: `${H}:${ports[`${c}Health`]}`,
    OTELCOL_TELEMETRY_HOST: H,
    OTELCOL_TELEMETRY_PORT: String(ports[`${c}Telemetry`]),
  });
  try {
    const jaeger = start('jaeger', bin.jaeger!, ['--config', path.join(ROOT, 'scripts', 'e2e', 'jaeger.yaml')], {
      JAEGER_HOST: H,
      JAEGER_OTLP_GRPC_PORT: String(ports.jOtlpGrpc),
      JAEGER_OTLP_HTTP_PORT: String(ports.jOtlpHttp),
      JAEGER_QUERY_HTTP_PORT: String(ports.jQuery),
      JAEGER_QUERY_GRPC_PORT: String(ports.jQueryGrpc),
      JAEGER_HEALTH_PORT: String(ports.jHealth),
      JAEGER_TELEMETRY_PORT: String(ports.jTelemetry),
    });
    const gws = [1, 2].map((i) =>
      start(`gateway${i}`, bin['otelcol-wundr-contrib']!, ['--config', path.join(CONF, 'gateway.yaml')], {
        ...col(`gw${i}`),
        JAEGER_OTLP_ENDPOINT: `${H}:${ports.jOtlpGrpc}`,
        OTELCOL_TAIL_DECISION_WAIT: `${DECISION_WAIT_S}s`,
        OTELCOL_TAIL_PERCENT: String(PERCENT),
      }),
    );
    const overlay = path.join(work, 'agent-gateways.yaml');
    writeFileSync(overlay, stringifyYaml({ exporters: { 'load_balancing/gateways': { resolver: { dns: null, static: { hostnames: [1, 2].map((i) => `${H}:${ports[`gw${i}Grpc`]}`) } } } } }));
    const agent = start('agent', bin['otelcol-wundr-contrib']!, ['--config', path.join(CONF, 'config.yaml'), '--config', path.join(CONF, 'agent-loadbalancing.yaml'), '--config', overlay], {
      ...col('agent'),
      OTELCOL_DEBUG_VERBOSITY: 'basic',
    });
    for (const [p, url] of [[jaeger, `http://${H}:${ports.jHealth}/status`], [agent, `http://${H}:${ports.agentHealth}/`], ...gws.map((g, i) => [g, `http://${H}:${ports[`gw${i + 1}Health`]}/`])] as [Proc, string][]) {
      await waitFor(`${p.name} ready`, async () => {
        if (p.proc.exitCode !== null) throw new Error(`${p.name} exited:\n${p.log().slice(-2000)}`);
        if ((await httpCall(url, { timeoutMs: 2000 })).status !== 200) throw new Error('not yet');
      }, 60_000, 200);
    }
    const scrape = async (c: string) => (await httpCall(`http://${H}:${ports[`${c}Telemetry`]}/metrics`)).text;
    const counters = async () => {
      const out: Record<string, number> = {};
      for (const c of ['agent', 'gw1', 'gw2']) {
        const text = await scrape(c);
        out[`${c}Accepted`] = metricSum(text, 'otelcol_receiver_accepted_spans');
        out[`${c}Refused`] = metricSum(text, 'otelcol_receiver_refused_spans');
        out[`${c}Sent`] = metricSum(text, 'otelcol_exporter_sent_spans');
        out[`${c}Failed`] = metricSum(text, 'otelcol_exporter_send_failed_spans');
        out[`${c}DecisionMs`] = metricSum(text, 'otelcol_processor_tail_sampling_sampling_decision_timer_latency_sum');
        out[`${c}Decisions`] = metricSum(text, 'otelcol_processor_tail_sampling_sampling_decision_timer_latency_count');
        // Traces evicted before their decision because num_traces was reached: lost, errors too.
        out[`${c}Evicted`] = metricSum(text, 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early');
      }
      return out;
    };
    const results: Record<string, unknown> = {};
    for (const [label, target] of [['agent -> 2 gateways', 'agentHttp'], ['gateway 1 alone', 'gw1Http']] as const) {
      const c0 = await counters();
      const t0 = Date.now();
      const load = await drive(`http://${H}:${ports[target]}/v1/traces`, DURATION_S);
      const secs = (Date.now() - t0) / 1000;
      // Memory at its fullest: every trace of the run is still held for its decision.
      const memoryAtEnd = Object.fromEntries(procs.map((p) => [p.name, (({ rss, peak }) => ({ rss: Math.round(rss), peak: Math.round(peak) }))(memoryMiB(p.proc.pid!))]));
      // Then until the gateways have decided on and sent everything (their sent counters stand still).
      let c1 = await counters();
      let drainS = 0;
      for (let last = -1; drainS < 120; drainS += 2) {
        const sent = c1.gw1Sent! + c1.gw2Sent!;
        if (sent === last && drainS >= DECISION_WAIT_S) break;
        last = sent;
        await new Promise((r) => setTimeout(r, 2000));
        c1 = await counters();
      }
      const d = (k: string) => c1[k]! - c0[k]!;
      results[label] = {
        seconds: +secs.toFixed(1),
        offeredSpansPerS: Math.round(load.spansOffered / secs),
        failedRequests: load.failed,
        agentAcceptedPerS: Math.round(d('agentAccepted') / secs),
        agentRefused: d('agentRefused'),
        agentSendFailed: d('agentFailed'),
        gw1AcceptedPerS: Math.round(d('gw1Accepted') / secs),
        gw2AcceptedPerS: Math.round(d('gw2Accepted') / secs),
        gatewaysRefused: d('gw1Refused') + d('gw2Refused'),
        gatewaysSentToJaeger: d('gw1Sent') + d('gw2Sent'),
        // Kept: the probabilistic share, plus the 1 in 50 traces with an error span.
        keptExpected: Math.round(load.spansOffered * (PERCENT / 100 + 0.02 * (1 - PERCENT / 100))),
        drainSAfterLoad: drainS,
        spansPerSIncludingDrain: Math.round((d('gw1Accepted') + d('gw2Accepted')) / (secs + drainS)),
        tracesEvictedUndecided: d('gw1Evicted') + d('gw2Evicted'),
        decisionTickMsMean: +((d('gw1DecisionMs') + d('gw2DecisionMs')) / Math.max(1, d('gw1Decisions') + d('gw2Decisions'))).toFixed(1),
        memoryMiB: memoryAtEnd,
      };
      process.stdout.write(`${label}: ${JSON.stringify(results[label])}\n`);
    }
    process.stdout.write(
      `${JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: (await import('node:os')).loadavg() }, settings: { DURATION_S, CONCURRENCY, TRACES_PER_REQUEST, SPANS_PER_TRACE, DECISION_WAIT_S, PERCENT }, results })}\n`,
    );
  } finally {
    for (const p of procs.reverse()) await p.stop(5000).catch(() => {});
    if (process.env.WUNDR_BENCH_KEEP === '1') process.stderr.write(`logs in ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});

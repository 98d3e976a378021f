/**
 * The collector tier, run for real on loopback (docs/SCALE.md):
 *
 *   3 example daemons (+ their federation peers) --OTLP/HTTP--> agent collector
 *     (config.yaml + agent-loadbalancing.yaml, load-balancing exporter by
 *      trace id, static resolver) --OTLP/gRPC--> gateway 1, gateway 2
 *     (gateway.yaml: tail sampling) --OTLP/gRPC--> Jaeger v2
 *   Prometheus scrapes the three daemons.
 *
 *   bash scripts/e2e/get-tools.sh && bash scripts/e2e/get-tools.sh collector-contrib
 *   flock /tmp/wundr-e2e.lock npm run test:e2e:scale
 *
 * The agent also sends a copy of every span it receives over OTLP/HTTP to a
 * receiver in this test (its `otlp_http/gateway` exporter pointed here): the
 * ground truth each trace in Jaeger is compared with. Mid-run gateway 2 is
 * killed; the test then does what a resolver does on a membership change
 * (a DNS or Kubernetes resolver notices by itself): it rewrites the agent's
 * static gateway list and reloads the agent with SIGHUP.
 *
 * Logs and configs stay in the work directory printed at the start when a
 * test fails (or always with WUNDR_E2E_KEEP=1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { cleanEnv, freePort, NODE, ROOT } from '../support/child.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { spawnSync } from 'node:child_process';
import { Fatal, getJson, http as httpCall, requireTools, startProc, waitFor, type Proc } from './support/stack.ts';
import { classify, expectedKept, memoryMiB, metricSum, shareTolerance, type TraceTruth } from './support/tier.ts';

const H = '127.0.0.1';
const SERVICE = 'wundr-orchestrator-daemon';
const PEER_SERVICE = 'wundr-orchestrator-peer';
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const MAIN = path.join(ROOT, 'build', 'examples', 'daemon', 'main.js');
const CLI = path.join(ROOT, 'build', 'src', 'cli.js');
const CONF = path.join(ROOT, 'otel-collector');

/** The gateways' policies in this run (gateway.yaml's variables). */
const POLICIES = { slowMs: 500, percent: 20 };
const DECISION_WAIT_S = 4;
/** How long the daemons run before the kill, and after the failover. */
const PHASE_MS = 25_000;
/** The induced condition: daemon 2 parks 150 tasks (QueueBacklog: depth > 100). */
const BACKLOG_DAEMON = 1;
const DAEMONS = 3;
/** From the kill to the agent's new gateway list, as a resolver's poll interval would take. */
const RESOLVE_DELAY_MS = 5000;

let work = '';
let failed = false;
const procs: Proc[] = [];
const ports: Record<string, number> = {};
let tap: OtlpReceiver;
let agent: Proc;
const gateways: Proc[] = [];
const daemons: Proc[] = [];
let bin: Record<string, string>;
let agentOverlay = '';
const t: Record<string, number> = {};
const figures: Record<string, unknown> = {};

const prom = (p: string) => `http://${H}:${ports.prometheus}${p}`;
const jaeger = (p: string) => `http://${H}:${ports.jaegerQuery}${p}`;
const metricsUrl = (i: number, p: string) => `http://${H}:${ports[`metrics${i}`]}${p}`;
const telemetry = (name: string) => httpCall(`http://${H}:${ports[`${name}Telemetry`]}/metrics`, { timeoutMs: 5000 }).then((r) => r.text);

function step(name: string, fn: () => Promise<void> | void): void {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });
}

/** The agent's gateway list: an overlay the test rewrites on a membership change. */
function writeAgentOverlay(gatewayIdx: number[]): void {
  writeFileSync(agentOverlay, stringifyYaml({
    exporters: { 'load_balancing/gateways': { resolver: { dns: null, static: { hostnames: gatewayIdx.map((i) => `${H}:${ports[`gw${i}Grpc`]}`) } } } },
  }));
}

before(async () => {
  try {
    await startTier();
  } catch (e) {
    failed = true;
    throw e;
  }
});

async function startTier(): Promise<void> {
  bin = requireTools(['jaeger', 'prometheus', 'otelcol-wundr-contrib'], 'bash scripts/e2e/get-tools.sh && bash scripts/e2e/get-tools.sh collector-contrib');
  work = mkdtempSync(path.join(tmpdir(), 'wundr-e2e-scale-'));
  process.stderr.write(`[scale] logs and configs: ${work}\n`);
  const names = ['jaegerOtlpGrpc', 'jaegerOtlpHttp', 'jaegerQuery', 'jaegerQueryGrpc', 'jaegerHealth', 'jaegerTelemetry', 'prometheus'];
  for (const c of ['agent', 'gw1', 'gw2']) names.push(`${c}Grpc`, `${c}Http`, `${c}Health`, `${c}Telemetry`);
  for (let i = 0; i < DAEMONS; i++) names.push(`app${i}`, `metrics${i}`, `peerMetrics${i}`);
  for (const k of names) {
    let p: number;
    do p = await freePort();
    while (Object.values(ports).includes(p));
    ports[k] = p;
  }
  tap = await startOtlpReceiver();

  // Prometheus: the three daemons, and one rule grouped by instance. The
  // exported QueueBacklog aggregates instances away (max by (queue_name));
  // a fleet groups by instance too, and this is that rule.
  const exported = (parseYaml(cli(['rules'])).groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) => g.rules).find((r) => r.alert === 'QueueBacklog');
  assert.ok(exported?.expr.startsWith('max by (queue_name) '), `QueueBacklog's expression: ${exported?.expr}`);
  const rulesPath = path.join(work, 'fleet.rules.yml');
  writeFileSync(rulesPath, stringifyYaml({
    groups: [{ name: 'wundr-fleet', rules: [{ alert: 'QueueBacklogByInstance', expr: exported!.expr.replace('max by (queue_name) ', 'max by (instance, queue_name) '), for: '1s', labels: { severity: 'warning' } }] }],
  }));
  const promCfg = path.join(work, 'prometheus.yml');
  writeFileSync(promCfg, stringifyYaml({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [rulesPath],
    scrape_configs: [
      { job_name: 'wundr-daemon', static_configs: [{ targets: Array.from({ length: DAEMONS }, (_, i) => `${H}:${ports[`metrics${i}`]}`) }] },
      { job_name: 'otel-collector', static_configs: [{ targets: ['agent', 'gw1', 'gw2'].map((c) => `${H}:${ports[`${c}Telemetry`]}`) }] },
    ],
  }));

  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  const start = (name: string, cmd: string, args: string[], extra: Record<string, string>) => {
    const p = startProc(name, cmd, args, { cwd: ROOT, env: { ...env, ...extra }, logFile: path.join(work, `${name}.log`) });
    procs.push(p);
    return p;
  };
  const collectorEnv = (c: string) => ({
    OTELCOL_OTLP_GRPC_ENDPOINT: `${H}:${ports[`${c}Grpc`]}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `${H}:${ports[`${c}Http`]}`,
    OTELCOL_HEALTH_ENDPOINT: `${H}:${ports[`${c}Health`]}`,
    OTELCOL_TELEMETRY_HOST: H,
    OTELCOL_TELEMETRY_PORT: String(ports[`${c}Telemetry`]),
  });
  start('jaeger', bin.jaeger!, ['--config', path.join(ROOT, 'scripts', 'e2e', 'jaeger.yaml')], {
    JAEGER_HOST: H,
    JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpc),
    JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttp),
    JAEGER_QUERY_HTTP_PORT: String(ports.jaegerQuery),
    JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
    JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
    JAEGER_TELEMETRY_PORT: String(ports.jaegerTelemetry),
  });
  for (const i of [1, 2]) {
    gateways.push(start(`gateway${i}`, bin['otelcol-wundr-contrib']!, ['--config', path.join(CONF, 'gateway.yaml')], {
      ...collectorEnv(`gw${i}`),
      JAEGER_OTLP_ENDPOINT: `${H}:${ports.jaegerOtlpGrpc}`,
      OTELCOL_TAIL_DECISION_WAIT: `${DECISION_WAIT_S}s`,
      OTELCOL_TAIL_SLOW_MS: String(POLICIES.slowMs),
      OTELCOL_TAIL_PERCENT: String(POLICIES.percent),
    }));
  }
  agentOverlay = path.join(work, 'agent-gateways.yaml');
  writeAgentOverlay([1, 2]);
  agent = start('agent', bin['otelcol-wundr-contrib']!, ['--config', path.join(CONF, 'config.yaml'), '--config', path.join(CONF, 'agent-loadbalancing.yaml'), '--config', agentOverlay], {
    ...collectorEnv('agent'),
    // The load-balanced gateways, and the copy for this test's ground truth.
    OTELCOL_TRACES_EXPORTERS: '[load_balancing/gateways, otlp_http/gateway]',
    OTELCOL_GATEWAY_ENDPOINT: tap.url,
    OTELCOL_DEBUG_VERBOSITY: 'basic',
    OTELCOL_GATEWAY_RETRY_MAX_INTERVAL: '1s',
    OTELCOL_GATEWAY_RETRY_MAX_ELAPSED: '2s',
  });
  start('prometheus', bin.prometheus!, [`--config.file=${promCfg}`, `--storage.tsdb.path=${path.join(work, 'prometheus-data')}`, `--web.listen-address=${H}:${ports.prometheus}`], {});

  const ready = async (p: Proc, url: string) =>
    waitFor(`${p.name} ready at ${url}`, async () => {
      if (p.proc.exitCode !== null) throw new Fatal(`${p.name} exited (${p.proc.exitCode}):\n${p.log().slice(-3000)}`);
      const r = await httpCall(url, { timeoutMs: 2000 });
      if (r.status !== 200) throw new Error(`${r.status}`);
    }, 60_000, 100);
  await Promise.all([
    ready(procs.find((p) => p.name === 'jaeger')!, `http://${H}:${ports.jaegerHealth}/status`),
    ready(agent, `http://${H}:${ports.agentHealth}/`),
    ...gateways.map((g, i) => ready(g, `http://${H}:${ports[`gw${i + 1}Health`]}/`)),
    ready(procs.find((p) => p.name === 'prometheus')!, prom('/-/ready')),
  ]);

  t.start = Date.now();
  for (let i = 0; i < DAEMONS; i++) {
    daemons.push(start(`daemon${i}`, NODE, ['--require', REGISTER, MAIN], cleanEnv({
      OTEL_SERVICE_NAME: SERVICE,
      PEER_SERVICE_NAME: PEER_SERVICE,
      OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=daemon-${i}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${H}:${ports.agentHttp}`,
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      APP_PORT: String(ports[`app${i}`]),
      METRICS_PORT: String(ports[`metrics${i}`]),
      METRICS_HOST: H,
      PEER_METRICS_PORT: String(ports[`peerMetrics${i}`]),
      WUNDR_ORCHESTRATOR_ID: `orch-${i}`,
      WUNDR_DEMO_QUEUE_BACKLOG: i === BACKLOG_DAEMON ? '150' : '0',
      WUNDR_DEMO_CLIENTS: '2',
      WUNDR_DEMO_RATE: '1',
      WUNDR_DEMO_DELEGATE_EVERY: '2',
      WUNDR_DEMO_ERROR_RATE: '0.03',
      WUNDR_DEMO_SEED: String(100 + i),
    })));
  }
  for (const d of daemons) {
    await waitFor(`${d.name} to listen`, () => {
      if (d.proc.exitCode !== null) throw new Fatal(`${d.name} exited (${d.proc.exitCode}):\n${d.log().slice(-3000)}`);
      if (!/wundr example daemon listening/.test(d.log())) throw new Error('not yet');
    }, 30_000, 100);
  }
}

function cli(args: string[]): string {
  const r = spawnSync(NODE, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
  assert.equal(r.status, 0, `wundr-otel ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

after(async () => {
  for (const p of [...procs].reverse()) await p.stop(5000).catch(() => {});
  await tap?.close();
  if (!work) return;
  if (failed || process.env.WUNDR_E2E_KEEP === '1') process.stderr.write(`[scale] logs and configs kept in ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

step('Prometheus scrapes the three daemons; the rule grouped by instance fires for the daemon with the backlog only', async () => {
  const targets = await waitFor('the three daemons up', async () => {
    const r = await getJson(prom('/api/v1/targets?state=active'));
    const ts = (r.data.activeTargets as { labels: { job: string; instance: string }; health: string; lastError: string }[]).filter((x) => x.labels.job === 'wundr-daemon');
    assert.equal(ts.length, DAEMONS);
    for (const x of ts) assert.equal(x.health, 'up', `${x.labels.instance}: ${x.lastError}`);
    return ts;
  }, 30_000, 500);
  const firing = await waitFor('QueueBacklogByInstance firing', async () => {
    const r = await getJson(prom('/api/v1/alerts'));
    const a = (r.data.alerts as { labels: Record<string, string>; state: string }[]).filter((x) => x.labels.alertname === 'QueueBacklogByInstance' && x.state === 'firing');
    assert.ok(a.length > 0, JSON.stringify(r.data.alerts));
    return a;
  }, 30_000, 500);
  // Every daemon is up and reports its queue, and only one crosses the threshold.
  const depth = await getJson(prom(`/api/v1/query?query=${encodeURIComponent('max by (instance) (wundr_queue_depth{job="wundr-daemon"})')}`));
  assert.equal(depth.data.result.length, DAEMONS, `queue depth of every daemon: ${JSON.stringify(depth.data.result)}`);
  assert.deepEqual(firing.map((a) => a.labels.instance), [`${H}:${ports[`metrics${BACKLOG_DAEMON}`]}`]);
  assert.equal(firing[0]!.labels.queue_name, 'tasks');
  process.stderr.write(`[scale] ${targets.length} daemons scraped; QueueBacklogByInstance firing for ${firing[0]!.labels.instance} only, ${((Date.now() - t.start!) / 1000).toFixed(1)} s after start\n`);
});

let rssEarly: number[] = [];

step('both gateways take a share of the traces while both are up', async () => {
  // The daemons' memory over a stretch of the same length before the kill, to compare with after it.
  const wait = t.start! + PHASE_MS - Date.now();
  await new Promise((r) => setTimeout(r, Math.max(0, wait - 25_000)));
  rssEarly = daemons.map((d) => memoryMiB(d.proc.pid!).rss);
  await new Promise((r) => setTimeout(r, Math.max(0, t.start! + PHASE_MS - Date.now())));
  for (const g of ['gw1', 'gw2']) {
    const text = await telemetry(g);
    assert.ok(metricSum(text, 'otelcol_receiver_accepted_spans') > 0, `${g} received spans`);
  }
});

/** Polls each daemon's own endpoint; records failures and the slowest answer. */
function watchDaemons(): { stop(): Promise<{ polls: number; failures: string[]; slowestMs: number }> } {
  let running = true;
  let polls = 0;
  let slowestMs = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      await Promise.all(daemons.map(async (_, i) => {
        const t0 = Date.now();
        try {
          const r = await httpCall(metricsUrl(i, '/live'), { timeoutMs: 2000 });
          if (r.status !== 200) failures.push(`daemon${i}: ${r.status}`);
        } catch (e) {
          failures.push(`daemon${i}: ${(e as Error).message}`);
        }
        slowestMs = Math.max(slowestMs, Date.now() - t0);
        polls++;
      }));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { polls, failures, slowestMs };
    },
  };
}

const wsReceived = async (i: number) => metricSum((await httpCall(metricsUrl(i, '/metrics'))).text, 'wundr_ws_messages_received_total');
const spansDropped = async (i: number) => metricSum((await httpCall(metricsUrl(i, '/metrics'))).text, 'wundr_otel_telemetry_dropped_total', { signal: 'traces' });

step('gateway 2 is killed: the agent routes to the survivor after the resolver update, counts what it could not send, and the daemons go on', async () => {
  const watch = watchDaemons();
  const before = daemons.map((d) => memoryMiB(d.proc.pid!).rss);
  const wsBefore = await Promise.all(daemons.map((_, i) => wsReceived(i)));
  const agentBefore = await telemetry('agent');
  t.kill = Date.now();
  gateways[1]!.proc.kill('SIGKILL');
  await gateways[1]!.exited;
  // A resolver notices a gone backend after its poll interval (DNS: 5 s). Meanwhile the agent
  // retries what it routed to the dead gateway for OTELCOL_GATEWAY_RETRY_MAX_ELAPSED (2 s
  // here), then drops it and counts it. The counts are read before the reload: a reload
  // starts the agent's own metrics afresh.
  await new Promise((r) => setTimeout(r, RESOLVE_DELAY_MS));
  const agentAtKill = await telemetry('agent');
  const sendFailed = (text: string) => metricSum(text, 'otelcol_exporter_send_failed_spans', { exporter: 'load_balancing/gateways' });
  const failedSpans = sendFailed(agentAtKill) - sendFailed(agentBefore);
  const failedAttempts = metricSum(agentAtKill, 'otelcol_loadbalancer_backend_outcome', { success: 'false' }) - metricSum(agentBefore, 'otelcol_loadbalancer_backend_outcome', { success: 'false' });
  writeAgentOverlay([1]);
  agent.proc.kill('SIGHUP');
  await waitFor('the agent to reload with one backend', async () => {
    if (agent.proc.exitCode !== null) throw new Fatal(`agent exited:\n${agent.log().slice(-3000)}`);
    assert.equal(metricSum(await telemetry('agent'), 'otelcol_loadbalancer_num_backends'), 1);
  }, 20_000, 200);
  t.failover = Date.now();
  await new Promise((r) => setTimeout(r, PHASE_MS));
  const w = await watch.stop();
  const after = daemons.map((d) => memoryMiB(d.proc.pid!).rss);
  const wsAfter = await Promise.all(daemons.map((_, i) => wsReceived(i)));
  figures.failover = { reloadMs: t.failover - t.kill - RESOLVE_DELAY_MS, agentFailedSpans: failedSpans, failedAttemptsToGateways: failedAttempts, daemonPolls: w.polls, slowestEndpointMs: w.slowestMs, rssEarlyMiB: rssEarly.map(Math.round), rssBeforeMiB: before.map(Math.round), rssAfterMiB: after.map(Math.round) };
  process.stderr.write(`[scale] failover: ${JSON.stringify(figures.failover)}\n`);
  assert.deepEqual(w.failures, [], 'every daemon answered on its own endpoint throughout');
  for (let i = 0; i < DAEMONS; i++) {
    assert.ok(wsAfter[i]! > wsBefore[i]!, `daemon${i} kept taking WebSocket messages (${wsBefore[i]} -> ${wsAfter[i]})`);
    assert.ok(after[i]! - before[i]! < 48, `daemon${i} RSS ${before[i]!.toFixed(0)} -> ${after[i]!.toFixed(0)} MiB`);
    assert.equal(await spansDropped(i), 0, `daemon${i} dropped no spans (the agent took them all)`);
  }
  assert.ok(failedAttempts > 0, `the agent counts its failed sends to the dead gateway (otelcol_loadbalancer_backend_outcome{success="false"}): ${failedAttempts}`);
  assert.ok(failedSpans > 0, `the agent counts the spans it dropped (otelcol_exporter_send_failed_spans): ${failedSpans}`);
});

let truth: Map<string, TraceTruth>;

step('the daemons stop on SIGTERM and flush; the agent\'s copy of every span settles', async () => {
  t.stop = Date.now();
  for (const d of daemons) d.proc.kill('SIGTERM');
  for (const d of daemons) {
    const exit = await Promise.race([d.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${d.name} did not exit within 30 s`)), 30_000).unref())]);
    assert.equal(exit.code, 0, d.log().slice(-2000));
  }
  // The tap and the gateways' decisions settle: decision_wait, the decision tick, batches.
  let last = -1;
  await waitFor('the agent copy to settle', () => {
    const n = tap.spans().length;
    if (n !== last) {
      last = n;
      throw new Error(`${n} spans`);
    }
  }, 30_000, 1500);
  await new Promise((r) => setTimeout(r, DECISION_WAIT_S * 1000 + 3000));
  truth = classify(tap.spans(), POLICIES);
  assert.ok(truth.size > 0);
});

async function inJaeger(id: string): Promise<Set<string> | undefined> {
  const r = await httpCall(jaeger(`/api/v3/traces/${id}`));
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const ids = new Set<string>();
  for (const rs of JSON.parse(r.text).result?.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) ids.add(s.spanId);
  return ids;
}

step('tail sampling: every kept trace is whole in Jaeger, every error and slow trace is kept, the rest kept at the configured share', async () => {
  const all = [...truth.values()];
  const phaseA = all.filter((x) => x.endMs + DECISION_WAIT_S * 1000 + 3000 < t.kill!);
  // Traces still running when the daemons were told to stop are cut by the stop, not by the tier.
  const phaseB = all.filter((x) => x.startMs > t.failover! + 500 && x.endMs < t.stop! - 1000);
  const check = async (set: TraceTruth[], label: string) => {
    const problems: string[] = [];
    let kept = 0;
    for (const x of set) {
      const got = await inJaeger(x.traceId);
      if (!expectedKept(x)) {
        if (got) problems.push(`${x.traceId}: dropped by every policy but in Jaeger (${got.size} spans)`);
        continue;
      }
      kept++;
      const what = `${x.error ? 'error' : x.slow ? 'slow' : 'sampled'} trace (${x.spanIds.size} spans, ${x.endMs - x.startMs} ms, started ${((x.startMs - t.start!) / 1000).toFixed(1)} s into the run)`;
      if (!got) problems.push(`${x.traceId}: ${what} missing`);
      else if (got.size !== x.spanIds.size || [...x.spanIds].some((s) => !got.has(s))) problems.push(`${x.traceId}: ${what}: ${got.size} spans in Jaeger`);
    }
    assert.deepEqual(problems.slice(0, 20), [], `${label}: ${problems.length} traces wrong; the stop came ${((t.stop! - t.start!) / 1000).toFixed(1)} s into the run`);
    const rest = set.filter((x) => !x.error && !x.slow);
    const share = rest.filter((x) => x.byHash).length / rest.length;
    const tol = shareTolerance(POLICIES.percent, rest.length);
    const counts = { traces: set.length, kept, errors: set.filter((x) => x.error).length, slow: set.filter((x) => x.slow && !x.error).length, rest: rest.length, restKeptShare: +share.toFixed(3), tolerance: +tol.toFixed(3), multiHop: set.filter((x) => x.services.size > 1).length };
    process.stderr.write(`[scale] ${label}: ${JSON.stringify(counts)}\n`);
    assert.ok(counts.errors > 0 && counts.slow > 0 && rest.length > 30 && counts.multiHop > 0, `${label}: every kind of trace occurs`);
    assert.ok(Math.abs(share - POLICIES.percent / 100) <= tol, `${label}: rest kept ${share} vs ${POLICIES.percent}% +- ${tol}`);
    return counts;
  };
  figures.before = await check(phaseA, 'both gateways');
  figures.after = await check(phaseB, 'after the failover');
});

step('figures: spans per second through the agent and the gateways, memory of each collector, the decision wait', async () => {
  const secs = (t.stop! - t.start!) / 1000;
  const gw1Text = await telemetry('gw1');
  const mem = Object.fromEntries([agent, gateways[0]!, procs.find((p) => p.name === 'jaeger')!].map((p) => [p.name, memoryMiB(p.proc.pid!)]));
  const out = {
    seconds: +secs.toFixed(1),
    // The agent's own counters restart with its reload; its copy to this test counts every span.
    agentSpansPerS: +(tap.spans().length / secs).toFixed(1),
    gateway1SpansPerS: +(metricSum(gw1Text, 'otelcol_receiver_accepted_spans') / secs).toFixed(1),
    gateway1SentToJaeger: metricSum(gw1Text, 'otelcol_exporter_sent_spans'),
    decisionWaitS: DECISION_WAIT_S,
    memoryMiB: Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, { rss: Math.round(v.rss), peak: Math.round(v.peak) }])),
    ...figures,
  };
  process.stderr.write(`[scale] figures: ${JSON.stringify(out)}\n`);
  assert.ok(out.gateway1SentToJaeger > 0);
});

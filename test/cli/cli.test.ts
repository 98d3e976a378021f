import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runChild, freePort, ROOT } from '../support/child.ts';
import { startOtlpReceiver } from '../support/otlpReceiver.ts';
import { CATALOGUE } from '../../src/metrics/catalogue.ts';
import { effectiveConfigLines, instrumentationChecks } from '../../src/cli/doctor.ts';
import { loadConfig } from '../../src/config.ts';

const CLI = join(ROOT, 'build', 'src', 'cli.js');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

async function cli(args: string[], env: Record<string, string> = {}) {
  const c = runChild({ args: [CLI, ...args], env });
  const { code } = await c.exited(30000);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** `doctor` with a real OTLP receiver to reach (returned as `rx`) and a free metrics port, plus `env`. */
async function doctorWithReceiver(t: { after(fn: () => unknown): void }, env: Record<string, string>) {
  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  const port = await freePort();
  const r = await cli(['doctor', '--timeout-ms', '3000'], { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, METRICS_HOST: '127.0.0.1', METRICS_PORT: String(port), ...env });
  return { ...r, rx };
}

test('no command: usage listing every command, exit 0', async () => {
  const r = await cli([]);
  assert.equal(r.code, 0);
  for (const c of ['rules', 'doctor', 'metrics', 'dashboard']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
});

test('argument errors: clear message, usage, exit 2', async () => {
  let r = await cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.match(r.stderr, /Usage: wundr-otel <command>/);

  r = await cli(['rules', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /wundr-otel rules: Unknown option '--bogus'/);
  assert.match(r.stderr, /Usage: wundr-otel rules/);
  assert.equal(r.stdout, '');

  r = await cli(['rules', '--heap-limit-bytes', 'lots']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--heap-limit-bytes must be an integer >= 1, got "lots"/);

  r = await cli(['metrics', 'extra']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unexpected argument 'extra'/);

  r = await cli(['doctor', '--timeout-ms']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--timeout-ms/);

  r = await cli(['rules', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--check/);
});

test('rules: the Prometheus rule file on stdout', async () => {
  const r = await cli(['rules', '--heap-limit-bytes', '1073741824']);
  assert.equal(r.code, 0, r.stderr);
  const doc = parse(r.stdout) as { groups: { rules: { alert: string; expr: string }[] }[] };
  assert.equal(doc.groups[0]!.rules.length, 8);
  assert.equal(doc.groups[0]!.rules.find((x) => x.alert === 'MemoryPressure')!.expr, 'max(wundr_process_memory_heap_bytes) / 1073741824 > 0.8');
});

test('rules --check runs promtool (and says so plainly when it is missing)', async (t) => {
  const missing = await cli(['rules', '--check', '--promtool', '/nonexistent/promtool']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /promtool not found at \/nonexistent\/promtool; the rules were NOT checked/);
  if (!PROMTOOL) {
    t.skip('promtool is not installed (Debian package "prometheus")');
    return;
  }
  const r = await cli(['rules', '--check', '--promtool', PROMTOOL]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /SUCCESS: 8 rules found/);
});

test('metrics: the catalogue as a markdown table with every name', async () => {
  const r = await cli(['metrics']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\|.*\|$/m);
  for (const d of CATALOGUE) assert.ok(r.stdout.includes(d.name), `${d.name} in the table`);
});

test('dashboard: the JSON model, same as the committed file', async () => {
  const r = await cli(['dashboard']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(ROOT, 'deploy', 'grafana', 'dashboards', 'wundr.json'), 'utf8'));
});

test('doctor: all well -> exit 0; OTLP reachable, metrics port free; secrets masked', async (t) => {
  const r = await doctorWithReceiver(t, {
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=topsecret-header',
    WUNDR_OTEL_ENDPOINT_TOKEN: 'supersecret-token',
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(!r.stdout.includes('topsecret'), 'header value masked');
  assert.ok(!r.stdout.includes('supersecret'), 'token masked');
  assert.match(r.stdout, /OTEL_EXPORTER_OTLP_HEADERS="\*\*\*"/);
  assert.match(r.stdout, /otlp\.traces\.headers\.x-api-key = \*\*\*/);
  assert.match(r.stdout, /endpoint\.token = \*\*\*/);
  assert.match(r.stdout, /OK    OTLP traces: .* answered HTTP 200/);
  assert.match(r.stdout, /OK    metrics port: 127\.0\.0\.1:\d+ is free/);
  assert.match(r.stdout, /Configuration warnings: 0/);
  assert.match(r.stdout, /No problems found\./);
  assert.ok(r.rx.requests().length >= 1, 'the receiver really was contacted');
});

test('doctor: config warnings, unreachable OTLP and a port held by another program -> every one reported, exit 1', async (t) => {
  const deadPort = await freePort();
  const other = http.createServer((_req, res) => res.writeHead(404).end('not ours'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => other.close(() => r())));
  const heldPort = (other.address() as { port: number }).port;
  const r = await cli(['doctor', '--timeout-ms', '2000'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${deadPort}`,
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(heldPort),
    HEALTH_CHECK_TIMEOUT: 'soon',
    LOG_LEVEL: 'loud',
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Configuration warnings: 2/);
  assert.match(r.stdout, /WARN  HEALTH_CHECK_TIMEOUT="soon" is not/);
  assert.match(r.stdout, /WARN  LOG_LEVEL="loud" is not one of/);
  assert.match(r.stdout, /ERROR OTLP traces: .* unreachable: ECONNREFUSED/);
  assert.match(r.stdout, /ERROR metrics port: .* answered HTTP 404: another program holds the port/);
  assert.match(r.stdout, /ERROR OTLP logs: .* unreachable/);
  assert.match(r.stdout, /3 error\(s\), 2 warning\(s\)\./);
});

test("doctor: the embedded view's variables are reported, a bad one warned about, a peer's credentials masked", async (t) => {
  const r = await doctorWithReceiver(t, {
    WUNDR_OTEL_TRACES_MAX: '50',
    WUNDR_OTEL_RETENTION_INTERVAL: 'often',
    WUNDR_OTEL_TRACE_PEERS: 'http://peer-a:9090,http://ops:hunter2@peer-b:9090',
  });
  assert.equal(r.code, 1, 'the bad value is a warning');
  assert.match(r.stdout, /WUNDR_OTEL_TRACES_MAX="50"/);
  assert.match(r.stdout, /embedded\.maxTraces = 50/);
  assert.match(r.stdout, /embedded\.retentionIntervalMs = 5000/);
  assert.match(r.stdout, /WARN  WUNDR_OTEL_RETENTION_INTERVAL="often"/);
  assert.match(r.stdout, /embedded\.tracePeers = http:\/\/peer-a:9090\/?,http:\/\/\*\*\*:\*\*\*@peer-b:9090/);
  assert.match(r.stdout, /WUNDR_OTEL_TRACE_PEERS="http:\/\/peer-a:9090\/?,http:\/\/\*\*\*:\*\*\*@peer-b:9090/);
  assert.ok(!r.stdout.includes('hunter2'), 'the peer URL password is masked everywhere');
  assert.match(r.stdout, /0 error\(s\), 1 warning\(s\)\./);
});

test('doctor: the settings users already set are reported: instrumentations, detectors, compression, an unknown OTEL_* name', async (t) => {
  const r = await doctorWithReceiver(t, {
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg',
    OTEL_NODE_RESOURCE_DETECTORS: 'env,container',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    OTEL_TRACES_SAMPLR: 'always_on',
  });
  assert.equal(r.code, 1, 'the unknown name is a warning');
  assert.match(r.stdout, /OTEL_NODE_ENABLED_INSTRUMENTATIONS="http,pg"/);
  assert.match(r.stdout, /instrumentations\.enabled = http,pg/);
  assert.match(r.stdout, /resourceDetectors = env,container/);
  assert.match(r.stdout, /otlp\.traces\.compression = gzip/);
  assert.match(r.stdout, /OK    instrumentation pg: on \(@opentelemetry\/instrumentation-pg\)/);
  assert.match(r.stdout, /INFO  instrumentation redis: off/);
  assert.match(r.stdout, /WARN  OTEL_TRACES_SAMPLR is not an OpenTelemetry setting .*did you mean OTEL_TRACES_SAMPLER\?/);
  assert.match(r.stdout, /0 error\(s\), 1 warning\(s\)\./);
});

test('doctor: a named instrumentation whose package is missing is an error naming what to install', () => {
  const { config } = loadConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,ioredis' });
  const checks = instrumentationChecks(config, (id) => {
    throw new Error(`Cannot find module '${id}'`);
  });
  const io = checks.find((c) => c.what === 'instrumentation ioredis')!;
  assert.equal(io.level, 'error');
  assert.match(io.detail, /@opentelemetry\/instrumentation-ioredis is not installed \(npm install @opentelemetry\/instrumentation-ioredis\)/);
  assert.equal(checks.find((c) => c.what === 'instrumentation http')!.level, 'ok');
});

test('effectiveConfigLines masks header values, tokens and URL credentials', () => {
  const { config } = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pass@collector.example:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer abc',
    WUNDR_OTEL_ADMIN_TOKEN: 'adm',
  });
  const text = effectiveConfigLines(config).join('\n');
  assert.ok(!text.includes('pass@'));
  assert.ok(!text.includes('Bearer abc'));
  assert.match(text, /endpoint\.adminToken = \*\*\*/);
  assert.match(text, /otlp\.logs\.url = https:\/\/\*\*\*:\*\*\*@collector\.example:4318\/v1\/logs/);
  assert.match(text, /health\.timeoutMs = 5000/);
});

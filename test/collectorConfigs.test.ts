/**
 * The bundled collector configs hang together: every component a pipeline
 * names is defined, the agent build lists what the agent config uses, and
 * the scale-out configs (gateway, load-balancing overlay) merge as the
 * collector merges them. The agent config is also checked by the real
 * collector binary when it has been built (scripts/e2e/get-tools.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './support/child.ts';

type Conf = Record<string, any>;
const dir = path.join(ROOT, 'otel-collector');
const load = (f: string): Conf => parse(readFileSync(path.join(dir, f), 'utf8')) as Conf;

/** The collector's merge: maps merge key by key, everything else (lists too) is replaced. */
function merge(a: any, b: any): any {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Conf = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in a ? merge(a[k], v) : v;
    return out;
  }
  return b;
}

/** A pipeline list may be an env default like `${env:X:-[a, b]}`: take the default. */
function list(v: unknown): string[] {
  if (Array.isArray(v)) return v as string[];
  const m = /^\$\{env:[A-Z0-9_]+:-\[(.*)\]\}$/.exec(String(v));
  assert.ok(m, `pipeline list ${String(v)} is a list or an env default list`);
  return m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
}

function checkPipelines(name: string, c: Conf): void {
  const pipelines = c.service?.pipelines as Conf;
  assert.ok(pipelines && Object.keys(pipelines).length > 0, `${name}: has pipelines`);
  for (const [pname, p] of Object.entries(pipelines)) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const comp of list(p[kind] ?? [])) {
        assert.ok(c[kind] && comp in c[kind], `${name}: pipeline ${pname} names ${kind.slice(0, -1)} ${comp}, which is defined`);
      }
    }
    const procs = list(p.processors ?? []);
    if (procs.includes('memory_limiter')) assert.equal(procs[0], 'memory_limiter', `${name}: memory_limiter first in ${pname}`);
  }
  for (const ext of c.service?.extensions ?? []) assert.ok(c.extensions && ext in c.extensions, `${name}: extension ${ext} defined`);
}

test('agent config: every pipeline component is defined; traces go to Jaeger, logs and metrics have pipelines', () => {
  const c = load('config.yaml');
  checkPipelines('config.yaml', c);
  assert.deepEqual(Object.keys(c.service.pipelines).sort(), ['logs', 'metrics', 'traces']);
  assert.ok(list(c.service.pipelines.traces.exporters).some((e) => e.startsWith('otlp_grpc/jaeger')));
  assert.match(c.receivers.otlp.protocols.grpc.endpoint, /:4317\}$/);
  assert.match(c.receivers.otlp.protocols.http.endpoint, /:4318\}$/);
});

test('builder config lists exactly the component types the agent config uses', () => {
  const c = load('config.yaml');
  const b = load('builder-config.yaml');
  const typeOf = (id: string) => id.split('/')[0]!;
  // Module path -> component type, as the collector names them.
  const TYPES: Record<string, string> = {
    otlpreceiver: 'otlp',
    memorylimiterprocessor: 'memory_limiter',
    batchprocessor: 'batch',
    otlpexporter: 'otlp_grpc',
    otlphttpexporter: 'otlp_http',
    debugexporter: 'debug',
    healthcheckextension: 'health_check',
  };
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
    const built = new Set((b[kind] as { gomod: string }[]).map((m) => TYPES[m.gomod.split(' ')[0]!.split('/').pop()!]));
    const used = new Set(Object.keys(c[kind] ?? {}).map(typeOf));
    assert.deepEqual([...built].sort(), [...used].sort(), `${kind}: built == used`);
  }
});

test('contrib builder config: exactly the component types the gateway and the load-balancing agent use, every collector module at one release', () => {
  const b = load('builder-config-contrib.yaml');
  const typeOf = (id: string) => id.split('/')[0]!;
  const TYPES: Record<string, string> = {
    otlpreceiver: 'otlp',
    memorylimiterprocessor: 'memory_limiter',
    batchprocessor: 'batch',
    tailsamplingprocessor: 'tail_sampling',
    otlpexporter: 'otlp_grpc',
    otlphttpexporter: 'otlp_http',
    debugexporter: 'debug',
    loadbalancingexporter: 'load_balancing',
    healthcheckextension: 'health_check',
  };
  const agent = merge(load('config.yaml'), load('agent-loadbalancing.yaml'));
  const gateway = load('gateway.yaml');
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
    const built = new Set((b[kind] as { gomod: string }[]).map((m) => TYPES[m.gomod.split(' ')[0]!.split('/').pop()!]));
    const used = new Set([...Object.keys(agent[kind] ?? {}), ...Object.keys(gateway[kind] ?? {})].map(typeOf));
    assert.deepEqual([...built].sort(), [...used].sort(), `${kind}: built == used`);
  }
  // One release: v0.x for unstable modules, the matching v1.x for stable ones.
  const versions = new Set<string>();
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'providers'] as const) {
    for (const m of b[kind] as { gomod: string }[]) versions.add(m.gomod.split(' ')[1]!);
  }
  versions.add(b.telemetry.gomod.split(' ')[1]);
  const v0 = [...versions].filter((v) => v.startsWith('v0.'));
  const v1 = [...versions].filter((v) => v.startsWith('v1.'));
  assert.equal(v0.length, 1, `one v0 release: ${v0.join(', ')}`);
  assert.equal(v1.length, 1, `one v1 release: ${v1.join(', ')}`);
  assert.equal(Number(v1[0]!.split('.')[1]), Number(v0[0]!.split('.')[1]) - 94, `${v1[0]} is the stable release of ${v0[0]}`);
  assert.equal(b.dist.version.split('-')[0], v0[0]!.slice(1));
  const script = readFileSync(path.join(ROOT, 'scripts', 'e2e', 'get-tools.sh'), 'utf8');
  assert.match(script, new RegExp(`^CONTRIB_BUILDER_VERSION=${v0[0]!.replace(/\./g, '\\.')}$`, 'm'), 'the builder of the same release');
});

test('scale-out: the gateway config and the load-balancing overlay merged over the agent hang together', () => {
  const g = load('gateway.yaml');
  checkPipelines('gateway.yaml', g);
  assert.deepEqual(list(g.service.pipelines.traces.processors), ['memory_limiter', 'tail_sampling', 'batch']);
  const merged = merge(load('config.yaml'), load('agent-loadbalancing.yaml'));
  checkPipelines('config.yaml + agent-loadbalancing.yaml', merged);
  assert.deepEqual(list(merged.service.pipelines.traces.exporters), ['load_balancing/gateways']);
  assert.equal(merged.exporters['load_balancing/gateways'].routing_key, 'traceID');
  // Logs and metrics keep the agent's own pipelines.
  assert.deepEqual(merged.service.pipelines.logs, load('config.yaml').service.pipelines.logs);
});

test('the real scale-out collector validates the gateway config and the load-balancing agent (when built)', (t) => {
  const bin = path.join(process.env.WUNDR_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'wundr-otel'), 'bin', 'otelcol-wundr-contrib');
  if (!existsSync(bin)) {
    t.skip(`${bin} not built (bash scripts/e2e/get-tools.sh collector-contrib)`);
    return;
  }
  for (const args of [['gateway.yaml'], ['config.yaml', 'agent-loadbalancing.yaml']]) {
    const r = spawnSync(bin, ['validate', ...args.flatMap((f) => ['--config', path.join(dir, f)])], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `${args.join(' + ')}: ${r.stderr}`);
  }
});

test('the real collector validates the agent config (when built)', (t) => {
  const bin = path.join(process.env.WUNDR_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'wundr-otel'), 'bin', 'otelcol-wundr');
  if (!existsSync(bin)) {
    t.skip(`${bin} not built (bash scripts/e2e/get-tools.sh collector)`);
    return;
  }
  const r = spawnSync(bin, ['validate', '--config', path.join(dir, 'config.yaml')], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
});

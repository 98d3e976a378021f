/**
 * Start-up cost of the preload: wall time and peak RSS of `node empty.js`
 * against `node --require <preload> empty.js` (an empty script rather than
 * `-e 0`: see `evalExitCode`), interleaved, medians over rounds.
 * Also what require('@opentelemetry/sdk-node') alone costs, for scale, and
 * the peers' preloads (auto-instrumentations-node, dd-trace) when
 * bench/peers is installed.
 *
 *   node build/bench/startup.js [rounds]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const EMPTY = path.join(ROOT, 'build', 'bench', 'empty.js');

export interface StartupVariant {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

export const STARTUP_VARIANTS: StartupVariant[] = [
  { name: 'node (baseline)', args: [EMPTY] },
  {
    name: '--require @wundr/otel/register',
    args: ['--require', REGISTER, EMPTY],
    env: { METRICS_PORT: '19999' },
  },
  { name: "-e require('@opentelemetry/sdk-node') (for scale)", args: ['-e', "require('@opentelemetry/sdk-node')"] },
];

const PEERS = path.join(ROOT, 'bench', 'peers', 'node_modules');
const AUTO_REGISTER = path.join(PEERS, '@opentelemetry', 'auto-instrumentations-node', 'dist', 'register.cjs');
const DD_INIT = path.join(PEERS, 'dd-trace', 'init.js');

/** The peers' preloads, where bench/peers has them installed. */
export function peerStartupVariants(): StartupVariant[] {
  const out: StartupVariant[] = [];
  if (existsSync(AUTO_REGISTER)) {
    out.push({
      name: '--require @opentelemetry/auto-instrumentations-node/register',
      args: ['--require', AUTO_REGISTER, EMPTY],
      // Cloud detectors would probe metadata addresses off this machine.
      env: { OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '19998' },
    });
  }
  if (existsSync(DD_INIT)) {
    out.push({
      name: '--require dd-trace/init',
      args: ['--require', DD_INIT, EMPTY],
      env: { DD_TRACE_AGENT_URL: 'http://127.0.0.1:9', DD_TRACE_STARTUP_LOGS: 'false', DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false', DD_REMOTE_CONFIGURATION_ENABLED: 'false', DD_DOGSTATSD_HOST: '127.0.0.1' },
    });
  }
  return out;
}

export interface Sample {
  wallMs: number;
  rssMiB: number;
}

function runOnce(v: StartupVariant): Sample & { code: number | null } {
  // GNU time reports the child's peak RSS (%M, KiB) and elapsed seconds (%e).
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', NODE, ...v.args], {
    cwd: ROOT,
    timeout: 30_000,
    env: { ...process.env, METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...v.env },
    encoding: 'utf8',
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [e, m] = last.split(' ');
  const failed = /Command exited with non-zero status (\d+)/.exec(r.stderr);
  return { wallMs: Number(e) * 1000, rssMiB: Number(m) / 1024, code: failed ? Number(failed[1]) : 0 };
}

function timeNs(v: StartupVariant): number {
  const t = process.hrtime.bigint();
  spawnSync(NODE, v.args, {
    cwd: ROOT,
    timeout: 30_000,
    env: { ...process.env, METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...v.env },
  });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/**
 * Exit code and first error line of the variant run as `node [preload] -e 0`
 * (the form issue 8 names). Reported beside the timings, because a preload
 * that crashes there would otherwise be timed as if it had worked.
 */
export function evalExitCode(v: StartupVariant): { code: number | null; error: string } {
  const args = v.args[v.args.length - 1] === EMPTY ? [...v.args.slice(0, -1), '-e', '0'] : v.args;
  const r = spawnSync(NODE, args, {
    cwd: ROOT,
    timeout: 30_000,
    env: { ...process.env, METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...v.env },
    encoding: 'utf8',
  });
  const error = (r.stderr ?? '').split('\n').find((l) => /Error/.test(l)) ?? '';
  return { code: r.status, error: error.trim() };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function measureStartup(
  rounds = 15,
  onProgress?: (i: number) => void,
  variants: StartupVariant[] = STARTUP_VARIANTS,
): StartupResult[] {
  const walls = variants.map(() => [] as number[]);
  const rss = variants.map(() => [] as number[]);
  const failed = variants.map(() => 0);
  for (let i = 0; i < rounds; i++) {
    // Interleaved: every round runs every variant, so machine noise hits all alike.
    variants.forEach((v, j) => {
      walls[j]!.push(timeNs(v));
      const once = runOnce(v);
      rss[j]!.push(once.rssMiB);
      if (once.code) failed[j]!++;
    });
    onProgress?.(i + 1);
  }
  return variants.map((v, j) => {
    const ev = evalExitCode(v);
    return { name: v.name, wallMs: median(walls[j]!), rssMiB: median(rss[j]!), failedRuns: failed[j]!, evalCode: ev.code, evalError: ev.error };
  });
}

export interface StartupResult {
  name: string;
  wallMs: number;
  rssMiB: number;
  /** Runs (of the RSS measurement) that exited non-zero. */
  failedRuns: number;
  /** Exit code of the same preload with `-e 0`. */
  evalCode: number | null;
  evalError: string;
}

if (require.main === module) {
  const rounds = Number(process.argv[2] ?? 15);
  const rows = measureStartup(rounds, (i) => process.stderr.write(`\rround ${i}/${rounds}`), [...STARTUP_VARIANTS, ...peerStartupVariants()]);
  process.stderr.write('\n');
  const base = rows[0]!;
  console.log(`| variant | wall ms (median of ${rounds}) | over baseline | peak RSS MiB | over baseline | \`-e 0\` exit |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.wallMs.toFixed(0)} | +${(r.wallMs - base.wallMs).toFixed(0)} ms | ${r.rssMiB.toFixed(1)} | +${(r.rssMiB - base.rssMiB).toFixed(1)} MiB | ${r.evalCode}${r.evalError ? ` (${r.evalError})` : ''} |`,
    );
  }
}

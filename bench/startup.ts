/**
 * Start-up cost of the preload: wall time and peak RSS of `node -e 0`
 * against `node --require <preload> -e 0`, interleaved, medians over rounds.
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

export interface StartupVariant {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

export const STARTUP_VARIANTS: StartupVariant[] = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'] },
  {
    name: '--require @wundr/otel/register -e 0',
    args: ['--require', REGISTER, '-e', '0'],
    env: { METRICS_PORT: '19999' },
  },
  { name: "-e require('@opentelemetry/sdk-node')", args: ['-e', "require('@opentelemetry/sdk-node')"] },
];

const PEERS = path.join(ROOT, 'bench', 'peers', 'node_modules');
const AUTO_REGISTER = path.join(PEERS, '@opentelemetry', 'auto-instrumentations-node', 'dist', 'register.cjs');
const DD_INIT = path.join(PEERS, 'dd-trace', 'init.js');

/** The peers' preloads, where bench/peers has them installed. */
export function peerStartupVariants(): StartupVariant[] {
  const out: StartupVariant[] = [];
  if (existsSync(AUTO_REGISTER)) {
    out.push({
      name: '--require @opentelemetry/auto-instrumentations-node/register -e 0',
      args: ['--require', AUTO_REGISTER, '-e', '0'],
      // Cloud detectors would probe metadata addresses off this machine.
      env: { OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '19998' },
    });
  }
  if (existsSync(DD_INIT)) {
    out.push({
      name: '--require dd-trace/init -e 0',
      args: ['--require', DD_INIT, '-e', '0'],
      env: { DD_TRACE_AGENT_URL: 'http://127.0.0.1:9', DD_TRACE_STARTUP_LOGS: 'false', DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false', DD_REMOTE_CONFIGURATION_ENABLED: 'false', DD_DOGSTATSD_HOST: '127.0.0.1' },
    });
  }
  return out;
}

export interface Sample {
  wallMs: number;
  rssMiB: number;
}

function runOnce(v: StartupVariant): Sample {
  // GNU time reports the child's peak RSS (%M, KiB) and elapsed seconds (%e).
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', NODE, ...v.args], {
    cwd: ROOT,
    timeout: 30_000,
    env: { ...process.env, METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...v.env },
    encoding: 'utf8',
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [e, m] = last.split(' ');
  return { wallMs: Number(e) * 1000, rssMiB: Number(m) / 1024 };
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

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function measureStartup(
  rounds = 15,
  onProgress?: (i: number) => void,
  variants: StartupVariant[] = STARTUP_VARIANTS,
): { name: string; wallMs: number; rssMiB: number }[] {
  const walls = variants.map(() => [] as number[]);
  const rss = variants.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    // Interleaved: every round runs every variant, so machine noise hits all alike.
    variants.forEach((v, j) => {
      walls[j]!.push(timeNs(v));
      rss[j]!.push(runOnce(v).rssMiB);
    });
    onProgress?.(i + 1);
  }
  return variants.map((v, j) => ({ name: v.name, wallMs: median(walls[j]!), rssMiB: median(rss[j]!) }));
}

if (require.main === module) {
  const rounds = Number(process.argv[2] ?? 15);
  const rows = measureStartup(rounds, (i) => process.stderr.write(`\rround ${i}/${rounds}`), [...STARTUP_VARIANTS, ...peerStartupVariants()]);
  process.stderr.write('\n');
  const base = rows[0]!;
  console.log(`| variant | wall ms (median of ${rounds}) | over baseline | peak RSS MiB | over baseline |`);
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.wallMs.toFixed(0)} | +${(r.wallMs - base.wallMs).toFixed(0)} ms | ${r.rssMiB.toFixed(1)} | +${(r.rssMiB - base.rssMiB).toFixed(1)} MiB |`,
    );
  }
}

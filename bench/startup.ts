/**
 * Start-up cost of the preload: wall time and peak RSS of `node -e 0`
 * against `node --require <preload> -e 0`, interleaved, medians over rounds.
 * Also what require('@opentelemetry/sdk-node') alone costs, for scale.
 *
 *   node build/bench/startup.js [rounds]
 */
import { spawnSync } from 'node:child_process';
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

export interface Sample {
  wallMs: number;
  rssMiB: number;
}

function runOnce(v: StartupVariant): Sample {
  // GNU time reports the child's peak RSS (%M, KiB) and elapsed seconds (%e).
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', NODE, ...v.args], {
    cwd: ROOT,
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
    env: { ...process.env, METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...v.env },
  });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function measureStartup(rounds = 15, onProgress?: (i: number) => void): { name: string; wallMs: number; rssMiB: number }[] {
  const walls = STARTUP_VARIANTS.map(() => [] as number[]);
  const rss = STARTUP_VARIANTS.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    // Interleaved: every round runs every variant, so machine noise hits all alike.
    STARTUP_VARIANTS.forEach((v, j) => {
      walls[j]!.push(timeNs(v));
      rss[j]!.push(runOnce(v).rssMiB);
    });
    onProgress?.(i + 1);
  }
  return STARTUP_VARIANTS.map((v, j) => ({ name: v.name, wallMs: median(walls[j]!), rssMiB: median(rss[j]!) }));
}

if (require.main === module) {
  const rounds = Number(process.argv[2] ?? 15);
  const rows = measureStartup(rounds, (i) => process.stderr.write(`\rround ${i}/${rounds}`));
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

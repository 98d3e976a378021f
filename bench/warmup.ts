/**
 * How long the 1 ms handler scenario takes to reach its steady state: one
 * server process per round and variant, loaded without a pause, its req/s
 * measured in consecutive windows, each window's ratio to the baseline's
 * same window in the same round (variants interleaved, `roundOrder`).
 *
 *   node build/bench/warmup.js [variant,variant,...] [--rounds N] [--windows S,S,...]
 *   # default: baseline,wundr, 6 rounds, windows 15,10,5,10,10
 *
 * The first window is the warm-up `npm run bench` used to give this
 * scenario; the table shows from which second on the ratio stops moving,
 * which is what its warm-up must cover (bench/run.ts `workWarmupS`).
 */
import * as path from 'node:path';
import { AUTO, BASELINE, DDTRACE, roundOrder, spawnServer, WUNDR, WUNDR_ABLATIONS, type HttpVariant } from './http.ts';
import { freePort, ROOT, runLoad, spawnNode, stopChild, waitForPort } from './proc.ts';
import { median } from './startup.ts';
import { calibrate } from './work.ts';

const VARIANTS: HttpVariant[] = [BASELINE, WUNDR, AUTO, DDTRACE, ...WUNDR_ABLATIONS];

function parse(argv: string[]): { ids: string[]; rounds: number; windows: number[] } {
  let ids = ['baseline', 'wundr'];
  let rounds = 6;
  let windows = [15, 10, 5, 10, 10];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') rounds = Number(argv[++i]);
    else if (a === '--windows') windows = String(argv[++i]).split(',').map(Number);
    else if (!a.startsWith('--')) ids = a.split(',');
    else throw new Error(`warmup: unknown option ${a}`);
  }
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error('warmup: --rounds takes a positive integer');
  if (windows.length === 0 || !windows.every((s) => Number.isInteger(s) && s > 0)) throw new Error('warmup: --windows takes positive whole seconds, comma-separated');
  ids = ['baseline', ...new Set(ids.filter((id) => id !== 'baseline'))];
  for (const id of ids)
    if (!VARIANTS.some((v) => v.id === id)) throw new Error(`warmup: unknown variant ${id} (one of ${VARIANTS.map((v) => v.id).join(', ')})`);
  return { ids, rounds, windows };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const variants = o.ids.map((id) => VARIANTS.find((v) => v.id === id)!);
  for (const v of variants) {
    const why = v.unavailable?.();
    if (why) throw new Error(`warmup: ${v.id}: ${why}`);
  }
  const iters = calibrate(1);
  const sinkPort = await freePort();
  const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
  const rps = variants.map(() => o.windows.map((): number[] => []));
  const ends = o.windows.map((_, k) => o.windows.slice(0, k + 1).reduce((a, b) => a + b, 0));
  process.stderr.write(`1 ms handler (${iters} iterations), ${o.rounds} rounds, windows ending at ${ends.join(', ')} s\n`);
  try {
    await waitForPort(sinkPort, 10_000, sink.proc);
    for (let r = 0; r < o.rounds; r++) {
      for (const i of roundOrder(r, variants.length)) {
        const v = variants[i]!;
        const [appPort, promPort] = [await freePort(), await freePort()];
        const child = spawnServer(v, iters, appPort, { sinkUrl: `http://127.0.0.1:${sinkPort}`, promPort });
        try {
          await waitForPort(appPort, 30_000, child.proc);
          for (let k = 0; k < o.windows.length; k++) {
            const l = await runLoad({ url: `http://127.0.0.1:${appPort}/`, durationS: o.windows[k]!, connections: 10 });
            rps[i]![k]!.push(l.rps);
          }
        } finally {
          await stopChild(child, 10_000);
        }
        process.stderr.write(`round ${r + 1} ${v.id}: ${rps[i]!.map((w) => w[r]!.toFixed(0)).join(' ')} req/s\n`);
      }
    }
  } finally {
    await stopChild(sink, 2000);
  }
  const head = `| variant | ${ends.map((e, k) => `${e - o.windows[k]!}–${e} s`).join(' | ')} |`;
  const lines = [head, `|---|${ends.map(() => '--:').join('|')}|`];
  for (let i = 0; i < variants.length; i++) {
    const cells = o.windows.map((_, k) => {
      const ratios = rps[i]![k]!.map((x, j) => x / rps[0]![k]![j]!);
      return `${median(rps[i]![k]!).toFixed(0)} (${median(ratios).toFixed(3)})`;
    });
    lines.push(`| ${variants[i]!.id} | ${cells.join(' | ')} |`);
  }
  process.stdout.write(`req/s per window, median over rounds (median of the per-round ratios to the baseline)\n${lines.join('\n')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

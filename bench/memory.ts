/**
 * Memory over time: the example daemon, preloaded with @wundr/otel, under
 * steady (rate-limited) traffic; RSS sampled from /proc every second, and
 * every 5 s the heap retained: the daemon runs with --expose-gc and a probe
 * (gcProbe.ts) that, on SIGUSR2, runs a full collection and reports
 * heapUsed right after it. A least-squares slope over the samples after the
 * warm-up says whether there is an upward trend; on the post-GC heap that is
 * a statement about retention, not about when the collector last ran.
 */
import * as path from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { askProbe, cleanEnv, freePort, procStatus, ROOT, runLoad, sleep, spawnNode, stopChild, waitForPort, type LoadResult } from './proc.ts';

const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const DAEMON = path.join(ROOT, 'build', 'examples', 'daemon', 'main.js');
const GC_PROBE = path.join(ROOT, 'build', 'bench', 'gcProbe.js');

export interface MemoryOptions {
  durationS: number;
  /** Requests per second, overall. */
  rate: number;
  connections: number;
  sinkUrl: string;
  /** Seconds at the start left out of the slope (JIT, pools and buffers filling). */
  warmupS: number;
  log(msg: string): void;
}

export interface MemoryResult {
  /** [seconds since start, MiB] */
  rss: [number, number][];
  heap: [number, number][];
  rssSlopeMiBPerMin: number;
  heapSlopeMiBPerMin: number;
  /** Median of the last third minus median of the first third after warm-up (MiB). */
  rssDriftMiB: number;
  heapDriftMiB: number;
  load: LoadResult | undefined;
  /** Exported spans / log records seen by the sink. */
  verdict: string;
  error?: string;
}

/** Least-squares slope of y on x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function med(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
}

function drift(points: [number, number][]): number {
  const third = Math.floor(points.length / 3);
  if (third < 1) return NaN;
  return med(points.slice(-third).map((p) => p[1])) - med(points.slice(0, third).map((p) => p[1]));
}

/** Asks the probe for a full GC and resolves the heapUsed (MiB) measured right after it. */
async function heapAfterGc(pid: number, file: string, lastSeq: { n: number }): Promise<number | undefined> {
  const answer = await askProbe(pid, file, lastSeq, 1000);
  return answer === undefined ? undefined : answer[0]! / 2 ** 20;
}

export async function runMemory(o: MemoryOptions): Promise<MemoryResult> {
  const empty: MemoryResult = { rss: [], heap: [], rssSlopeMiBPerMin: NaN, heapSlopeMiBPerMin: NaN, rssDriftMiB: NaN, heapDriftMiB: NaN, load: undefined, verdict: 'not run' };
  if (!existsSync(DAEMON)) return { ...empty, error: `${path.relative(ROOT, DAEMON)} is not built` };
  const [appPort, metricsPort] = [await freePort(), await freePort()];
  const probeDir = mkdtempSync(path.join(tmpdir(), 'wundr-gc-probe-'));
  const probeFile = path.join(probeDir, 'heap');
  const child = spawnNode(['--expose-gc', '--require', GC_PROBE, '--require', REGISTER, DAEMON], cleanEnv({
    WUNDR_BENCH_GC_PROBE: probeFile,
    APP_PORT: String(appPort),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    OTEL_EXPORTER_OTLP_ENDPOINT: o.sinkUrl,
    LOG_FORMAT: 'json',
  }));
  const rss: [number, number][] = [];
  const heap: [number, number][] = [];
  try {
    await waitForPort(appPort, 30_000, child.proc);
    const pid = child.proc.pid!;
    const t0 = Date.now();
    const loadP = runLoad({ url: `http://127.0.0.1:${appPort}/`, durationS: o.durationS, connections: o.connections, rate: o.rate });
    let done = false;
    let load: LoadResult | undefined;
    loadP.then(
      (r) => {
        load = r;
        done = true;
      },
      () => (done = true),
    );
    let tick = 0;
    const seq = { n: 0 };
    while (!done) {
      await sleep(1000);
      const t = (Date.now() - t0) / 1000;
      if (child.proc.exitCode !== null) throw new Error(`the daemon exited (code ${child.proc.exitCode})`);
      rss.push([t, procStatus(pid).rssMiB]);
      if (tick++ % 5 === 0) {
        const h = await heapAfterGc(pid, probeFile, seq);
        if (h !== undefined) heap.push([t, h]);
      }
      if (tick % 15 === 0) o.log(`  [memory] ${t.toFixed(0)}/${o.durationS} s  RSS ${rss.at(-1)![1].toFixed(1)} MiB${heap.length ? `  heap ${heap.at(-1)![1].toFixed(1)} MiB` : ''}`);
    }
    await loadP.catch(() => undefined);
    const after = (p: [number, number][]) => p.filter(([t]) => t >= o.warmupS);
    const rSlope = slope(after(rss)) * 60;
    const hSlope = slope(after(heap)) * 60;
    const rDrift = drift(after(rss));
    const hDrift = drift(after(heap));
    // "Upward trend": the heap retained after a full GC climbs more than 1 MiB/min on the fitted
    // line AND its last third sits more than 2 MiB above the first. RSS is shown, not judged: V8
    // reserves heap in steps under load (a one-time step of 20-60 MiB, then flat), which is
    // capacity, not retention.
    const rising = (s: number, d: number) => s > 1 && d > 2;
    const rssNote = rising(rSlope, rDrift) ? `; RSS rose ${rDrift.toFixed(1)} MiB (V8's heap reservation, see the chart)` : '';
    const verdict =
      o.durationS < 60
        ? `too short to judge (${o.durationS} s; heaps and pools are still filling in the first minute)`
        : heap.length < 3
        ? 'no verdict: too few heap samples after GC'
        : rising(hSlope, hDrift)
        ? `UPWARD TREND: the heap retained after GC keeps growing under steady load${rssNote}`
        : `no upward trend in the heap retained after GC (slope ≤ 1 MiB/min or the last third within 2 MiB of the first)${rssNote}`;
    return { rss, heap, rssSlopeMiBPerMin: rSlope, heapSlopeMiBPerMin: hSlope, rssDriftMiB: rDrift, heapDriftMiB: hDrift, load, verdict };
  } catch (err) {
    const tail = child.stderr().trim().split('\n').slice(-5).join(' | ');
    return { ...empty, rss, heap, error: `${(err as Error).message}${tail ? ` — stderr: ${tail}` : ''}` };
  } finally {
    await stopChild(child);
    rmSync(probeDir, { recursive: true, force: true });
  }
}

/**
 * What the preload makes V8's garbage collector do under load: the trivial
 * server (bench/server.ts) run with `--trace-gc-nvp`, per variant.
 *
 *   node build/bench/gc.js [variant,variant,...] [seconds]   # default: baseline,wundr 8
 *   node build/bench/gc.js --promoted [variant] [seconds]    # default: wundr 8
 *
 * The first form prints, per variant, the bytes that survive a young
 * collection (the median of the last 30: what every collection copies), the
 * survivals of the load's first second, and the young generation's capacity
 * at the end. V8 grows its young generation once the bytes survived since
 * its last growth exceed its capacity, and does not shrink it while the
 * allocation rate stays high: every survivor counts towards RSS for good.
 *
 * `--promoted` samples (V8's sampling heap profiler, bench/heapSampler.ts)
 * the objects that survived a young collection and then died in a full one,
 * after a 2 s warm-up, and prints their allocation stacks in bytes per
 * request: what grows the old generation with garbage.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BASELINE, WUNDR, WUNDR_ABLATIONS, WUNDR_EXPERIMENTS, type HttpVariant } from './http.ts';
import { cleanEnv, freePort, procStatus, ROOT, runLoad, sleep, spawnNode, stopChild, waitForPort } from './proc.ts';

const SERVER = path.join(ROOT, 'build', 'bench', 'server.js');
const SAMPLER = path.join(ROOT, 'build', 'bench', 'heapSampler.js');
const VARIANTS: HttpVariant[] = [BASELINE, WUNDR, ...WUNDR_ABLATIONS, ...WUNDR_EXPERIMENTS];

function variant(id: string): HttpVariant {
  const v = VARIANTS.find((x) => x.id === id);
  if (!v) throw new Error(`unknown variant ${JSON.stringify(id)}; known: ${VARIANTS.map((x) => x.id).join(', ')}`);
  return v;
}

interface Scavenge {
  atMs: number;
  survived: number;
  capacity: number;
}

function scavenges(trace: string): Scavenge[] {
  const out: Scavenge[] = [];
  for (const line of trace.split('\n')) {
    if (!line.includes('gc=s ')) continue;
    const num = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(line)?.[1] ?? NaN);
    out.push({ atMs: Number(/\s(\d+) ms:/.exec(line)?.[1] ?? NaN), survived: num('new_space_survived'), capacity: num('new_space_capacity') });
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

async function survival(ids: string[], seconds: number): Promise<void> {
  const sinkPort = await freePort();
  const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
  try {
    await waitForPort(sinkPort);
    console.log('| variant | req/s | young collections | survived per collection (median of the last 30) | survived in the first second of load | young generation at the end | RSS after load |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const id of ids) {
      const v = variant(id);
      const [appPort, promPort] = [await freePort(), await freePort()];
      const child = spawnNode(['--trace-gc-nvp', ...v.nodeArgs, SERVER], cleanEnv({ PORT: String(appPort), WORK_ITERS: '0', ...v.env({ sinkUrl: `http://127.0.0.1:${sinkPort}`, promPort }) }), { stdout: 'pipe' });
      let trace = '';
      child.proc.stdout!.on('data', (c: Buffer) => (trace += c.toString()));
      try {
        await waitForPort(appPort, 30_000, child.proc);
        await sleep(300);
        const loadStart = trace.length;
        const r = await runLoad({ url: `http://127.0.0.1:${appPort}/`, durationS: seconds, connections: 10 });
        const rss = procStatus(child.proc.pid!).rssMiB;
        await stopChild(child);
        const all = scavenges(trace.slice(loadStart));
        const first = all.length ? all[0]!.atMs : 0;
        const firstSecond = all.filter((s) => s.atMs - first < 1000).reduce((a, s) => a + s.survived, 0);
        const last = all.slice(-30).map((s) => s.survived);
        console.log(
          `| ${v.name} | ${r.rps.toFixed(0)} | ${all.length} | ${kib(median(last))} | ${kib(firstSecond)} | ${((all.at(-1)?.capacity ?? NaN) / 1048576).toFixed(0)} MiB | ${rss.toFixed(0)} MiB |`,
        );
      } finally {
        await stopChild(child, 2000);
      }
    }
  } finally {
    await stopChild(sink, 2000);
  }
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

function frame(n: SamplingNode): string {
  const url = n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/build\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
}

async function promoted(id: string, seconds: number): Promise<void> {
  const v = variant(id);
  const sinkPort = await freePort();
  const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
  const out = path.join(tmpdir(), `wundr-heap-samples-${process.pid}.json`);
  rmSync(out, { force: true });
  const [appPort, promPort] = [await freePort(), await freePort()];
  const child = spawnNode(
    ['--require', SAMPLER, ...v.nodeArgs, SERVER],
    cleanEnv({ PORT: String(appPort), WORK_ITERS: '0', WUNDR_BENCH_HEAP_SAMPLES: out, ...v.env({ sinkUrl: `http://127.0.0.1:${sinkPort}`, promPort }) }),
  );
  try {
    await waitForPort(sinkPort);
    await waitForPort(appPort, 30_000, child.proc);
    const url = `http://127.0.0.1:${appPort}/`;
    await runLoad({ url, durationS: 2, connections: 10 });
    child.proc.kill('SIGUSR2');
    const r = await runLoad({ url, durationS: seconds, connections: 10 });
    child.proc.kill('SIGUSR2');
    let text = '';
    for (let i = 0; i < 50 && !text; i++) {
      await sleep(200);
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        // not written yet
      }
    }
    if (!text) throw new Error('no heap samples written');
    const profile = JSON.parse(text) as { head?: SamplingNode; error?: string };
    if (!profile.head) throw new Error(`no heap profile: ${profile.error ?? text.slice(0, 200)}`);
    const head = profile.head;
    const rows: [number, string][] = [];
    const walk = (n: SamplingNode, stack: string[]) => {
      const s = [frame(n), ...stack];
      if (n.selfSize) rows.push([n.selfSize, s.slice(0, 4).join(' < ')]);
      for (const c of n.children) walk(c, s);
    };
    walk(head, []);
    rows.sort((a, b) => b[0] - a[0]);
    const total = rows.reduce((a, [b]) => a + b, 0);
    console.log(`${v.name}: ${r.rps.toFixed(0)} req/s; promoted and then collected: ${(total / 1048576).toFixed(1)} MiB in ${seconds} s, ${(total / r.total).toFixed(0)} bytes per request`);
    console.log('');
    console.log('| bytes per request | allocated at (innermost first) |');
    console.log('|---:|---|');
    for (const [bytes, where] of rows.slice(0, 15)) console.log(`| ${(bytes / r.total).toFixed(1)} | ${where.replace(/\|/g, '/')} |`);
  } finally {
    await stopChild(child, 5000);
    await stopChild(sink, 2000);
    rmSync(out, { force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--promoted') {
    await promoted(args[1] ?? 'wundr', Number(args[2] ?? 8));
    return;
  }
  await survival((args[0] ?? 'baseline,wundr').split(','), Number(args[1] ?? 8));
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});

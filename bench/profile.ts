/**
 * Where the time goes: the preloaded trivial server run with `node
 * --cpu-prof` under load, its profile reduced to self time per function and
 * per package (share of the non-idle samples).
 *
 *   node build/bench/profile.js [seconds] [work-ms] [warm-up-s]   # prints markdown
 *
 * The last table follows the preload's own time by call path from its
 * entry points, over the measured load only: for a missed target, where
 * the remaining microseconds go, function by function.
 *
 * PROFILE_VARIANT=<id of one of http.ts's WUNDR_ABLATIONS> profiles that variant instead.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BASELINE, WUNDR, WUNDR_ABLATIONS, type HttpVariant } from './http.ts';
import { calibrate } from './work.ts';
import { cleanEnv, freePort, ROOT, runLoad, spawnNode, stopChild, waitForPort } from './proc.ts';
import { startSink } from './sink.ts';

const SERVER = path.join(ROOT, 'build', 'bench', 'server.js');

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** Microseconds, on the machine's monotonic clock (process.hrtime's). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: ProfileRow[];
  packages: ProfileRow[];
  rps: number;
  /** Requests answered over the profiled life of the process (warm-up included). */
  requests: number;
  /** Self time per package/area over the whole profile, untruncated (ms). */
  allPackages: Map<string, number>;
  /** Time under the preload's own frames by call path, over the measured load only (µs per request). */
  paths: Map<string, number>;
  /** Requests answered during the measured load (what `paths` is divided by). */
  measuredRequests: number;
  /** Over the measured load, µs per request: sampled time outside the app's request handler, busy and idle. */
  outsideHandler: { busy: number; idle: number };
}

/** The package or area a script URL belongs to. */
export const SOCKET_WRITE = '(socket writes, incl. waiting for a CPU)';

export function areaOf(url: string, fn: string): string {
  // V8's sampler ticks on wall time: on an oversubscribed machine the server is
  // most often preempted right in the write that wakes the load generator, and
  // the wait lands on these natives (perf's CPU-only sampling puts them at ~2 %).
  if (!url && (fn === 'writeUtf8String' || fn === 'writev' || fn === 'writeBuffer' || fn === 'writeLatin1String')) return SOCKET_WRITE;
  if (!url) return fn.startsWith('(') ? fn : '(native / builtin)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+)/.exec(url);
    return `node:${m?.[1] ?? url}`;
  }
  const b = /\/build\/src\/(.+)\.js$/.exec(url);
  if (b) return `@wundr/otel (${b[1]!.split('/')[0]})`;
  if (url.includes('/build/bench/')) return 'the app (bench/server)';
  return url;
}

export function summarizeProfile(p: CpuProfile, top = 25): Omit<ProfileSummary, 'rps' | 'requests' | 'paths' | 'measuredRequests' | 'outsideHandler'> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fns = new Map<string, ProfileRow>();
  const pkgs = new Map<string, ProfileRow>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us / 1000;
      continue;
    }
    total += us / 1000;
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName}@${where}`;
    const row = fns.get(key) ?? { name: cf.functionName || '(anonymous)', where, selfMs: 0, pct: 0 };
    row.selfMs += us / 1000;
    fns.set(key, row);
    const area = areaOf(cf.url, cf.functionName);
    const pr = pkgs.get(area) ?? { name: area, where: '', selfMs: 0, pct: 0 };
    pr.selfMs += us / 1000;
    pkgs.set(area, pr);
  }
  const finish = (m: Map<string, ProfileRow>) =>
    [...m.values()]
      .map((r) => ({ ...r, pct: (100 * r.selfMs) / total }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return {
    totalMs: total,
    idleMs: idle,
    functions: finish(fns),
    packages: finish(pkgs),
    allPackages: new Map([...pkgs].map(([k, v]) => [k, v.selfMs])),
  };
}

/** A frame as the call-path table names it: the function, and the file of ours or the package it is in. */
function frameName(cf: CpuProfile['nodes'][number]['callFrame']): string {
  const fn = cf.functionName || '(anonymous)';
  if (!cf.url) return fn;
  const ours = /\/build\/src\/(.+)\.js$/.exec(cf.url);
  if (ours) return `${fn} (${path.basename(ours[1]!)})`;
  const area = areaOf(cf.url, cf.functionName);
  return `${fn} (${area.replace(/^@opentelemetry\//, '')})`;
}

/**
 * Where the preload's own time goes, by call path: for each sample over
 * [t0, t1] (the profile's clock, µs) whose stack holds a frame of
 * build/src, the path of `depth` frames from the outermost of them (the
 * diagnostics_channel subscriber, the end-of-turn work, a timer) toward
 * the leaf. The time is inclusive: what those frames called is in it.
 */
export function preloadPaths(p: CpuProfile, t0: number, t1: number, depth = 3): { paths: Map<string, number>; outside: { busy: number; idle: number } } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Per stack (its leaf node): the call path under the preload's outermost frame, and whether it is in the app's
  // handler (any frame under bench/server.ts's request callback, work.ts's spin() included; outside it is the rest of the request path).
  const stacks = new Map<number, { key: string | null; inHandler: boolean }>();
  const stackOf = (leaf: number): { key: string | null; inHandler: boolean } => {
    const frames: CpuProfile['nodes'][number]['callFrame'][] = [];
    for (let x: number | undefined = leaf; x !== undefined; x = parent.get(x)) frames.push(byId.get(x)!.callFrame);
    frames.reverse();
    const j = frames.findIndex((f) => /\/build\/src\//.test(f.url));
    return {
      key: j < 0 ? null : frames.slice(j, j + depth).map(frameName).join(' › '),
      inHandler: frames.some((f) => f.url.endsWith('/build/bench/server.js')),
    };
  };
  const outside = { busy: 0, idle: 0 };
  const out = new Map<string, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < t0 || t > t1) continue;
    const id = p.samples[i]!;
    const dt = p.timeDeltas[i] ?? 0;
    let st = stacks.get(id);
    if (st === undefined) {
      st = stackOf(id);
      stacks.set(id, st);
    }
    if (!st.inHandler) {
      if (byId.get(id)!.callFrame.functionName === '(idle)') outside.idle += dt;
      else outside.busy += dt;
    }
    if (st.key !== null) out.set(st.key, (out.get(st.key) ?? 0) + dt);
  }
  return { paths: out, outside };
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  if (url.startsWith('file://')) return path.relative(ROOT, url.slice('file://'.length));
  return url;
}

/** Runs the server under `variant` with --cpu-prof for `seconds` of load and summarizes the profile. */
export async function profileVariant(
  variant: HttpVariant,
  o: { seconds: number; workIters: number; connections: number; sinkUrl: string; warmupS?: number },
): Promise<ProfileSummary> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wundr-prof-'));
  const [appPort, promPort] = [await freePort(), await freePort()];
  // The default 1 ms sampling interval would beat in time with a 1 ms handler: sample ten times finer there.
  const interval = o.workIters > 0 ? ['--cpu-prof-interval', '100'] : [];
  const child = spawnNode(
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...interval, ...variant.nodeArgs, SERVER],
    cleanEnv({ PORT: String(appPort), WORK_ITERS: String(o.workIters), ...variant.env({ sinkUrl: o.sinkUrl, promPort }) }),
  );
  try {
    await waitForPort(appPort, 30_000, child.proc);
    const url = `http://127.0.0.1:${appPort}/`;
    const warm = await runLoad({ url, durationS: o.warmupS ?? 2, connections: o.connections });
    // The profile's timestamps are on this same monotonic clock: the measured load's window, without the warm-up.
    const t0 = Number(process.hrtime.bigint() / 1000n);
    const r = await runLoad({ url, durationS: o.seconds, connections: o.connections });
    const t1 = Number(process.hrtime.bigint() / 1000n);
    // The profile is written when the process exits normally (the server closes on SIGTERM).
    await stopChild(child, 15_000);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile written (stderr: ${child.stderr().slice(-300)})`);
    const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const n = Math.max(1, r.total);
    const pp = preloadPaths(prof, t0, t1);
    const paths = new Map([...pp.paths].map(([k, us]) => [k, us / n]));
    const outsideHandler = { busy: pp.outside.busy / n, idle: pp.outside.idle / n };
    return { ...summarizeProfile(prof), rps: r.rps, requests: warm.total + r.total, paths, measuredRequests: r.total, outsideHandler };
  } finally {
    await stopChild(child, 2000);
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeMs(s: ProfileSummary): number {
  return s.allPackages.get(SOCKET_WRITE) ?? 0;
}

export function profileMarkdown(title: string, s: ProfileSummary, top = 15): string {
  const lines = [
    `#### ${title}`,
    '',
    `${s.rps.toFixed(0)} req/s while profiled (the profiler itself slows the server); ${s.totalMs.toFixed(0)} ms of non-idle CPU sampled.`,
    '',
    `The socket-write natives are shown apart (${SOCKET_WRITE}): V8 samples on wall time and, with server, load generator and sink on 2 cores, the server is mostly preempted in the write that wakes autocannon. The last column leaves them out.`,
    '',
    '| package / area | self time | share | share without socket writes |',
    '|---|---:|---:|---:|',
    ...s.packages.slice(0, 14).map((r) => `| ${r.name} | ${r.selfMs.toFixed(0)} ms | ${r.pct.toFixed(1)} % | ${r.name === SOCKET_WRITE ? '' : `${((100 * r.selfMs) / (s.totalMs - writeMs(s))).toFixed(1)} %`} |`),
    '',
    '| function | where | self time | share | share without socket writes |',
    '|---|---|---:|---:|---:|',
    ...s.functions
      .slice(0, top)
      .map((r) => `| \`${r.name}\` | ${r.where} | ${r.selfMs.toFixed(0)} ms | ${r.pct.toFixed(1)} % | ${!r.where && areaOf('', r.name) === SOCKET_WRITE ? '' : `${((100 * r.selfMs) / (s.totalMs - writeMs(s))).toFixed(1)} %`} |`),
    '',
  ];
  return lines.join('\n');
}

/** The call-path table (see preloadPaths), after the time outside the handler, the variant's and the baseline's. */
export function pathsMarkdown(title: string, s: ProfileSummary, base: ProfileSummary, warmupS: number, seconds: number, top = 30): string {
  const rows = [...s.paths].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((n, [, us]) => n + us, 0);
  const o = s.outsideHandler;
  const b = base.outsideHandler;
  return [
    `#### ${title}: the preload's own time by call path`,
    '',
    `Outside the app's request handler, over the measured load (the handler's own loop runs a few % faster or slower from one process to the next, so this leaves it out): **${o.busy.toFixed(1)} µs per request busy** (and ${o.idle.toFixed(1)} idle) against the baseline's ${b.busy.toFixed(1)} (${b.idle.toFixed(1)} idle): **${(o.busy - b.busy >= 0 ? '+' : '') + (o.busy - b.busy).toFixed(1)} µs**.`,
    '',
    `Sampled time under the preload's outermost frame (a diagnostics_channel subscriber, the end-of-turn work, a timer), three frames deep, inclusive of what they call, over the ${seconds} s of load after ${warmupS} s of warm-up: ${s.measuredRequests} requests, **${total.toFixed(2)} µs per request** in all. V8 samples on wall time: a frame preempted by another process keeps the time.`,
    '',
    '| call path | µs/req |',
    '|---|---:|',
    ...rows.slice(0, top).map(([k, us]) => `| ${k} | ${us.toFixed(2)} |`),
    '',
  ].join('\n');
}

/**
 * CPU per request by package/area, the variant next to the baseline: what
 * the preload adds, and where (the baseline's own socket and HTTP parser work
 * is in both).
 */
export function compareMarkdown(baseName: string, base: ProfileSummary, name: string, v: ProfileSummary, top = 14): string {
  const per = (s: ProfileSummary, k: string) => ((s.allPackages.get(k) ?? 0) * 1000) / Math.max(1, s.requests);
  const keys = new Set([...base.allPackages.keys(), ...v.allPackages.keys()]);
  const rows = [...keys].map((k) => ({ k, b: per(base, k), x: per(v, k) })).sort((a, b) => b.x - b.b - (a.x - a.b));
  const totB = (base.totalMs * 1000) / Math.max(1, base.requests);
  const totV = (v.totalMs * 1000) / Math.max(1, v.requests);
  const delta = totV - totB;
  return [
    `#### CPU per request by package: ${name} against ${baseName}`,
    '',
    `Profiled self time divided by the requests answered while profiled (${base.requests} and ${v.requests}): ${totB.toFixed(1)} µs/req without the preload, ${totV.toFixed(1)} µs/req with it, **+${delta.toFixed(1)} µs/req**.`,
    '',
    `| package / area | ${baseName} µs/req | ${name} µs/req | added µs/req | share of the added |`,
    '|---|---:|---:|---:|---:|',
    ...rows.slice(0, top).map((r) => `| ${r.k} | ${r.b.toFixed(2)} | ${r.x.toFixed(2)} | ${(r.x - r.b >= 0 ? '+' : '') + (r.x - r.b).toFixed(2)} | ${((100 * (r.x - r.b)) / delta).toFixed(1)} % |`),
    '',
  ].join('\n');
}

if (require.main === module) {
  const seconds = Number(process.argv[2] ?? 10);
  const workMs = Number(process.argv[3] ?? 0);
  // A 1 ms handler's code is still being optimised after 20 s at ~1,000 req/s (docs/PERFORMANCE.md).
  const warmupS = Number(process.argv[4] ?? (workMs > 0 ? 30 : 2));
  if (![seconds, workMs, warmupS].every((n) => Number.isFinite(n) && n >= 0) || seconds === 0) {
    process.stderr.write('usage: node build/bench/profile.js [seconds > 0] [work-ms >= 0] [warm-up seconds >= 0]\n');
    process.exit(2);
  }
  (async () => {
    const sinkPort = await freePort();
    const sink = await startSink(sinkPort);
    try {
      const variant = WUNDR_ABLATIONS.find((v) => v.id === process.env.PROFILE_VARIANT) ?? WUNDR;
      const workIters = workMs > 0 ? calibrate(workMs) : 0;
      const opts = { seconds, workIters, connections: 10, sinkUrl: `http://127.0.0.1:${sinkPort}`, warmupS };
      const base = await profileVariant(BASELINE, opts);
      const s = await profileVariant(variant, opts);
      process.stdout.write(compareMarkdown('no preload', base, variant.name, s));
      process.stdout.write(profileMarkdown(`${variant.name}, ${workMs} ms handler`, s, 25));
      process.stdout.write(pathsMarkdown(`${variant.name}, ${workMs} ms handler`, s, base, warmupS, seconds));
    } finally {
      sink.close();
    }
  })().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}

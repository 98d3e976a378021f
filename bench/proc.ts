/**
 * Process plumbing for the benchmarks: free ports, child processes with the
 * pinned Node, /proc readings, autocannon in its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
export const PEERS = path.join(ROOT, 'bench', 'peers', 'node_modules');
const LOAD = path.join(ROOT, 'build', 'bench', 'load.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port the kernel says is free right now (127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when something accepts TCP connections on the port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 15_000, child?: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process exited (code ${child.exitCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export interface Child {
  proc: ChildProcess;
  /** The last few KiB of stderr, for diagnosing a failed variant. */
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts the pinned Node with `args`; stdout is discarded (its cost still counts), stderr kept. */
export function spawnNode(args: string[], env: Record<string, string | undefined>, opts: { stdout?: 'ignore' | 'pipe' } = {}): Child {
  const proc = spawn(NODE, args, { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stderr: () => err, exited };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves true when it exited on its own. */
export async function stopChild(c: Child, graceMs = 8000): Promise<boolean> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return true;
  c.proc.kill('SIGTERM');
  const t = sleep(graceMs).then(() => false);
  const graceful = await Promise.race([c.exited.then(() => true), t]);
  if (!graceful) {
    c.proc.kill('SIGKILL');
    await c.exited;
  }
  return graceful;
}

/** Environment for children: the caller's, minus anything OTel/DD-related that could leak in. */
export function cleanEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OTEL_|DD_|LOG_|METRICS_|TRACING_|HEALTH_|ALERTING_|WUNDR_|NODE_OPTIONS$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface ProcStatus {
  rssMiB: number;
  /** Peak RSS so far (VmHWM). */
  hwmMiB: number;
}

export function procStatus(pid: number): ProcStatus {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/**
 * Free ports for servers started together: each call another port, never
 * one handed out before (ports are all taken before anything binds them,
 * so freePort alone could give one twice).
 */
export function distinctPorts(): () => Promise<number> {
  const taken = new Set<number>();
  return async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) return taken.add(p), p;
    }
  };
}

/** User + system CPU seconds in a /proc stat file (a process's or a thread's). */
function statCpuSeconds(file: string): number {
  const s = readFileSync(file, 'utf8');
  // Fields after the parenthesised command name; utime and stime are 14th and 15th overall.
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** User + system CPU seconds the process has used (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of the process's main thread and of its other threads
 * together (V8's compiler and GC helpers, libuv's pool), from
 * /proc/<pid>/task/<tid>/stat. The main thread is the one whose tid is the pid.
 */
export function threadCpuSeconds(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let seconds: number;
    try {
      seconds = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended between the listing and the read
    }
    if (tid === String(pid)) main += seconds;
    else other += seconds;
  }
  return { main, other };
}

/**
 * Sends SIGUSR2 to a probe preloaded in `pid` and resolves the numbers of
 * its answer: the probe writes `<sequence> <number> …` to `file`, and an
 * answer counts once its sequence is past `last.n`. Undefined when none
 * came within `timeoutMs`.
 */
export async function askProbe(pid: number, file: string, last: { n: number }, timeoutMs: number): Promise<number[] | undefined> {
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    await sleep(20);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const [seq, ...numbers] = text.trim().split(' ').map(Number);
    if (seq! > last.n) {
      last.n = seq!;
      return numbers;
    }
  }
  return undefined;
}

export interface LoadResult {
  /** Responses per second over the run. */
  rps: number;
  /** Latency quantiles of the 2xx responses, at autocannon's hrtime resolution (fractional ms). */
  p50Ms: number;
  p99Ms: number;
  /** autocannon's own p99 (whole milliseconds, of the 2xx responses), as earlier reports gave it; with a rate, it includes autocannon's filler samples. */
  wholeMsP99: number;
  total: number;
  errors: number;
  non2xx: number;
  durationS: number;
}

export interface LoadOptions {
  url: string;
  durationS: number;
  connections: number;
  /** Overall request rate cap (req/s); 0 for as fast as the server answers. */
  rate?: number;
}

/** Runs the load (load.ts: autocannon) as a separate process, so it does not share an event loop with anything we measure. */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(NODE, [LOAD, JSON.stringify(o)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    // 'close': stdout is read to its end.
    p.once('close', (code) => {
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`the load generator exited ${code}: ${err || out.slice(0, 500)}`));
      }
    });
  });
}

/** GET a small local URL, resolving its body ('' on any error). */
export function httpGet(url: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (b += c));
      res.on('end', () => resolve(b));
      res.on('error', () => resolve(''));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
  });
}

export function httpPost(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    });
    req.on('error', () => resolve(''));
    req.end();
  });
}

/**
 * Real child processes for the preload tests: the pinned Node 24 binary,
 * the package resolved by its own name (as a user's app would), stdout and
 * stderr collected, and a guaranteed kill when a test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as http from 'node:http';

/** The repository root (tests run from build/test/...). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/**
 * Below the kernel's ephemeral range: a port picked here and bound by a
 * child a few seconds later cannot meanwhile be taken as the local port of
 * some outgoing connection (a port the kernel hands out for `listen(0)` is
 * in that range, and once an e2e run had started a dozen programs talking
 * to each other, one daemon's pre-picked port was gone: EADDRINUSE).
 */
const PICK_LOW = 10_000;
const pickHigh = ((): number => {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > PICK_LOW + 1000 ? low : PICK_LOW;
  } catch {
    return PICK_LOW;
  }
})();
/** Each test process walks the range from its own offset, so concurrent ones rarely try the same ports. */
let pickNext = (process.pid * 7919) % Math.max(1, pickHigh - PICK_LOW);
const picked = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A port that was free a moment ago on 127.0.0.1, outside the ephemeral range when the system leaves room below it. */
export async function freePort(): Promise<number> {
  const span = pickHigh - PICK_LOW;
  if (span < 1000) return kernelPort();
  for (let tries = 0; tries < 100; tries++) {
    pickNext = (pickNext + 1 + (tries % 7)) % span;
    const port = PICK_LOW + pickNext;
    if (picked.has(port)) continue;
    if (await canListen(port)) {
      picked.add(port);
      return port;
    }
  }
  return kernelPort();
}

export interface Child {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once `re` matches it (rejects after timeoutMs, with the output). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code and signal. */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface RunChildOptions {
  /** Arguments after `node`, e.g. ['--require', '@wundr/otel/register', 'app.js']. */
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Environment for children: the test's OTEL_* and seed variables never leak in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(OTEL_|LOG_|METRICS_|TRACING_|HEALTH_|ALERTING_|WUNDR_)/.test(k)) continue;
    if (k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function runChild(opts: RunChildOptions): Child {
  const started = Date.now();
  const proc = spawn(NODE, opts.args, {
    cwd: opts.cwd ?? ROOT,
    env: cleanEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal, ms: Date.now() - started });
    });
  });
  // 'exit' can fire before the pipes drain; wait for 'close' too.
  const closed = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    async waitForOutput(re, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (proc.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no output matching ${re} (exit ${proc.exitCode})\nstdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async exited(timeoutMs = 20000) {
      let timer: NodeJS.Timeout | undefined;
      const t = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          proc.kill('SIGKILL');
          reject(new Error(`child did not exit within ${timeoutMs} ms\nstderr:\n${err.slice(-4000)}`));
        }, timeoutMs);
      });
      try {
        const r = await Promise.race([exit, t]);
        await closed;
        return r;
      } finally {
        clearTimeout(timer);
      }
    },
    kill(signal = 'SIGTERM') {
      proc.kill(signal);
    },
  };
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1 (no keep-alive), bounded in time. */
export function request(
  port: number,
  pathname: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathname, method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: opts.timeoutMs ?? 10000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request ${pathname} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls `fn` until it resolves without throwing. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

export interface PreloadedApp {
  child: Child;
  appPort: number;
  metricsPort: number;
}

/**
 * Starts a fixture app under the preload (`--require` or `--import`),
 * exporting spans to `otlpEndpoint` with a short batch delay and no logs,
 * and waits until the app listens and the metrics endpoint answers. The
 * app prints `listening <port>`.
 */
export async function startPreloadedApp(
  flag: '--require' | '--import',
  app: string,
  otlpEndpoint: string,
  env: Record<string, string> = {},
): Promise<PreloadedApp> {
  const metricsPort = await freePort();
  const child = runChild({
    args: [flag, '@wundr/otel/register', path.join(FIXTURES, app)],
    env: {
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_LOGS_EXPORTER: 'none',
      ...env,
    },
  });
  try {
    const appPort = Number((await child.waitForOutput(/listening (\d+)/))[1]);
    await eventually(() => request(metricsPort, '/live'));
    return { child, appPort, metricsPort };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

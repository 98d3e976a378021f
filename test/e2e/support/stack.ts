/**
 * Helpers for the end-to-end run with the real programs: where the binaries
 * are, long-running processes in their own process groups (killed as a
 * group, also when the test fails or the runner exits), bounded HTTP calls,
 * polling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

/**
 * The directory get-tools.sh links the programs into:
 * $WUNDR_TOOLS_BIN, else ${WUNDR_TOOLS_DIR:-~/.cache/wundr-otel}/bin.
 */
export function toolsBin(): string {
  if (process.env.WUNDR_TOOLS_BIN) return process.env.WUNDR_TOOLS_BIN;
  return path.join(process.env.WUNDR_TOOLS_DIR || path.join(homedir(), '.cache', 'wundr-otel'), 'bin');
}

export const REQUIRED_TOOLS = ['jaeger', 'otelcol-wundr', 'prometheus', 'alertmanager'] as const;
export type ToolName = (typeof REQUIRED_TOOLS)[number] | 'promtool';

/**
 * Paths of the programs; throws one error naming every missing one and how
 * to get them (the e2e run then fails: non-zero exit).
 */
export function findTools(): Record<ToolName, string> & { promtool: string | undefined } {
  const bin = toolsBin();
  const out: Record<string, string | undefined> = {};
  const missing: string[] = [];
  for (const name of [...REQUIRED_TOOLS, 'promtool']) {
    const p = path.join(bin, name);
    try {
      accessSync(p, constants.X_OK);
      out[name] = p;
    } catch {
      if (name !== 'promtool') missing.push(name);
    }
  }
  if (missing.length) {
    throw new Error(
      `end-to-end tools missing in ${bin}: ${missing.join(', ')}.\n` +
        `Get them with:  bash scripts/e2e/get-tools.sh   (builds/installs into ~/.cache/wundr-otel; ` +
        `set WUNDR_TOOLS_DIR or WUNDR_TOOLS_BIN to use another cache)`,
    );
  }
  return out as Record<ToolName, string> & { promtool: string | undefined };
}

/** Paths of the named programs in {@link toolsBin}; throws one error naming every missing one and `how` to get them. */
export function requireTools(names: string[], how: string): Record<string, string> {
  const bin = toolsBin();
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const p = path.join(bin, name);
    try {
      accessSync(p, constants.X_OK);
      out[name] = p;
    } catch {
      missing.push(name);
    }
  }
  if (missing.length) throw new Error(`end-to-end tools missing in ${bin}: ${missing.join(', ')}.\nGet them with:  ${how}`);
  return out;
}

export interface Proc {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly logFile: string;
  /** The process's stdout+stderr so far. */
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the whole group, SIGKILL after graceMs; resolves when the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  if (p.pid === undefined) return;
  try {
    process.kill(-p.pid, signal);
  } catch {
    try {
      p.kill(signal);
    } catch {
      // gone
    }
  }
}
// Last resort: nothing this run started outlives the runner, also when it is interrupted.
process.on('exit', () => {
  for (const p of live) killGroup(p, 'SIGKILL');
});
for (const [signal, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.once(signal, () => {
    for (const p of live) killGroup(p, 'SIGKILL');
    process.exit(128 + n);
  });
}

/**
 * Starts a program in its own process group (detached), stdout and stderr
 * into `logFile`. The group is what `stop()` kills, so children of the
 * program (the daemon's federation peer) go too.
 */
export function startProc(name: string, cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string }): Proc {
  const fd = openSync(opts.logFile, 'a');
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(proc);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    proc.on('error', (err) => {
      exitInfo = { code: -1, signal: null };
      try {
        require('node:fs').appendFileSync(opts.logFile, `\n[e2e] could not start ${cmd}: ${err.message}\n`);
      } catch {
        // ignore
      }
      resolve(exitInfo);
    });
  });
  return {
    name,
    proc,
    logFile: opts.logFile,
    log: () => (existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8') : ''),
    exited,
    async stop(graceMs = 5000) {
      if (exitInfo) {
        // The leader is gone; its group may still hold children.
        killGroup(proc, 'SIGKILL');
        live.delete(proc);
        return;
      }
      killGroup(proc, 'SIGTERM');
      const t = setTimeout(() => killGroup(proc, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
      killGroup(proc, 'SIGKILL');
      live.delete(proc);
    },
  };
}

/** GET/POST with a bound; resolves status and text. */
export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  return { status: res.status, text: await res.text() };
}

/** GET, expect 200, parse JSON. */
export async function getJson<T = any>(url: string): Promise<T> {
  const r = await http(url);
  if (r.status !== 200) throw new Error(`GET ${url} -> ${r.status}: ${r.text.slice(0, 500)}`);
  return JSON.parse(r.text) as T;
}

/** An error `waitFor` does not retry (e.g. the program it waits for has exited). */
export class Fatal extends Error {}

/**
 * Polls `fn` until it returns a value without throwing; after timeoutMs
 * throws the last error, prefixed with what was awaited. A {@link Fatal}
 * error ends the wait at once.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof Fatal) throw new Error(`waiting for ${what}: ${e.message}`);
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(last as Error)?.message ?? String(last)}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Prometheus duration ("5m", "1h30m", "90s", "500ms") in seconds. */
export function parsePromDuration(s: string): number {
  const re = /(\d+)(ms|d|h|m|s|w|y)/g;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  let matched = '';
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    matched += m[0];
  }
  if (matched !== s) throw new Error(`not a Prometheus duration: ${JSON.stringify(s)}`);
  return total;
}

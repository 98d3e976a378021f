/**
 * Real database servers from Debian's packages (redis-server, postgresql),
 * started by a test on 127.0.0.1 with a free port and a temporary directory,
 * and stopped (directory removed) by `stop()` or when the test process exits.
 * PostgreSQL refuses to run as root: as root, initdb and postgres run as
 * `nobody` in a directory handed to that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { freePort } from './child.ts';

export interface DbServer {
  readonly port: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, bin);
    if (fs.existsSync(p)) return p;
  }
  for (const p of [`/usr/bin/${bin}`, `/usr/sbin/${bin}`]) if (fs.existsSync(p)) return p;
  return undefined;
}

/** The redis-server binary, or why there is none. */
export function redisServerBinary(): { bin?: string; reason?: string } {
  const bin = which('redis-server');
  return bin ? { bin } : { reason: 'redis-server not found (apt-get install redis-server)' };
}

/** The newest /usr/lib/postgresql/<v>/bin with initdb and postgres, or why there is none. */
export function postgresBinDir(): { dir?: string; reason?: string } {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return { dir };
  }
  return { reason: `no initdb/postgres under ${root}/*/bin (apt-get install postgresql)` };
}

async function waitForPort(port: number, proc: ChildProcess, output: () => string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}) before listening:\n${output().slice(-3000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`server not listening on ${port} after ${timeoutMs} ms:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function track(proc: ChildProcess): () => string {
  live.add(proc);
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.on('exit', () => live.delete(proc));
  return () => out;
}

function stopper(proc: ChildProcess, signal: NodeJS.Signals, dir: string): () => Promise<void> {
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

/** Starts redis-server on 127.0.0.1 (no persistence) in a temp dir. */
export async function startRedis(bin: string): Promise<DbServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wundr-redis-'));
  const port = await freePort();
  const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = track(proc);
  try {
    await waitForPort(port, proc, output);
  } catch (err) {
    await stopper(proc, 'SIGKILL', dir)();
    throw err;
  }
  return { port, stop: stopper(proc, 'SIGTERM', dir) };
}

/** The uid/gid to run PostgreSQL as: ourselves, or `nobody` when we are root. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Starts a throw-away PostgreSQL cluster: initdb (trust auth, superuser
 * `postgres`) in a temp dir, then `postgres` on 127.0.0.1 with its socket in
 * the same dir. Stopped with SIGINT (fast shutdown).
 */
export async function startPostgres(binDir: string): Promise<DbServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wundr-pg-'));
  const data = path.join(dir, 'data');
  const user = postgresUser();
  if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid!);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
  const init = spawnSync(path.join(binDir, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
    ...user,
    env,
    cwd: dir,
    encoding: 'utf8',
    timeout: 120000,
  });
  if (init.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.signal}):\n${init.stdout}\n${init.stderr}`);
  }
  const port = await freePort();
  const proc = spawn(
    path.join(binDir, 'postgres'),
    ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=20'],
    { ...user, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = track(proc);
  try {
    await waitForPort(port, proc, output, 60000);
  } catch (err) {
    await stopper(proc, 'SIGKILL', dir)();
    throw err;
  }
  return { port, stop: stopper(proc, 'SIGINT', dir) };
}

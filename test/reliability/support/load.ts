/**
 * Steady HTTP load on 127.0.0.1 for the reliability tests: a fixed number
 * of keep-alive connections each sending requests back to back, with the
 * latency of every request recorded.
 */
import * as http from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  /** Sorted latencies in ms. */
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function once(agent: http.Agent, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Runs `concurrency` request loops against `path` until `stopAt()` says so.
 * `onTick` is called about every 250 ms (e.g. to sample memory).
 */
export async function runLoad(
  port: number,
  opts: { durationMs: number; concurrency?: number; path?: string; pauseMs?: number; ratePerSec?: number },
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 4 });
  const deadline = Date.now() + opts.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  // With a rate, each connection starts its requests on a fixed schedule
  // (open loop): the offered load does not depend on how fast the app is.
  const interval = opts.ratePerSec ? ((opts.concurrency ?? 4) * 1000) / opts.ratePerSec : 0;
  const loop = async (): Promise<void> => {
    let next = performance.now();
    while (Date.now() < deadline) {
      if (interval > 0) {
        next += interval;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      try {
        await once(agent, port, opts.path ?? '/');
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, loop));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, latencies };
}

export interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Memory of the fixture app after a full GC (GET /mem). */
export async function memOf(port: number): Promise<Mem> {
  const agent = new http.Agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/mem', agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Mem);
          } catch (e) {
            reject(e as Error);
          }
        });
      })
      .on('error', reject);
  });
}

export const MB = 1024 * 1024;

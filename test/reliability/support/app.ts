/**
 * The reliability fixture app (fixtures/loadapp.cjs) under the preload, in a
 * child process, with its endpoint on an ephemeral port of 127.0.0.1.
 */
import * as path from 'node:path';
import { ROOT, freePort, request, runChild, eventually, type Child } from '../../support/child.ts';

export const RELIABILITY_FIXTURES = path.join(ROOT, 'test', 'reliability', 'fixtures');

export interface App {
  child: Child;
  port: number;
  metricsPort: number;
}

const started: Child[] = [];

/** Kills every app still running (call from `after`). */
export function killAll(): void {
  for (const c of started) if (c.proc.exitCode === null && c.proc.signalCode === null) c.kill('SIGKILL');
}

export async function startApp(env: Record<string, string>, fixture = 'loadapp.cjs', nodeArgs: string[] = []): Promise<App> {
  const metricsPort = await freePort();
  const child = runChild({
    args: ['--expose-gc', ...nodeArgs, '--require', '@wundr/otel/register', path.join(RELIABILITY_FIXTURES, fixture)],
    env: {
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      // The in-process alert evaluator is not under test here.
      ALERTING_ENABLED: 'false',
      ...env,
    },
  });
  started.push(child);
  const m = await child.waitForOutput(/listening (\d+)/);
  await eventually(() => request(metricsPort, '/live'));
  return { child, port: Number(m[1]), metricsPort };
}

/** `wundr_otel_telemetry_dropped_total` from /metrics, per `signal/reason`. */
export async function drops(metricsPort: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const res = await request(metricsPort, '/metrics', { headers });
  const out: Record<string, number> = {};
  for (const m of res.body.matchAll(/^wundr_otel_telemetry_dropped_total\{signal="(\w+)",reason="(\w+)"\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)) {
    out[`${m[1]}/${m[2]}`] = Number(m[3]);
  }
  return out;
}

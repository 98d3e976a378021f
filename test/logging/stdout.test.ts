/**
 * The logger as a black box in child processes: real stdout (parsed line by
 * line), the preload, a real OTLP/HTTP receiver, SIGTERM and exit flushes,
 * a closed stdout (EPIPE) and a stdout nobody reads.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { NODE, ROOT, cleanEnv, runChild, type Child } from '../support/child.ts';

const FIXTURE = path.join(ROOT, 'test', 'logging', 'fixtures', 'logs.cjs');
const QUIET = { METRICS_ENABLED: 'false', HEALTH_CHECK_ENABLED: 'false', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };

let receiver: OtlpReceiver | undefined;
const children: Child[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
});

function run(env: Record<string, string>, preload = true): Child {
  const c = runChild({ args: [...(preload ? ['--require', '@wundr/otel/register'] : []), FIXTURE], env });
  children.push(c);
  return c;
}

function jsonLines(out: string): Record<string, any>[] {
  const lines = out.split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      throw new Error(`stdout line is not JSON: ${l}`);
    }
  });
}

/** Spans are only recorded when some trace exporter takes them: the receiver does. */
async function tracesToReceiver(): Promise<Record<string, string>> {
  receiver ??= await startOtlpReceiver();
  return { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100' };
}

test('json lines on stdout (default when stdout is not a TTY): fields outside and inside spans, child loggers', async () => {
  const c = run({ MODE: 'basic', ...QUIET, ...(await tracesToReceiver()) });
  const { code } = await c.exited();
  assert.equal(code, 0, c.stderr());
  const lines = jsonLines(c.stdout());
  assert.deepEqual(
    lines.map((l) => l.message),
    ['outside', 'inside', 'failure', 'old style'],
    'debug is below the default level; records from other emitters are not printed',
  );
  const [outside, inside, failure, old] = lines as [any, any, any, any];
  assert.deepEqual(Object.keys(outside), ['timestamp', 'level', 'message', 'component', 'metadata']);
  assert.equal(outside.level, 'info');
  assert.equal(outside.component, 'Fixture');
  assert.deepEqual(outside.metadata, { n: 1 });

  assert.equal(inside.level, 'warn');
  assert.match(inside.traceId, /^[0-9a-f]{32}$/);
  assert.equal(inside.traceId, inside.metadata.expectTrace);
  assert.equal(inside.spanId, inside.metadata.expectSpan);
  assert.equal(inside.parentSpanId, inside.metadata.expectParent);
  assert.equal(inside.sessionId, 'sess_1');
  assert.equal(inside.orchestratorId, 'orch_1');
  assert.equal(inside.correlationId, 'corr_1');
  assert.deepEqual(Object.keys(inside), [
    'timestamp', 'level', 'message', 'component', 'traceId', 'spanId', 'parentSpanId', 'sessionId', 'orchestratorId', 'correlationId', 'metadata',
  ]);

  assert.equal(failure.level, 'error');
  assert.equal(failure.traceId, inside.traceId);
  assert.deepEqual(Object.keys(failure.error), ['message', 'stack', 'code']);
  assert.equal(failure.error.message, 'tool failed');
  assert.equal(failure.error.code, 'E_TOOL');
  assert.match(failure.error.stack, /logs\.cjs/);

  assert.equal(old.component, 'OldStyle');
  assert.deepEqual(old.metadata, { args: ['extra', 7] });
  assert.equal(old.traceId, undefined);
});

test('LOG_FORMAT=text LOG_LEVEL=debug, without the preload: the text line, env read by the library', async () => {
  const c = run({ MODE: 'basic', LOG_FORMAT: 'text', LOG_LEVEL: 'debug' }, false);
  const { code } = await c.exited();
  assert.equal(code, 0, c.stderr());
  const lines = c.stdout().split('\n').filter(Boolean);
  assert.equal(lines.length, 5, c.stdout());
  assert.match(lines[0]!, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] \[INFO\] \[Fixture\] outside n=1$/);
  // No SDK: no active span, so no trace part.
  assert.match(lines[1]!, /^\[[^\]]+\] \[WARN\] \[Fixture\] inside sessionId=sess_1 orchestratorId=orch_1 correlationId=corr_1 /);
  assert.match(lines[3]!, /^\[[^\]]+\] \[DEBUG\] \[OldStyle\] hidden at info$/);
});

for (const protocol of ['http/json', 'http/protobuf'] as const) {
  test(`the same records reach a real OTLP/HTTP receiver (${protocol}) with matching trace ids and severities`, async () => {
    const c = run({ MODE: 'basic', ...QUIET, ...(await tracesToReceiver()), OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
    const { code } = await c.exited();
    assert.equal(code, 0, c.stderr());
    const pid = c.proc.pid;
    assert.ok(receiver);
    const mine = () => receiver!.logs().filter((l) => l.resource['process.pid'] === pid);
    await receiver.waitFor(() => mine().length >= 5, 15000, `5 log records from pid ${pid}`);
    const lines = jsonLines(c.stdout());
    const byBody = new Map(mine().map((l) => [l.body, l]));
    assert.deepEqual([...byBody.keys()].sort(), ['failure', 'inside', 'old style', 'outside', 'via api-logs']);
    for (const line of lines) {
      const rec = byBody.get(line.message)!;
      assert.equal(rec.scope.name, '@wundr/otel');
      assert.equal(rec.severityText, line.level.toUpperCase());
      assert.equal(rec.severityNumber, { debug: 5, info: 9, warn: 13, error: 17 }[line.level as string]);
      // OTLP has no "absent" for ids: an all-zero (or empty) id means no span.
      assert.equal(rec.traceId.replace(/^0+$/, ''), line.traceId ?? '', `trace id of "${line.message}"`);
      assert.equal(rec.spanId.replace(/^0+$/, ''), line.spanId ?? '', `span id of "${line.message}"`);
      assert.equal(rec.attributes['component'], line.component);
      assert.equal(BigInt(rec.timeUnixNano) / 1_000_000n, BigInt(Date.parse(line.timestamp)));
    }
    const inside = byBody.get('inside')!;
    assert.equal(inside.attributes['sessionId'], 'sess_1');
    assert.equal(inside.attributes['correlationId'], 'corr_1');
    assert.equal(inside.attributes['expectTrace'], inside.traceId);
    const failure = byBody.get('failure')!;
    assert.equal(failure.attributes['exception.message'], 'tool failed');
    assert.equal(failure.attributes['exception.type'], 'E_TOOL');
    const bridge = byBody.get('via api-logs')!;
    assert.equal(bridge.scope.name, 'legacy-bridge');
    assert.equal(bridge.severityNumber, 13);
  });
}

test('SIGTERM: every line logged before the signal is on stdout, the last one included', async () => {
  const c = run({ MODE: 'burst', BURST: '30000', ...QUIET });
  const { signal } = await c.exited();
  assert.equal(signal, 'SIGTERM', 'the process still ends by the signal');
  const lines = jsonLines(c.stdout());
  assert.equal(lines.length, 30001);
  assert.equal(lines.at(-1)!.message, 'last-before-signal');
  assert.deepEqual(lines.slice(0, -1).map((l) => l.metadata.i), Array.from({ length: 30000 }, (_, i) => i), 'in order, none lost');
});

test('process.exit() right after logging: the exit hook writes what is left, synchronously', async () => {
  const c = run({ MODE: 'exit', BURST: '30000', ...QUIET }, false);
  const { code } = await c.exited();
  assert.equal(code, 0, c.stderr());
  const lines = jsonLines(c.stdout());
  assert.equal(lines.length, 30001);
  assert.equal(lines.at(-1)!.message, 'last-before-exit');
});

test('an uncaught exception right after logging: the lines before it are not lost', async () => {
  const c = run({ MODE: 'crash', ...QUIET });
  const { code } = await c.exited();
  assert.equal(code, 1);
  assert.match(c.stderr(), /host bug/);
  const lines = jsonLines(c.stdout());
  assert.equal(lines.length, 1001);
  assert.equal(lines.at(-1)!.message, 'last-before-crash');
});

test('stdout closed by the reader (EPIPE): swallowed and counted, the app runs on', async () => {
  const proc = spawn(NODE, [FIXTURE], { cwd: ROOT, env: cleanEnv({ MODE: 'epipe' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.stdout.once('data', () => proc.stdout.destroy());
  const code = await new Promise<number | null>((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no exit; stderr: ${err}`));
    }, 15000);
    proc.on('close', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  assert.equal(code, 0, err);
  const m = err.match(/STATS (.*)/);
  assert.ok(m, err);
  const stats = JSON.parse(m[1]!);
  assert.ok(stats.writeErrors >= 1, err);
  assert.ok(stats.dropped >= 1, err);
  assert.doesNotMatch(err, /EPIPE|Error:/);
});

test('a stdout nobody reads: the app is not blocked, the buffer stays bounded, drops are counted', async () => {
  const proc = spawn(NODE, [FIXTURE], { cwd: ROOT, env: cleanEnv({ MODE: 'slow' }), stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pause(); // never read: the pipe fills after ~64 KiB
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the app was blocked by its stdout; stderr: ${err}`));
    }, 20000);
    proc.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  proc.stdout.destroy();
  assert.equal(code, 0, err);
  const stats = JSON.parse(err.match(/STATS (.*)/)![1]!);
  assert.equal(stats.lines + stats.dropped, 20000, 'every call is either buffered or counted as dropped');
  assert.ok(stats.dropped > 0, JSON.stringify(stats));
  assert.ok(stats.bufferedChars <= 200000, JSON.stringify(stats));
});

/**
 * Stopping: SIGTERM whatever the collector does (bounded by
 * WUNDR_OTEL_SHUTDOWN_TIMEOUT), SIGTERM under load with nothing lost, the
 * crash path (uncaught exception, unhandled rejection, a host that handles
 * them itself), and an unwritable stdout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { NODE, ROOT, cleanEnv, eventually, freePort, request } from '../support/child.ts';
import { fileCollectors, type CollectorMode } from './support/faultyCollector.ts';
import { runLoad } from './support/load.ts';
import { killAll, startApp, RELIABILITY_FIXTURES, type App } from './support/app.ts';
import { unrefRetryTimers } from '../../src/sdk/internals/otlp-exporter-base.ts';
import { OTLP_HTTP_EXPORTERS } from '../support/otlpHttpExporters.ts';

const collector = fileCollectors(killAll);

/** Sends SIGTERM and resolves with how long the process took to end after it. */
async function terminate(app: App): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const t = Date.now();
  app.child.kill('SIGTERM');
  const { code, signal } = await app.child.exited(30000);
  return { ms: Date.now() - t, code, signal };
}

for (const [name, mode, timeout] of [
  ['hanging', { kind: 'hang' }, undefined],
  ['hanging', { kind: 'hang' }, '1500'],
  ['refusing', { kind: 'down' }, undefined],
] as const) {
  const bound = Number(timeout ?? 5000);
  // A refused connection at the final flush is final: nothing is left to give up on.
  const refused = mode.kind === 'down';
  test(`SIGTERM with a ${name} collector and telemetry in flight: the process ends within the bound (${bound} ms)${refused ? ', the refusal ending the flush' : ' and says it gave up'}`, async () => {
    const col = await collector(mode as CollectorMode);
    const app = await startApp({
      OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      ...(timeout ? { WUNDR_OTEL_SHUTDOWN_TIMEOUT: timeout } : {}),
    });
    await runLoad(app.port, { durationMs: 800, concurrency: 2, path: '/spans?n=20' });
    if (mode.kind === 'hang') await col.receiver.waitFor(() => col.hanging() > 0, 5000, 'an export held by the collector');
    const { ms, signal } = await terminate(app);
    console.log(`${name} collector, bound ${bound} ms: ended ${ms} ms after SIGTERM`);
    assert.equal(signal, 'SIGTERM', 'the signal is re-raised: the process ends as it would have');
    assert.ok(ms <= bound + 1500, `ended ${ms} ms after SIGTERM (bound ${bound} ms)`);
    if (refused) {
      assert.doesNotMatch(app.child.stderr(), /shutdown did not finish/);
      assert.match(app.child.stderr(), /ECONNREFUSED/, 'the failed export is reported');
    } else assert.match(app.child.stderr(), new RegExp(`shutdown did not finish within ${bound} ms; unsent telemetry was dropped`));
  });
}

test('SIGTERM under load with a healthy collector: every span and log record ended before the signal arrives, metrics too', async () => {
  const col = await collector({ kind: 'up' });
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
    // Nothing leaves on a timer: only the shutdown flush can deliver.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    OTEL_BLRP_SCHEDULE_DELAY: '600000',
    OTEL_BSP_MAX_QUEUE_SIZE: '50000',
    OTEL_BLRP_MAX_QUEUE_SIZE: '50000',
    OTEL_METRICS_EXPORTER: 'prometheus,otlp',
    OTEL_METRIC_EXPORT_INTERVAL: '600000',
  });
  // Phase 1: load, then quiet. Every span of it must arrive: exact count.
  const p1 = await runLoad(app.port, { durationMs: 800, concurrency: 2, path: '/spans?n=5&tag=p1' });
  const p1Produced = p1.requests * 5;
  // Phase 2: SIGTERM while requests are still coming in. Spans acknowledged
  // before the signal must arrive; those after it may or may not.
  let acked = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      try {
        await request(app.port, '/spans?n=5&tag=p2', { timeoutMs: 2000 });
        if (!stop) acked += 5;
      } catch {
        return;
      }
    }
  };
  const loops = [loop(), loop()];
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  const ackedAtSignal = acked;
  const { ms, signal } = await terminate(app);
  await Promise.all(loops);

  const spans = col.receiver.spans();
  const p1Got = spans.filter((s) => s.name.startsWith('p1-'));
  const p2Got = spans.filter((s) => s.name.startsWith('p2-'));
  const logsP1 = col.receiver.logs().filter((l) => JSON.stringify(l.attributes).includes('"p1"'));
  const logsP2 = col.receiver.logs().filter((l) => JSON.stringify(l.attributes).includes('"p2"'));
  console.log(
    `graceful stop: ${ms} ms after SIGTERM; phase 1 spans produced ${p1Produced}, received ${p1Got.length}, logs ${logsP1.length}; ` +
      `phase 2 acknowledged before the signal ${ackedAtSignal}, spans received ${p2Got.length}, logs ${logsP2.length}; metrics ${col.receiver.metrics().length}`,
  );
  assert.equal(signal, 'SIGTERM');
  assert.ok(ms < 5000, `within the shutdown timeout: ${ms} ms`);
  assert.doesNotMatch(app.child.stderr(), /did not finish/);
  assert.equal(p1Got.length, p1Produced, 'produced == received');
  assert.equal(new Set(p1Got.map((s) => s.name)).size, p1Produced, 'no duplicates');
  assert.equal(logsP1.length, p1Produced, 'every log record too');
  assert.ok(p2Got.length >= ackedAtSignal, `in flight at the signal: ${p2Got.length} >= ${ackedAtSignal}`);
  assert.ok(logsP2.length >= ackedAtSignal);
  assert.ok(col.receiver.metrics().length > 0, 'the final metric collection was pushed');
});

test('crash path: an uncaught exception still flushes spans and logs, then the process exits 1 with the error on stderr', async () => {
  const col = await collector({ kind: 'up' });
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    OTEL_BLRP_SCHEDULE_DELAY: '600000',
  });
  await request(app.port, '/spans?n=7&tag=crash');
  const t = Date.now();
  await request(app.port, '/crash');
  const { code } = await app.child.exited(15000);
  const ms = Date.now() - t;
  assert.equal(code, 1, 'Node\'s exit code for an uncaught exception');
  assert.match(app.child.stderr(), /Error: host app bug\n\s+at /);
  assert.match(app.child.stderr(), /Node\.js v\d+/);
  assert.ok(ms < 4000, `ended ${ms} ms after the crash`);
  const names = col.receiver.spans().map((s) => s.name);
  assert.equal(names.filter((n) => n.startsWith('crash-')).length, 7);
  assert.ok(names.includes('before-crash'));
  assert.ok(col.receiver.logs().some((l) => l.body === 'about to crash'), 'the last log record was flushed');
  assert.match(app.child.stdout(), /"message":"about to crash"/, 'and its stdout line written');
});

test('crash path: a handler that throws synchronously: its SERVER span arrives, ended with the exception', async () => {
  const col = await collector({ kind: 'up' });
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_BLRP_SCHEDULE_DELAY: '600000' });
  await assert.rejects(request(app.port, '/throw'));
  const { code } = await app.child.exited(15000);
  assert.equal(code, 1);
  assert.match(app.child.stderr(), /Error: handler bug/);
  const spans = col.receiver.spans();
  const server = spans.find((s) => s.kind === 2 && s.attributes['url.path'] === '/throw');
  assert.ok(server, `the request's SERVER span was exported (got ${spans.map((s) => s.name).join(', ')})`);
  assert.equal(server.status.code, 2);
  assert.match(server.status.message, /uncaught exception: handler bug/);
  assert.equal(server.attributes['error.type'], 'Error');
  assert.equal(server.attributes['http.response.status_code'], undefined, 'no response was sent');
  assert.ok(server.events.some((e) => e.name === 'exception' && e.attributes['exception.message'] === 'handler bug'));
});

test('crash path: an unhandled rejection is flushed the same way, exit code 1', async () => {
  const col = await collector({ kind: 'up' });
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_LOGS_EXPORTER: 'none' });
  await request(app.port, '/reject');
  const { code } = await app.child.exited(15000);
  assert.equal(code, 1);
  assert.match(app.child.stderr(), /rejected host bug/);
  assert.ok(col.receiver.spans().some((s) => s.name === 'before-reject'));
});

test('crash path: a host with its own uncaughtException handler keeps control and its exit code (3) stands; the span still arrives', async () => {
  const col = await collector({ kind: 'up' });
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_LOGS_EXPORTER: 'none', HOST_UNCAUGHT: '1' });
  await request(app.port, '/crash');
  const { code } = await app.child.exited(15000);
  assert.equal(code, 3);
  assert.match(app.child.stdout(), /host caught host app bug/);
  assert.doesNotMatch(app.child.stderr(), /host app bug/, 'the host decided not to print it');
  assert.ok(col.receiver.spans().some((s) => s.name === 'before-crash'));
});

test('an unwritable stdout (reader gone, EPIPE): the app keeps serving and spans keep arriving', async () => {
  const col = await collector({ kind: 'up' });
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_BSP_SCHEDULE_DELAY: '100' });
  app.child.proc.stdout!.destroy();
  for (let i = 0; i < 5; i++) assert.equal((await request(app.port, '/spans?n=50&tag=epipe')).body, '50');
  assert.equal((await request(app.port, '/')).body, 'ok');
  await col.receiver.waitFor(() => col.receiver.spans().filter((s) => s.name.startsWith('epipe-')).length === 250, 10000, 'spans after EPIPE');
  assert.equal(app.child.proc.exitCode, null, 'still running');
  await eventually(async () => assert.match(app.child.stderr(), /log lines cannot be written to their output \(EPIPE\)/));
  assert.equal(app.child.stderr().match(/cannot be written to their output/g)!.length, 1, 'one warning, not one per line');
  assert.doesNotMatch(app.child.stderr(), /Unhandled|uncaught|Error:/i);
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('stdout on a full disk (/dev/full, ENOSPC): the app keeps serving, spans keep arriving', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async () => {
  const col = await collector({ kind: 'up' });
  const metricsPort = await freePort();
  // The fixture's own "listening" line goes to /dev/full too: give it its port.
  const appPort = await freePort();
  const full = openSync('/dev/full', 'w');
  const proc = spawn(NODE, ['--require', '@wundr/otel/register', path.join(RELIABILITY_FIXTURES, 'loadapp.cjs')], {
    cwd: ROOT,
    env: cleanEnv({
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ALERTING_ENABLED: 'false',
      APP_PORT: String(appPort),
    }),
    stdio: ['ignore', full, 'pipe'],
  });
  closeSync(full);
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    await eventually(() => request(appPort, '/'));
    for (let i = 0; i < 5; i++) assert.equal((await request(appPort, '/spans?n=40&tag=enospc')).body, '40');
    await col.receiver.waitFor(() => col.receiver.spans().filter((s) => s.name.startsWith('enospc-')).length === 200, 10000, 'spans with stdout on a full disk');
    assert.equal(proc.exitCode, null, 'still running');
    assert.match(err, /writing log lines failed \(ENOSPC\)/, 'one warning names the failure');
    assert.equal((err).match(/writing log lines failed/g)!.length, 1, 'once, not per write');
    assert.doesNotMatch(err, /Unhandled|uncaught|Error:/i);
  } finally {
    proc.kill('SIGKILL');
  }
});

test('every OTLP/HTTP exporter (traces, logs, metrics; protobuf and JSON) is built with the retrying transport whose timer is unref()ed', () => {
  for (const [id, name] of OTLP_HTTP_EXPORTERS) {
    const Exporter = (require(id) as Record<string, new (o: object) => { shutdown(): Promise<void> }>)[name];
    const exporter = new Exporter({ url: 'http://127.0.0.1:9/v1/x' });
    assert.equal(unrefRetryTimers(exporter), true, id);
    void exporter.shutdown();
  }
  assert.equal(unrefRetryTimers({}), false);
});

// The stock pipeline (SDK batch processors, also http/json) and the package's encoder: the
// processors' ref()ed export timer must not hold a batch that waits to retry (BoundedExporter).
for (const encoder of ['wundr', 'stock'] as const) {
  test(`a finished program with a refusing collector ends within the bound: the retry backoff does not hold it (${encoder} pipeline)`, async () => {
    const col = await collector({ kind: 'down' });
    const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', WUNDR_OTEL_OTLP_ENCODER: encoder });
    await request(app.port, '/spans?n=10&tag=finishing');
    // The first attempts are refused at once; the exporters now wait 1-5 s before each retry.
    await new Promise((r) => setTimeout(r, 1500));
    const t = Date.now();
    await request(app.port, '/exit?code=5');
    const { code } = await app.child.exited(30000);
    const ms = Date.now() - t;
    console.log(`finished program, refusing collector (${encoder}): ended ${ms} ms after its last request`);
    assert.equal(code, 5, 'the exit code the app set');
    // At most the 5 s shutdown bound after the program's end. Without unref()ed retry timers: about 15 s
    // (each batch retried until the OTLP timeout, 10 s, before the program was seen to end).
    assert.ok(ms <= 5000 + 2500, `ended ${ms} ms after its last request`);
    assert.doesNotMatch(app.child.stderr(), /shutdown did not finish/, 'the refusal ended the final flush');
  });
}

test('a finished program with a hanging collector ends within the bound, with its own exit code (an export in flight does not hold it)', async () => {
  const col = await collector({ kind: 'hang' });
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100' });
  await request(app.port, '/spans?n=10&tag=finishing');
  await col.receiver.waitFor(() => col.hanging() > 0, 5000, 'an export held by the collector');
  const t = Date.now();
  await request(app.port, '/exit?code=5');
  const { code } = await app.child.exited(30000);
  const ms = Date.now() - t;
  console.log(`finished program, hanging collector: ended ${ms} ms after its last request`);
  assert.equal(code, 5, 'the exit code the app set');
  // 2 s until the batch processors are let go (src/sdk/BoundedExporter.ts), then the 5 s shutdown bound.
  // Without it: about 20 s (the OTLP timeout, 10 s, once per batch in flight or waiting).
  assert.ok(ms <= 2000 + 5000 + 3000, `ended ${ms} ms after its last request`);
  assert.match(app.child.stderr(), /shutdown did not finish within 5000 ms/);
});

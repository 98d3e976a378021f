/**
 * The database instrumentations named in OTEL_NODE_ENABLED_INSTRUMENTATIONS,
 * against real servers from Debian's packages (redis-server, postgresql)
 * started here on 127.0.0.1, with a preloaded child app and a real OTLP
 * receiver. Without the server binaries these tests are skipped with the
 * reason printed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.ts';
import { ROOT, freePort, request, runChild, eventually, type Child } from '../support/child.ts';
import { postgresBinDir, redisServerBinary, startPostgres, startRedis, type DbServer } from '../support/dbServers.ts';
import { createDatabaseInstrumentation, InstrumentationNotInstalledError, loadOptional } from '../../src/sdk/databases.ts';

const FIX = path.join(ROOT, 'test', 'instrument', 'fixtures');
const redisBin = redisServerBinary();
const pgDir = postgresBinDir();
const skipReason = [redisBin.reason, pgDir.reason].filter(Boolean).join('; ');
if (skipReason) process.stdout.write(`# database tests skipped: ${skipReason}\n`);

let receiver: OtlpReceiver;
let redis: DbServer | undefined;
let pg: DbServer | undefined;
const children: Child[] = [];

before(async () => {
  receiver = await startOtlpReceiver();
  if (skipReason) return;
  [redis, pg] = await Promise.all([startRedis(redisBin.bin!), startPostgres(pgDir.dir!)]);
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all([redis?.stop(), pg?.stop()]);
  await receiver?.close();
});

async function startApp(env: Record<string, string>, flag: '--require' | '--import' = '--require'): Promise<{ child: Child; appPort: number }> {
  const metricsPort = await freePort();
  const child = runChild({
    args: [flag, '@wundr/otel/register', path.join(FIX, flag === '--require' ? 'db.cjs' : 'db.mjs')],
    env: {
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_LOGS_EXPORTER: 'none',
      REDIS_PORT: String(redis!.port),
      PG_PORT: String(pg!.port),
      ...env,
    },
  });
  children.push(child);
  const m = await child.waitForOutput(/listening (\d+)/, 30000);
  await eventually(() => request(metricsPort, '/live'));
  return { child, appPort: Number(m[1]) };
}

const mine = (child: Child) => (s: ReceivedSpan) => s.resource['process.pid'] === child.proc.pid;

for (const flag of ['--require', '--import'] as const) {
test(`${flag}, named: pg, ioredis and redis spans are children of the request span, with the database semantic conventions`, { skip: skipReason || false }, async () => {
  const { child, appPort } = await startApp({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,ioredis,redis', OTEL_SERVICE_NAME: `db-on${flag}` }, flag);
  assert.equal((await request(appPort, '/redis')).body, '12');
  assert.equal((await request(appPort, '/pg')).body, '42');
  const spans = () => receiver.spans().filter(mine(child));
  await receiver.waitFor(
    () => {
      const s = spans();
      return s.some((x) => x.scope.name.includes('instrumentation-pg') && x.attributes['db.query.text'] !== undefined) &&
        s.filter((x) => x.scope.name.includes('instrumentation-ioredis')).length >= 2 &&
        s.filter((x) => x.scope.name.includes('instrumentation-redis')).length >= 2;
    },
    20000,
    'pg, ioredis and redis client spans',
  );
  const all = spans();
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const server = (s: ReceivedSpan) => {
    for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) if (p.kind === 2) return p;
    return undefined;
  };

  const pgQuery = all.find((s) => s.scope.name.includes('instrumentation-pg') && s.attributes['db.query.text'] !== undefined)!;
  assert.equal(pgQuery.kind, 3, 'CLIENT');
  assert.equal(pgQuery.attributes['db.system.name'] ?? pgQuery.attributes['db.system'], 'postgresql');
  assert.equal(pgQuery.attributes['db.query.text'], 'SELECT $1::int AS n');
  assert.equal(pgQuery.attributes['server.port'], pg!.port);
  assert.equal(server(pgQuery)?.attributes['url.path'], '/pg', 'the pg span is under the /pg request');

  for (const scope of ['instrumentation-ioredis', 'instrumentation-redis']) {
    const cmds = all.filter((s) => s.scope.name.includes(scope));
    const names = cmds.map((s) => String(s.attributes['db.operation.name'] ?? s.name).toLowerCase());
    assert.ok(names.some((n) => n.includes('set')) && names.some((n) => n.includes('get')), `${scope}: SET and GET (${names.join(',')})`);
    for (const c of cmds) {
      assert.equal(c.kind, 3, `${scope}: CLIENT`);
      assert.equal(c.attributes['db.system.name'] ?? c.attributes['db.system'], 'redis');
      assert.equal(c.attributes['server.port'], redis!.port);
      assert.equal(server(c)?.attributes['url.path'], '/redis', `${scope}: under the /redis request`);
    }
  }
  child.kill('SIGKILL');
});
}

test('not named: no database spans (they are off by default), the app works the same', { skip: skipReason || false }, async () => {
  const { child, appPort } = await startApp({ OTEL_SERVICE_NAME: 'db-off' });
  assert.equal((await request(appPort, '/redis')).body, '12');
  assert.equal((await request(appPort, '/pg')).body, '42');
  await receiver.waitFor(
    () => receiver.spans().filter(mine(child)).filter((s) => s.kind === 2).length >= 2,
    20000,
    'the two server spans',
  );
  const db = receiver.spans().filter(mine(child)).filter((s) => /instrumentation-(pg|ioredis|redis)/.test(s.scope.name));
  assert.deepEqual(db, []);
  child.kill('SIGKILL');
});

test('OTEL_NODE_DISABLED_INSTRUMENTATIONS wins over the enabled list', { skip: skipReason || false }, async () => {
  const { child, appPort } = await startApp({
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,ioredis',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
    OTEL_SERVICE_NAME: 'db-disabled',
  });
  assert.equal((await request(appPort, '/pg')).body, '42');
  assert.equal((await request(appPort, '/redis')).body, '12');
  await receiver.waitFor(
    () => receiver.spans().filter(mine(child)).some((s) => s.scope.name.includes('instrumentation-ioredis')),
    20000,
    'ioredis spans',
  );
  const spans = receiver.spans().filter(mine(child));
  assert.ok(!spans.some((s) => s.scope.name.includes('instrumentation-pg')), 'pg was disabled');
  assert.ok(!spans.some((s) => s.scope.name.includes('instrumentation-redis') && !s.scope.name.includes('ioredis')), 'redis was not named');
  child.kill('SIGKILL');
});

test('a named instrumentation whose package is missing: one clear error naming what to install', () => {
  const missing = (id: string) => {
    const e = new Error(`Cannot find module '${id}'`) as NodeJS.ErrnoException;
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  };
  assert.throws(() => createDatabaseInstrumentation('pg', missing), (err: Error) => {
    assert.ok(err instanceof InstrumentationNotInstalledError);
    assert.match(err.message, /pg is named in OTEL_NODE_ENABLED_INSTRUMENTATIONS, but @opentelemetry\/instrumentation-pg is not installed \(npm install @opentelemetry\/instrumentation-pg\)/);
    return true;
  });
  // A package that is there but broken keeps its own error.
  const broken = () => {
    throw new SyntaxError('Unexpected token');
  };
  assert.throws(() => loadOptional('pg', '@opentelemetry/instrumentation-pg', broken), SyntaxError);
  // Installed here (devDependencies): each builds.
  for (const name of ['pg', 'ioredis', 'redis'] as const) {
    const inst = createDatabaseInstrumentation(name);
    assert.match(inst.instrumentationName, new RegExp(`instrumentation-${name}$`));
    inst.disable();
  }
});

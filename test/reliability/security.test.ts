/**
 * Security, through the preload in child processes: the endpoint's bind
 * host and bearer token, no secret or environment value on /health, /ready,
 * /metrics, stderr or in exported telemetry, `wundr-otel doctor` masking,
 * redaction of secret-looking keys in log metadata and span attributes with
 * the same list at depth, and no request header or body values recorded.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { ROOT, freePort, request, runChild, eventually } from '../support/child.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { killAll, startApp, RELIABILITY_FIXTURES } from './support/app.ts';

let receiver: OtlpReceiver | undefined;
after(async () => {
  killAll();
  await receiver?.close();
});
async function rx(): Promise<OtlpReceiver> {
  return (receiver ??= await startOtlpReceiver());
}

const TOKEN = 'canary-tok-2222-abcdefghijklmnop';
const CANARIES = {
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20canary-hdr-1111,x-tenant=canary-hdr-tenant',
  WUNDR_OTEL_ENDPOINT_TOKEN: TOKEN,
  WUNDR_OTEL_ADMIN_TOKEN: 'canary-adm-3333',
  SOME_APP_SECRET: 'canary-env-4444',
  DATABASE_URL: 'postgres://user:canary-pw-5555@db.internal/app',
  // Every other secret-bearing variable: per-signal headers (one malformed, so a warning quotes it) and webhooks.
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-trace-key=canary-hdr-t1,broken-canary-hdr-t2',
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-metrics-key=canary-hdr-m1',
  OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-logs-key=canary-hdr-l1,bad%0D%0Acanary-hdr-l2=x',
  ALERTING_WEBHOOK_URL: 'http://127.0.0.1:9/services/T000/B000/canary-hook-path,http://u:canary-hook-pw@127.0.0.1:9/x?token=canary-hook-q',
};
const CANARY_MARKS = ['canary-hdr', 'canary-tok', 'canary-adm', 'canary-env', 'canary-pw', 'canary-hook', 'should-not-appear'];

function getFrom(host: string, port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: p, agent: false, timeout: 3000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

test('bearer token (WUNDR_OTEL_ENDPOINT_TOKEN): missing, wrong, wrong length, other scheme -> 401; right -> 200; /live stays open', async () => {
  const app = await startApp({ WUNDR_OTEL_ENDPOINT_TOKEN: TOKEN, OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
  const wrongSameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('p') ? 'q' : 'p');
  for (const p of ['/metrics', '/health', '/ready']) {
    for (const [what, headers] of [
      ['no header', {}],
      ['wrong token, same length', { authorization: `Bearer ${wrongSameLength}` }],
      ['wrong token, shorter', { authorization: 'Bearer x' }],
      ['wrong token, a prefix', { authorization: `Bearer ${TOKEN.slice(0, 10)}` }],
      ['token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }],
      ['lower-case scheme', { authorization: `bearer ${TOKEN}` }],
      ['empty bearer', { authorization: 'Bearer ' }],
    ] as const) {
      const r = await request(app.metricsPort, p, { headers });
      assert.equal(r.status, 401, `${p} with ${what}`);
      assert.equal(r.headers['www-authenticate'], 'Bearer');
      // OTEL_TRACES_EXPORTER=none here: the answer still names a trace id.
      assert.match(String(r.headers['x-trace-id']), /^[0-9a-f]{32}$/);
      assert.ok(!r.body.includes(TOKEN.slice(0, 12)), 'the 401 never echoes the token');
    }
    const ok = await request(app.metricsPort, p, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.ok(ok.status === 200 || (p !== '/metrics' && ok.status === 503), `${p} with the token: ${ok.status}`);
  }
  assert.equal((await request(app.metricsPort, '/live')).status, 200, '/live needs no token');
  // State-changing route: the admin token defaults to the endpoint token; a reader without it is refused.
  const post = await request(app.metricsPort, '/loglevel', { method: 'POST', body: '{"level":"debug"}', headers: { 'content-type': 'application/json' } });
  assert.equal(post.status, 401, 'POST /loglevel without the token');
  const postWrong = await request(app.metricsPort, '/loglevel', { method: 'POST', body: '{"level":"debug"}', headers: { 'content-type': 'application/json', authorization: `Bearer ${wrongSameLength}` } });
  assert.equal(postWrong.status, 401, 'POST /loglevel with a wrong token');
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('METRICS_HOST: the endpoint listens on the configured address only', { skip: process.platform !== 'linux' && 'needs 127.0.0.2 (Linux loopback /8)' }, async () => {
  const port = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', path.join(RELIABILITY_FIXTURES, 'loadapp.cjs')],
    env: { METRICS_HOST: '127.0.0.2', METRICS_PORT: String(port), OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ALERTING_ENABLED: 'false' },
  });
  try {
    await child.waitForOutput(/listening (\d+)/);
    assert.equal(await eventually(() => getFrom('127.0.0.2', port, '/live')), 200);
    await assert.rejects(getFrom('127.0.0.1', port, '/live'), /ECONNREFUSED/);
  } finally {
    child.kill('SIGKILL');
    await child.exited();
  }
});

test('no secret or environment value on /health, /ready, /metrics, /live, stderr, stdout or in exported telemetry', async () => {
  const r = await rx();
  // The collector URL carries credentials too (userinfo): the receiver ignores them.
  const withUserinfo = r.url.replace('http://', 'http://otel:canary-pw-otlp@');
  const app = await startApp({ ...CANARIES, ALERTING_ENABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: withUserinfo, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'canary-check' });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const bodies: string[] = [];
  // Every route, with and without the token, and what answers an unknown path or method.
  for (const p of ['/health', '/ready', '/metrics', '/live', '/loglevel', '/alerts', '/nope', '/health?x=1']) {
    for (const headers of [auth, {}]) {
      const res = await request(app.metricsPort, p, { headers });
      bodies.push(`${p} ${res.status} ${JSON.stringify(res.headers)} ${res.body}`);
    }
  }
  for (const method of ['OPTIONS', 'POST', 'DELETE']) {
    const res = await request(app.metricsPort, '/loglevel', { method, headers: { ...auth, 'content-type': 'application/json' }, body: method === 'POST' ? '{"level":"info"}' : undefined });
    bodies.push(`${method} /loglevel ${res.status} ${JSON.stringify(res.headers)} ${res.body}`);
  }
  await request(app.port, '/');
  await r.waitFor(() => r.spans().some((s) => s.resource['service.name'] === 'canary-check'), 10000, 'a span');
  await r.waitFor(() => r.logs().some((l) => l.resource['service.name'] === 'canary-check'), 10000, 'a log record');
  const exported = JSON.stringify([
    r.spans().filter((s) => s.resource['service.name'] === 'canary-check'),
    r.logs().filter((l) => l.resource['service.name'] === 'canary-check'),
  ]);
  const everything = [...bodies, exported, app.child.stderr(), app.child.stdout()].join('\n');
  assert.match(app.child.stderr(), /OTEL_EXPORTER_OTLP_TRACES_HEADERS/, 'the malformed header variable was warned about');
  for (const c of CANARY_MARKS) {
    assert.ok(!everything.includes(c), `${c} leaked:\n${everything.split('\n').find((l) => l.includes(c))?.slice(0, 400)}`);
  }
  // The exporter did send the configured header (masked is not the same as dropped).
  assert.ok(r.requests().some((q) => q.headers['x-tenant'] === 'canary-hdr-tenant'));
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('wundr-otel doctor masks OTLP header values, tokens and webhook URLs', async () => {
  const c = runChild({ args: [path.join(ROOT, 'build', 'src', 'cli.js'), 'doctor', '--timeout-ms', '1000'], env: { ...CANARIES, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' } });
  await c.exited(20000);
  const out = c.stdout() + c.stderr();
  assert.match(out, /OTEL_EXPORTER_OTLP_HEADERS/, 'doctor did run and list the variable');
  assert.match(out, /ALERTING_WEBHOOK_URL/);
  for (const x of CANARY_MARKS) assert.ok(!out.includes(x), `${x} shown by doctor:\n${out.split('\n').filter((l) => l.includes(x)).join('\n')}`);
});

test('redaction at depth: log metadata and span attributes (and span events) follow the same LOG_REDACT_KEYS list', async () => {
  const r = await rx();
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: r.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_SERVICE_NAME: 'redaction-check',
    // A custom list replaces the defaults: `password` is NOT on it, in logs or spans.
    LOG_REDACT_KEYS: 'authorization, X-API-KEY, session_secret',
  });
  await request(app.port, '/redact');
  const mine = () => r.spans().filter((s) => s.resource['service.name'] === 'redaction-check' && s.name === 'redaction-probe');
  const myLogs = () => r.logs().filter((l) => l.resource['service.name'] === 'redaction-check' && l.body === 'redaction probe');
  await r.waitFor(() => mine().length === 1 && myLogs().length === 1, 10000, 'the probe span and log record');
  const span = mine()[0]!;
  assert.equal(span.attributes['wundr.session_secret'], '[REDACTED]');
  assert.equal(span.attributes['http.request.header.x-api-key'], '[REDACTED]');
  assert.equal(span.attributes['llm.authorization'], '[REDACTED]');
  assert.equal(span.attributes['wundr.user.password'], 'kept-password-span', 'not on the custom list');
  assert.equal(span.attributes['ok'], 'visible');
  assert.equal(span.attributes['gen_ai.usage.input_tokens'], 12);
  assert.equal(span.events[0]!.attributes['sessionSecret'], '[REDACTED]');
  assert.equal(span.events[0]!.attributes['user'], 'u1');
  const exportedSpan = JSON.stringify(span);
  const record = JSON.stringify(myLogs()[0]);
  const line = app.child.stdout().split('\n').find((l) => l.includes('redaction probe')) ?? '';
  for (const [where, text] of [['span', exportedSpan], ['log record', record], ['stdout line', line]] as const) {
    assert.ok(!/canary-/.test(text), `${where} leaks: ${text.slice(0, 600)}`);
  }
  for (const [where, text] of [['log record', record], ['stdout line', line]] as const) {
    assert.match(text, /kept-password-log/, `${where}: password is not on the custom list`);
    assert.match(text, /visible/);
    assert.ok((text.match(/\[REDACTED\]/g) ?? []).length >= 3, `${where}: authorization, X-Api-Key and the depth-4 sessionSecret`);
  }
  app.child.kill('SIGKILL');
  await app.child.exited();
});

for (const mode of ['diagnostics_channel', 'instrumentation'] as const) test(`no request header or body values are recorded by default (HTTP semantic conventions only; server spans: ${mode})`, async () => {
  const r = await rx();
  const service = `headers-check-${mode}`;
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: r.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_LOGS_EXPORTER: 'none', OTEL_SERVICE_NAME: service, WUNDR_OTEL_HTTP_SERVER_SPANS: mode });
  await new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: app.port,
        path: '/?q=visible-query&token=canary-query-9999&API_KEY=canary-query-2',
        method: 'POST',
        agent: false,
        headers: { authorization: 'Bearer canary-http-6666', cookie: 'sid=canary-cookie-7777', 'x-custom': 'canary-custom', 'content-type': 'text/plain' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end('canary-body-8888');
  });
  const isServer = (s: { resource: Record<string, unknown>; kind: number; scope: { name: string } }) =>
    s.resource['service.name'] === service && s.kind === 2 && s.scope.name === (mode === 'instrumentation' ? '@opentelemetry/instrumentation-http' : '@wundr/otel/http');
  await r.waitFor(() => r.spans().some(isServer), 10000, 'the server span');
  const server = r.spans().find(isServer)!;
  const text = JSON.stringify(r.spans().filter((s) => s.resource['service.name'] === service));
  if (mode === 'instrumentation') assert.equal(server.attributes['url.query'], 'q=visible-query&token=REDACTED&API_KEY=REDACTED', 'listed query parameters are redacted');
  else assert.equal(server.attributes['url.query'], undefined, 'the query string is not recorded at all');
  for (const c of ['canary-http', 'canary-cookie', 'canary-custom', 'canary-body', 'canary-query']) assert.ok(!text.includes(c), `${c} recorded: ${text.slice(0, 600)}`);
  assert.ok(!Object.keys(server.attributes).some((k) => k.startsWith('http.request.header.')), Object.keys(server.attributes).join(', '));
  assert.equal(server.attributes['http.request.method'], 'POST');
  console.log(`server span attributes: ${Object.keys(server.attributes).sort().join(', ')}`);
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('in process: a span with the keys of the previous clean span, plus or minus one, is still redacted key by key', async () => {
  const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { RedactingSpanProcessor } = await import('../../src/sdk/RedactingSpanProcessor.ts');
  const { DEFAULT_REDACT_KEYS } = await import('../../src/config.ts');
  const mem = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new RedactingSpanProcessor(DEFAULT_REDACT_KEYS), new SimpleSpanProcessor({ exporter: mem })] }).getTracer('t');
  const shapes: Record<string, unknown>[] = [
    { 'http.request.method': 'GET', 'url.path': '/a' },
    { 'http.request.method': 'GET', 'url.path': '/b' },
    { 'http.request.method': 'GET', 'url.path': '/c', 'user.api_key': 'canary-1' },
    { 'http.request.method': 'GET', 'url.path': '/c', 'user.api_key': 'canary-1b' },
    { 'http.request.method': 'GET', 'url.path': '/d' },
    { 'http.request.method': 'GET', 'url.full': 'https://h/?token=canary-2' },
    { 'http.request.method': 'GET', 'url.full': 'https://h/?token=canary-3' },
    { 'url.path': '/e', 'http.request.method': 'GET' },
    { 'http.request.method': 'GET' },
    { 'http.request.method': 'GET', password: 'canary-4' },
    { 'http.request.method': 'GET', 'url.path': '/f' },
    { 'http.request.method': 'GET', 'url.path': '/g' },
  ];
  for (const attributes of shapes) {
    const span = tracer.startSpan('s');
    span.setAttributes(attributes as never);
    span.end();
  }
  const got = mem.getFinishedSpans().map((s) => s.attributes);
  assert.equal(got.length, shapes.length);
  assert.ok(!JSON.stringify(got).includes('canary'), JSON.stringify(got));
  assert.equal(got[2]!['user.api_key'], '[REDACTED]');
  assert.equal(got[3]!['user.api_key'], '[REDACTED]');
  assert.equal(got[6]!['url.full'], 'https://h/?token=REDACTED');
  assert.equal(got[9]!['password'], '[REDACTED]');
  assert.equal(got[11]!['url.path'], '/g');
});

test('in process: the span redaction rule (key or any dotted segment; events and links; query parameters in URLs)', async () => {
  const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { RedactingSpanProcessor } = await import('../../src/sdk/RedactingSpanProcessor.ts');
  const { DEFAULT_REDACT_KEYS } = await import('../../src/config.ts');
  const mem = new InMemorySpanExporter();
  const tp = new TracerProvider({ spanProcessors: [new RedactingSpanProcessor(DEFAULT_REDACT_KEYS), new SimpleSpanProcessor({ exporter: mem })] });
  const link = { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }, attributes: { 'peer.Api-Key': 'canary-link', 'peer.name': 'p' } };
  const span = tp.getTracer('t').startSpan('s', { links: [link], attributes: { Authorization: 'canary-1', 'a.b.c.d.client_secret': 'canary-2', 'gen_ai.usage.output_tokens': 5, 'tokens.count': 3 } });
  span.setAttributes({
    'http.request.header.cookie': ['canary-3', 'canary-4'],
    'url.full': 'https://h/p?user=u&access_token=canary-5&x=1#frag',
    'url.query': 'password=canary-6&page=2',
    'http.target': '/p?Refresh-Token=canary-7',
    'db.statement': 'select 1',
  });
  span.addEvent('e', { 'user.PASSWORD': 'canary-8', ok: true });
  span.end();
  await tp.forceFlush();
  const got = mem.getFinishedSpans()[0]!;
  assert.ok(!JSON.stringify({ a: got.attributes, e: got.events, l: got.links }).includes('canary'), JSON.stringify(got.attributes));
  assert.equal(got.attributes['Authorization'], '[REDACTED]');
  assert.equal(got.attributes['a.b.c.d.client_secret'], '[REDACTED]');
  assert.equal(got.attributes['http.request.header.cookie'], '[REDACTED]');
  assert.equal(got.attributes['url.full'], 'https://h/p?user=u&access_token=REDACTED&x=1#frag');
  assert.equal(got.attributes['url.query'], 'password=REDACTED&page=2');
  assert.equal(got.attributes['http.target'], '/p?Refresh-Token=REDACTED');
  assert.equal(got.attributes['gen_ai.usage.output_tokens'], 5, '"output_tokens" is not "token"');
  assert.equal(got.attributes['tokens.count'], 3, '"tokens" is not "token"');
  assert.equal(got.attributes['db.statement'], 'select 1');
  assert.equal(got.events[0]!.attributes!['ok'], true);
  assert.equal(got.links[0]!.attributes!['peer.Api-Key'], '[REDACTED]');
  assert.equal(got.links[0]!.attributes!['peer.name'], 'p');
  await tp.shutdown();
});

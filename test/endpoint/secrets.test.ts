/**
 * Credentials never reach a reader: /health (no token needed) shows check
 * errors, metadata and the daemon's subsystem errors without URL userinfo,
 * secret query parameters or secret key=value pairs; doctor and the webhook
 * sender show a webhook's origin only; config warnings never keep a secret
 * variable's raw value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { HealthChecker } from '../../src/health/HealthChecker.ts';
import { healthRoutes } from '../../src/health/routes.ts';
import { scrubText, scrubValue, webhookUrlForDisplay } from '../../src/logging/scrubText.ts';
import { loadConfig } from '../../src/config.ts';
import { doctorReport, effectiveConfigLines } from '../../src/cli/doctor.ts';
import { WebhookSender } from '../../src/alerting/WebhookSender.ts';
import { send } from './support.ts';

const CANARY = /canary/i;

test('scrubText: userinfo, secret query parameters, key=value and key: value of the redaction list', () => {
  const cases: [string, string][] = [
    ['connect failed postgres://app:canaryPW@db/x', 'connect failed postgres://[REDACTED]@db/x'],
    ['redis://:canary1@r:6379/0 down', 'redis://[REDACTED]@r:6379/0 down'],
    ['GET https://api.example/v1?access_token=canary2&page=2 -> 500', 'GET https://api.example/v1?access_token=[REDACTED]&page=2 -> 500'],
    ['https://bucket.s3/x?X-Amz-Signature=canary3&X-Amz-Date=1', 'https://bucket.s3/x?X-Amz-Signature=[REDACTED]&X-Amz-Date=1'],
    ['password=canary4 user=app', 'password=[REDACTED] user=app'],
    ['db.password: canary5; host: db', 'db.password: [REDACTED]; host: db'],
    ['{"apiKey":"canary6","n":1}', '{"apiKey":"[REDACTED]","n":1}'],
    ['Authorization: Bearer canary7', 'Authorization: [REDACTED]'],
    ['X-Api-Key=canary8', 'X-Api-Key=[REDACTED]'],
    ['client_secret=canary9&grant_type=x', 'client_secret=[REDACTED]&grant_type=x'],
    ['no secrets here: status=503 host=db', 'no secrets here: status=503 host=db'],
  ];
  for (const [input, want] of cases) assert.equal(scrubText(input), want, input);
  assert.deepEqual(scrubValue({ dsn: 'mysql://u:canary@h/d', password: 'canary', nested: [{ token: 1, ok: 'fine' }] }), {
    dsn: 'mysql://[REDACTED]@h/d',
    password: '[REDACTED]',
    nested: [{ token: '[REDACTED]', ok: 'fine' }],
  });
  assert.equal(webhookUrlForDisplay('https://hooks.slack.com/services/T0/B0/canaryPath'), 'https://hooks.slack.com/***');
  assert.equal(webhookUrlForDisplay('http://u:canary@am:9093/'), 'http://am:9093/***');
  assert.equal(webhookUrlForDisplay('http://am:9093/?token=canary'), 'http://am:9093/***');
  assert.equal(webhookUrlForDisplay('http://am:9093/'), 'http://am:9093/');
});

test('/health never shows credentials from check errors, check metadata or daemon subsystem errors', async (t) => {
  const h = new HealthChecker({ cacheMs: 0 });
  h.register('database', () => {
    throw new Error('connect failed postgres://app:canaryS3cretPW@db/x');
  });
  h.register('redis', () => ({ status: 'degraded', message: 'AUTH failed password=canaryRedis', metadata: { url: 'redis://:canaryMeta@r/0', apiKey: 'canaryKey', note: 'token: canaryNote' } }));
  h.setStatusProvider({
    getStatus: () => ({
      status: 'degraded',
      subsystems: { federation: { status: 'error', errors: ['https://peer/x?access_token=canaryFed', 'secret=canarySub'] } },
    }),
  } as never);
  const server = new EndpointServer({ host: '127.0.0.1', port: 0 });
  for (const r of healthRoutes(h)) server.addRoute(r);
  await server.start();
  t.after(() => server.stop());
  const r = await send(server.port!, 'GET', '/health');
  assert.ok(r.body.includes('postgres://[REDACTED]@db/x'), r.body);
  assert.ok(r.body.includes('access_token=[REDACTED]'), 'the subsystem error is there, scrubbed');
  assert.doesNotMatch(r.body, CANARY, r.body);
});

const SECRET_ENV = {
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=canaryA,broken-entry-canaryB',
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x=%E0%A4%A-canaryC',
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'bad-canaryD',
  OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'k=canaryE\r\nInjected: canaryF',
  WUNDR_OTEL_ENDPOINT_TOKEN: 'canaryTok',
  WUNDR_OTEL_ADMIN_TOKEN: 'canaryAdm',
  ALERTING_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/canarySlackPath,http://user:canaryPw@am:9093/api?token=canaryQ,not-a-url-canaryBad',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:canaryOtlpPw@127.0.0.1:9/?token=canaryOtlpQ',
};

test('config warnings never keep a secret variable\'s raw value (message or value field)', () => {
  const { warnings } = loadConfig(SECRET_ENV, { stdoutIsTTY: false });
  assert.ok(warnings.length >= 3, JSON.stringify(warnings));
  assert.doesNotMatch(JSON.stringify(warnings), CANARY);
});

test('doctor masks ALERTING_WEBHOOK_URL (path, userinfo, query) and every secret-bearing variable', async () => {
  const { text } = await doctorReport({ ...SECRET_ENV, METRICS_HOST: '127.0.0.1', METRICS_PORT: '9' }, 300);
  assert.doesNotMatch(text, CANARY, text.split('\n').filter((l) => CANARY.test(l)).join('\n'));
  assert.match(text, /hooks\.slack\.com\/\*\*\*/);
  const { config } = loadConfig({ ALERTING_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/canaryOnly' });
  assert.deepEqual(effectiveConfigLines(config).filter((l) => /webhook/i.test(l)), ['alerting.webhookUrls = https://hooks.slack.com/***']);
});

test('webhook sender warnings show the origin only', async (t) => {
  // A port with nothing listening: each attempt is refused at once.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const lines: string[] = [];
  const logger = { error: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), info: () => {}, debug: () => {}, verbose: () => {} };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  t.after(() => diag.disable());
  const w = new WebhookSender();
  w.send({ url: `http://user:canaryPw@127.0.0.1:${port}/services/T/B/canaryPath?token=canaryQ`, retries: 0, timeoutMs: 500 }, []);
  await w.flush();
  assert.equal(w.stats.failed, 1);
  assert.ok(lines.some((l) => l.includes(`127.0.0.1:${port}/***`)), lines.join('\n'));
  assert.doesNotMatch(lines.join('\n'), CANARY);
});

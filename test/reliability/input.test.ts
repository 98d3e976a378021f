/**
 * Bad input: every configuration variable with hostile values, propagation
 * carriers from the network (HTTP/federation headers and WebSocket
 * payloads) fuzzed with fast-check, label values that try to break the
 * exposition format or grow it, and hostile log input.
 * In process; one child process runs the preload with every variable
 * hostile at once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import fc from 'fast-check';
import { ROOT_CONTEXT, isSpanContextValid, propagation, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import { CompositePropagator } from '@opentelemetry/core';
import { CONFIG_VARIABLES, SECRET_VARIABLES, loadConfig } from '../../src/config.ts';
import { buildPropagators } from '../../src/tracing/feature.ts';
import { headerGetter, payloadGetter } from '../../src/tracing/payloadCarrier.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { recordToolExecution } from '../../src/metrics/wundrMetrics.ts';
import { CATALOGUE, LABEL_CAPS } from '../../src/metrics/catalogue.ts';
import { StructuredLogger } from '../../src/logging/StructuredLogger.ts';
import { InMemoryLogWriter } from '../../src/logging/InMemoryLogWriter.ts';
import { configureLogging } from '../../src/logging/runtime.ts';
import { parseExposition } from '../metrics/expositionParser.ts';
import { freePort, request, runChild, eventually } from '../support/child.ts';
import { RELIABILITY_FIXTURES } from './support/app.ts';

let sdk: WundrSdk | undefined;
after(async () => {
  await sdk?.shutdown();
});

// ------------------------------------------------------------------ configuration

const HOSTILE: readonly string[] = [
  '',
  '   ',
  '-1',
  '-0',
  '0',
  '-99999999999999999999',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '0x1F',
  '1_000',
  '٣',
  '１２３',
  '\u202Eevil',
  '\u007f\u0085\u2028',
  '😀',
  'a\u0000b',
  'line1\nline2',
  '\u001b[31mred\u001b[0m',
  '${jndi:ldap://127.0.0.1/x}',
  "'; DROP TABLE users; --",
  '$(rm -rf /)',
  '`id`',
  '../../../../etc/passwd',
  '%00%ff%',
  'x-good=1,x-bad=a%0D%0AInjected:%20y',
  'bad%20name=v,k=%07bell',
  'http://user:pass@127.0.0.1:1/x?y#z',
  'javascript:alert(1)',
  '{"__proto__":{"polluted":true}}',
  '__proto__=x,constructor=y',
  'x'.repeat(1_000_000),
  '9'.repeat(400),
  ',,,=,=,',
  'none,none',
];

/** Free-form values: any string is a valid value, so no warning is owed. */
const FREE_FORM = new Set(['OTEL_SERVICE_NAME', 'LOG_REDACT_KEYS', 'WUNDR_OTEL_ENDPOINT_TOKEN', 'WUNDR_OTEL_ADMIN_TOKEN']);

function checkInvariants(env: Record<string, string>): void {
  const { config, warnings } = loadConfig(env);
  const ints: [string, number, number, number][] = [
    ['metrics.port', config.metrics.port, 1, 65535],
    ['shutdownTimeoutMs', config.shutdownTimeoutMs, 0, 120000],
    ['logging.maxStringLength', config.logging.maxStringLength, 16, 10_000_000],
    ['health.timeoutMs', config.health.timeoutMs, 1, 600000],
    ['tracing.spanTtlMs', config.tracing.spanTtlMs, 1000, 86_400_000],
    ['metrics.exportIntervalMs', config.metrics.exportIntervalMs, 100, 86_400_000],
    ['metrics.exportTimeoutMs', config.metrics.exportTimeoutMs, 1, config.metrics.exportIntervalMs],
  ];
  for (const b of [config.tracing.batch, config.logging.batch]) {
    ints.push(['batch.maxQueueSize', b.maxQueueSize, 1, 1_000_000], ['batch.maxExportBatchSize', b.maxExportBatchSize, 1, b.maxQueueSize]);
    ints.push(['batch.scheduledDelayMillis', b.scheduledDelayMillis, 0, 3_600_000], ['batch.exportTimeoutMillis', b.exportTimeoutMillis, 1, 600000]);
  }
  for (const s of [config.otlp.traces, config.otlp.metrics, config.otlp.logs]) {
    ints.push(['otlp.timeoutMs', s.timeoutMs, 1, 600000]);
    assert.match(new URL(s.url).protocol, /^https?:$/);
    for (const [k, v] of Object.entries(s.headers)) {
      assert.ok(!/[\r\n\0]/.test(k) && !/[\r\n\0]/.test(v), `header ${JSON.stringify(k)} carries CR, LF or NUL: Node would refuse every export`);
    }
  }
  for (const [name, v, lo, hi] of ints) {
    assert.ok(Number.isInteger(v) && v >= lo && v <= hi, `${name} = ${v} not in [${lo}, ${hi}] for ${JSON.stringify(Object.keys(env))}`);
  }
  assert.ok(Number.isFinite(config.tracing.samplerArg) && config.tracing.samplerArg >= 0 && config.tracing.samplerArg <= 1);
  assert.ok(Number.isFinite(config.alerting.evaluationIntervalSeconds) && config.alerting.evaluationIntervalSeconds >= 1);
  assert.match(config.metrics.host, /^[A-Za-z0-9.:-]+$/);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
  for (const w of warnings) {
    // C0/C1 controls, DEL, line separators and bidi overrides would let a value rewrite the terminal line.
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(w.message), `control characters in: ${JSON.stringify(w.message.slice(0, 200))}`);
    assert.ok(w.message.length <= 1000, `warning of ${w.message.length} chars`);
    for (const sv of SECRET_VARIABLES) {
      const val = env[sv]?.trim().slice(0, 64);
      if (!val || val.length < 4 || !w.message.includes(val)) continue;
      // The same text may be in the warning for another reason: another variable's value
      // (OTEL_SDK_DISABLED=-Infinity beside ALERTING_WEBHOOK_URL=Infinity), or the message's own
      // words ("valu" in "key=value"). It is a leak only if it goes away when the secret changes.
      const masked = loadConfig({ ...env, [sv]: '\u2603'.repeat(env[sv]!.length) }).warnings.map((x) => x.message).join('\n');
      assert.ok(masked.includes(val), `${sv}'s value echoed in a warning: ${JSON.stringify(w.message.slice(0, 200))}`);
    }
  }
}

test('every configuration variable x every hostile value: no throw, values within bounds, one-line bounded warnings, secrets never echoed', () => {
  let warned = 0;
  for (const v of CONFIG_VARIABLES) {
    for (const h of HOSTILE) {
      const env = { [v]: h };
      assert.doesNotThrow(() => checkInvariants(env), `${v}=${JSON.stringify(h.slice(0, 40))}`);
      const { warnings } = loadConfig(env);
      if (warnings.some((w) => w.variable === v)) warned++;
    }
    // A value that cannot be valid for a typed variable gets its warning.
    if (!FREE_FORM.has(v) && v !== 'OTEL_RESOURCE_ATTRIBUTES') {
      const { warnings } = loadConfig({ [v]: '\u001b[31m$(id)\u0000' });
      assert.ok(warnings.some((w) => w.variable === v), `${v}: a hostile value is noticed`);
    }
  }
  console.log(`${CONFIG_VARIABLES.length} variables x ${HOSTILE.length} hostile values: ${warned} warnings, no throw`);
});

test('property: every variable hostile at once, in any combination: invariants hold', () => {
  const value = fc.oneof(fc.constantFrom(...HOSTILE.filter((h) => h.length < 1000)), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 50 }));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...CONFIG_VARIABLES), value, { maxKeys: CONFIG_VARIABLES.length }), (env) => checkInvariants(env)),
    { numRuns: 400 },
  );
});

test('the preload with every variable hostile at once: warnings on stderr, the app runs and answers', async () => {
  const env: Record<string, string> = {};
  // (A process environment cannot hold NUL bytes.)
  const usable = HOSTILE.filter((h) => !h.includes('\u0000') && h !== '' && h.trim() !== '');
  CONFIG_VARIABLES.forEach((v, i) => (env[v] = usable[i % usable.length]!.slice(0, 5000)));
  // Keep the test's own traffic local and the endpoint on a free port we know.
  const port = await freePort();
  Object.assign(env, { OTEL_SDK_DISABLED: 'maybe', METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', METRICS_PORT: String(port), OTEL_EXPORTER_PROMETHEUS_PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ALERTING_ENABLED: 'false' });
  const child = runChild({ args: ['--require', '@wundr/otel/register', path.join(RELIABILITY_FIXTURES, 'loadapp.cjs')], env });
  try {
    const m = await child.waitForOutput(/listening (\d+)/);
    assert.equal((await request(Number(m[1]), '/')).body, 'ok');
    await eventually(() => request(port, '/live'));
    const lines = child.stderr().split('\n').filter((l) => l.startsWith('@wundr/otel: '));
    assert.ok(lines.length >= 20, `warnings:\n${child.stderr().slice(0, 3000)}`);
    assert.doesNotMatch(child.stderr(), /NOT instrumented|TypeError|RangeError/);
    for (const l of lines) assert.ok(l.length <= 1000, `a warning line of ${l.length} chars`);
  } finally {
    child.kill('SIGKILL');
    await child.exited();
  }
});

// ------------------------------------------------------------------ propagation carriers

const propagator = new CompositePropagator({ propagators: buildPropagators({ propagators: ['tracecontext', 'baggage', 'xtraceid'] }) });

/** Every trace id the carrier could legitimately yield (from traceparent or the legacy fields). */
function idsIn(carrier: unknown): string {
  try {
    return JSON.stringify(carrier)?.toLowerCase() ?? '';
  } catch {
    return '';
  }
}

function checkExtracted(ctx: Context, carrier: unknown): void {
  const sc = trace.getSpanContext(ctx);
  if (sc !== undefined) {
    assert.ok(isSpanContextValid(sc), 'never an invalid context');
    assert.match(sc.traceId, /^[0-9a-f]{32}$/);
    assert.match(sc.spanId, /^[0-9a-f]{16}$/);
    assert.equal(sc.isRemote, true);
    assert.ok(idsIn(carrier).includes(sc.traceId), 'the trace id came from the carrier');
    const ts = sc.traceState?.serialize() ?? '';
    assert.ok(ts.length <= 512, `tracestate of ${ts.length} chars kept`);
    assert.ok(ts === '' || ts.split(',').length <= 32, 'at most 32 tracestate members');
  }
  const bag = propagation.getBaggage(ctx);
  if (bag) {
    const entries = bag.getAllEntries();
    assert.ok(entries.length <= 180, `${entries.length} baggage entries kept`);
    const size = entries.reduce((n, [k, e]) => n + k.length + e.value.length + 1, 0);
    assert.ok(size <= 8192, `baggage of ${size} chars kept`);
  }
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'.split('')), minLength: n, maxLength: n });
const traceparentish = fc.oneof(
  fc.tuple(fc.constantFrom('00', '01', 'ff', 'cc', '0', '000'), hex(32), hex(16), fc.constantFrom('00', '01', 'ff', '1', 'zz'), fc.constantFrom('', '-', '-extra', ' ', '\t', '\u0000'))
    .map(([v, t, s, f, tail]) => `${v}-${t}-${s}-${f}${tail}`),
  fc.constantFrom('00-00000000000000000000000000000000-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'),
  fc.string({ maxLength: 120 }),
  fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'.repeat(200)),
);
const tracestateish = fc.oneof(
  fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,20}(@[a-z][a-z0-9_*/-]{0,10})?$/), fc.string({ maxLength: 40 })), { maxLength: 80 }).map((xs) => xs.map(([k, v]) => `${k}=${v}`).join(',')),
  fc.string({ maxLength: 2000 }),
  fc.constant(`a=${'b'.repeat(100_000)}`),
);
const baggageish = fc.oneof(
  fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })), { maxLength: 400 }).map((xs) => xs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join(',')),
  fc.constant(Array.from({ length: 5000 }, (_, i) => `k${i}=v${i}`).join(',')),
  fc.constant(`big=${'x'.repeat(1_000_000)}`),
  fc.string({ maxLength: 500 }),
);
const headerValue = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.array(a, { minLength: 0, maxLength: 5 }), fc.constant(undefined), fc.integer(), fc.constant(null));

test('property: HTTP/federation headers (malformed, oversized, repeated, any case) never throw, never yield an invalid context, stay bounded', () => {
  const headers = fc.record(
    {
      traceparent: headerValue(traceparentish),
      TraceParent: headerValue(traceparentish),
      tracestate: headerValue(tracestateish),
      baggage: headerValue(baggageish),
      'x-trace-id': headerValue(fc.oneof(hex(32), fc.string({ maxLength: 40 }))),
      'X-Span-Id': headerValue(fc.oneof(hex(16), fc.string({ maxLength: 20 }))),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(headers, fc.anything()), (h) => {
      const ctx = propagator.extract(ROOT_CONTEXT, h, headerGetter as TextMapGetter<unknown>);
      checkExtracted(ctx, h);
    }),
    { numRuns: 1500 },
  );
});

test('property: WebSocket payloads (any JSON, prototype tricks, getters that throw, huge fields) never throw and stay bounded', () => {
  const payload = fc.oneof(
    fc.record(
      {
        traceparent: headerValue(traceparentish),
        tracestate: headerValue(tracestateish),
        baggage: headerValue(baggageish),
        'x-trace-id': headerValue(hex(32)),
        traceId: headerValue(fc.oneof(hex(32), fc.string())),
        spanId: headerValue(fc.oneof(hex(16), fc.string())),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue().map((j) => (typeof j === 'object' && j !== null ? j : { value: j })),
    fc.anything(),
  );
  fc.assert(
    fc.property(payload, (p) => {
      const ctx = propagator.extract(ROOT_CONTEXT, p, payloadGetter as TextMapGetter<unknown>);
      checkExtracted(ctx, p);
    }),
    { numRuns: 1500 },
  );
  // Hand-made hostile carriers.
  const throwing = Object.defineProperty({}, 'traceparent', { enumerable: true, get: () => { throw new Error('boom'); } });
  const proxy = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); }, has: () => { throw new Error('trap'); } });
  const inherited = Object.create({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  for (const c of [throwing, proxy, inherited, JSON.parse('{"__proto__":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}')]) {
    let ctx: Context = ROOT_CONTEXT;
    assert.doesNotThrow(() => {
      try {
        ctx = propagator.extract(ROOT_CONTEXT, c, payloadGetter as TextMapGetter<unknown>);
      } catch (e) {
        // extractPayloadContext's own try/catch is the contract for the helpers; the getter itself must not be
        // the cause: only the Proxy's own trap error may come through, and only for the Proxy.
        if (c !== proxy || (e as Error)?.message !== 'trap') throw e;
      }
    });
    assert.equal(trace.getSpanContext(ctx), undefined, 'inherited or hostile fields are not read');
  }
});

// ------------------------------------------------------------------ label values

test('label values that try to break the exposition format or grow it: escaped, capped, one family each', async () => {
  // METRICS_PORT must be 1-65535 (0 would be refused and fall back to 9090): a free port.
  const { config } = loadConfig({ METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', METRICS_COLLECT_DEFAULT: 'false', HEALTH_CHECK_ENABLED: 'false', ALERTING_ENABLED: 'false' });
  sdk = startSdk(config, { httpInstrumentation: false });
  await sdk.ready;
  const hostile = [
    'evil"} 1\nevil_injected_metric{a="b"} 42\n# TYPE evil_injected_metric counter',
    'back\\slash',
    'new\nline',
    '\u0000nul',
    '😀 unicode ٣',
    '${jndi:ldap://x}',
  ];
  for (const v of hostile) recordToolExecution(v, 'success', 0.1);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (v) => {
      recordToolExecution(v, 'error', 0.2);
    }),
    { numRuns: 3000 },
  );
  const body = (await request(sdk.endpoint!.port!, '/metrics')).body;
  const fams = parseExposition(body); // strict: throws on anything malformed
  const known = new Set(CATALOGUE.map((d) => d.name));
  const extra = [...fams.keys()].filter((n) => !known.has(n) && n !== 'target_info');
  assert.deepEqual(extra, [], 'no injected family');
  const total = fams.get('wundr_tool_execution_total')!;
  const names = new Set(total.samples.map((s) => s.labels.tool_name));
  // The cap, plus "other", plus the empty value (kept as is, outside the cap).
  assert.ok(names.size <= LABEL_CAPS.tool_name! + 2, `${names.size} distinct tool names served`);
  assert.ok(names.has(hostile[0]!), 'the hostile value round-trips through escaping');
  console.log(`/metrics: ${body.length} bytes, ${names.size} tool_name values after ${hostile.length + 3000} distinct recordings`);

  // A huge value is folded too (before the fix, one 1 MB tool name made a 13 MB scrape).
  recordToolExecution('h'.repeat(1_000_000), 'success', 0.1);
  const after1 = (await request(sdk.endpoint!.port!, '/metrics')).body;
  assert.ok(after1.length - body.length < 10_000, `one 1 MB label value grew the scrape by ${after1.length - body.length} bytes`);
});

// ------------------------------------------------------------------ log input

test('property: hostile log input (control characters, huge strings, circular objects, throwing getters, any value) never throws; one bounded line', () => {
  const mem = new InMemoryLogWriter(50);
  configureLogging({ maxStringLength: 1000, emitRecords: false });
  const json = new StructuredLogger('fuzz', { writer: mem, level: 'debug', format: 'json' });
  const text = new StructuredLogger('fuzz', { writer: mem, level: 'debug', format: 'text' });
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const getter = Object.defineProperty({ fine: 'yes' }, 'bad', { enumerable: true, get: () => { throw new Error('getter exploded'); } });
  const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); }, get: () => { throw new Error('trap'); } });
  const badToJSON = { toJSON: () => { throw new Error('toJSON exploded'); } };
  const hostileValue = fc.oneof(
    fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withObjectString: true }),
    fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 100 }),
    fc.constant('y'.repeat(50_000)),
    fc.constantFrom<unknown>(circular, getter, proxy, badToJSON, new Error('e\nwith newline'), Symbol('s'), () => 1, 10n ** 30n),
  );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.constant('m'.repeat(20_000)), fc.string({ unit: fc.constantFrom('\n', '\r', '\u0000', '\u001b', '\u2028', 'a') })), hostileValue, (msg, meta) => {
      for (const log of [json, text]) {
        mem.clear();
        assert.doesNotThrow(() => log.info(msg, meta as never));
        assert.doesNotThrow(() => log.error(msg, meta as never));
        for (const line of mem.lines) {
          assert.ok(line.endsWith('\n'));
          const body = line.slice(0, -1);
          assert.ok(!/[\u0000-\u001f]/.test(body), `raw control character in ${JSON.stringify(body.slice(0, 120))}`);
          // Message (20k) and one 50k string both cut at 1000 chars + marker; stacks are bounded too.
          assert.ok(body.length < 12_000, `line of ${body.length} chars`);
          if (log === json) JSON.parse(body);
        }
      }
    }),
    { numRuns: 400 },
  );
  mem.clear();
  json.info('m'.repeat(5000), { big: 'z'.repeat(5000) });
  const entry = JSON.parse(mem.lines[0]!);
  assert.match(JSON.stringify(entry), /…\[truncated 4000 chars\]/, 'cut at LOG_MAX_STRING_LENGTH with a marker');
  configureLogging({ maxStringLength: 16384, emitRecords: true });
});

test('through the preload over real HTTP: repeated, oversized and malformed trace headers start a fresh trace; a valid one is continued', async () => {
  const { startOtlpReceiver } = await import('../support/otlpReceiver.ts');
  const r = await startOtlpReceiver();
  const metricsPort = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', path.join(RELIABILITY_FIXTURES, 'loadapp.cjs')],
    env: { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: r.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_LOGS_EXPORTER: 'none', ALERTING_ENABLED: 'false', OTEL_SERVICE_NAME: 'carrier-e2e' },
  });
  try {
    const port = Number((await child.waitForOutput(/listening (\d+)/))[1]);
    const A = '0af7651916cd43dd8448eb211c80319c';
    const B = '4bf92f3577b34da6a3ce929d0e0e4736';
    const send = (path: string, headers: [string, string][]) =>
      new Promise<number>((resolve, reject) => {
        // Raw header pairs: repeated names go out as separate header lines (and Host is then ours to send).
        const raw = [['host', `127.0.0.1:${port}`], ...headers].flat();
        const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: raw as unknown as http.OutgoingHttpHeaders }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    const cases: [string, [string, string][], string | undefined][] = [
      ['/repeated', [['traceparent', `00-${A}-b7ad6b7169203331-01`], ['traceparent', `00-${B}-b7ad6b7169203331-01`]], undefined],
      ['/oversized', [['traceparent', `00-${A}-b7ad6b7169203331-01${'-x'.repeat(3000)}`]], undefined],
      ['/malformed', [['traceparent', `00-${A.toUpperCase()}-b7ad6b7169203331-01`], ['tracestate', 'a=1,'.repeat(500)], ['baggage', 'k=v,'.repeat(3000)]], undefined],
      ['/zero', [['traceparent', '00-00000000000000000000000000000000-b7ad6b7169203331-01']], undefined],
      ['/valid', [['traceparent', `00-${B}-b7ad6b7169203331-01`], ['tracestate', 'vendor=opaque']], B],
    ];
    for (const [p, h] of cases) assert.equal(await send(p, h), 200, p);
    const server = (p: string) => r.spans().find((s) => s.resource['service.name'] === 'carrier-e2e' && s.kind === 2 && s.attributes['url.path'] === p);
    await r.waitFor(() => cases.every(([p]) => server(p) !== undefined), 10000, 'the five server spans');
    for (const [p, , want] of cases) {
      const s = server(p)!;
      assert.match(s.traceId, /^[0-9a-f]{32}$/);
      if (want) {
        assert.equal(s.traceId, want, `${p}: continued`);
        assert.equal(s.traceState, 'vendor=opaque');
      } else {
        assert.ok(s.traceId !== A && s.traceId !== B, `${p}: a fresh trace, not ${s.traceId}`);
        assert.equal(s.parentSpanId, '', `${p}: no remote parent`);
      }
    }
  } finally {
    child.kill('SIGKILL');
    await child.exited();
    await r.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { externalDetectors, localDetectorAttributes } from '../../src/sdk/resourceDetectors.ts';
import { loadConfig } from '../../src/config.ts';
import { buildResource } from '../../src/sdk/resource.ts';

test('OTEL_NODE_RESOURCE_DETECTORS: default, all (no cloud), none, unknown names warned with the closest', () => {
  const detectors = (v?: string) => loadConfig(v === undefined ? {} : { OTEL_NODE_RESOURCE_DETECTORS: v });
  assert.deepEqual(detectors().config.resourceDetectors, ['env', 'host', 'os', 'process', 'serviceinstance']);
  assert.deepEqual(detectors('all').config.resourceDetectors, ['env', 'host', 'os', 'process', 'serviceinstance', 'container']);
  assert.deepEqual(detectors('none').config.resourceDetectors, []);
  assert.deepEqual(detectors('env, AWS ,env').config.resourceDetectors, ['env', 'aws']);
  const bad = detectors('hots,env');
  assert.deepEqual(bad.config.resourceDetectors, ['env']);
  assert.equal(bad.warnings.length, 1);
  assert.match(bad.warnings[0]!.message, /OTEL_NODE_RESOURCE_DETECTORS names unknown value\(s\) "hots" \(did you mean host\?\)/);
});

test('the resource follows the detectors; service attributes always; never the command line', () => {
  const attrs = (v: string, extra: Record<string, string> = {}) => buildResource(loadConfig({ OTEL_NODE_RESOURCE_DETECTORS: v, OTEL_SERVICE_NAME: 'svc', ...extra }).config).attributes;
  const none = attrs('none', { OTEL_RESOURCE_ATTRIBUTES: 'team=a' });
  assert.equal(none['service.name'], 'svc');
  assert.equal(none['telemetry.sdk.language'], 'nodejs');
  for (const k of ['host.name', 'process.pid', 'os.type', 'service.instance.id', 'team']) assert.equal(none[k], undefined, k);
  const envOnly = attrs('env', { OTEL_RESOURCE_ATTRIBUTES: 'team=a,service.name=other' });
  assert.equal(envOnly.team, 'a');
  assert.equal(envOnly['service.name'], 'svc', 'OTEL_SERVICE_NAME wins');
  const def = buildResource(loadConfig({}).config).attributes;
  for (const k of ['host.name', 'host.arch', 'os.type', 'os.version', 'process.pid', 'process.runtime.version', 'service.instance.id']) assert.notEqual(def[k], undefined, k);
  for (const k of Object.keys(def)) assert.doesNotMatch(k, /^process\.command/);
});

test('process: pid, runtime and executable, never the command line', () => {
  const a = localDetectorAttributes('process', { resourceAttributes: {} });
  assert.equal(a['process.pid'], process.pid);
  assert.equal(a['process.runtime.name'], 'nodejs');
  assert.equal(a['process.executable.path'], process.execPath);
  for (const k of ['process.command', 'process.command_args', 'process.command_line']) assert.equal(a[k], undefined, k);
});

test('env, host, os and serviceinstance', () => {
  assert.deepEqual(localDetectorAttributes('env', { resourceAttributes: { 'deployment.environment.name': 'prod' } }), { 'deployment.environment.name': 'prod' });
  assert.equal(typeof localDetectorAttributes('host', { resourceAttributes: {} })['host.name'], 'string');
  assert.equal(localDetectorAttributes('os', { resourceAttributes: {} })['os.type'], process.platform === 'win32' ? 'windows_nt' : process.platform);
  assert.equal(localDetectorAttributes('serviceinstance', { resourceAttributes: {}, serviceInstanceId: 'i-1' })['service.instance.id'], 'i-1');
  assert.match(String(localDetectorAttributes('serviceinstance', { resourceAttributes: {} })['service.instance.id']), /^[0-9a-f-]{36}$/);
});

test('container is the stock detector; a missing cloud package is one warning naming it', () => {
  const warnings: string[] = [];
  diag.setLogger({ warn: (m: string) => warnings.push(m), error() {}, info() {}, debug() {}, verbose() {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    const d = externalDetectors(['container', 'gcp', 'env']);
    assert.equal(d.length, 1);
    assert.equal(typeof d[0]!.detect, 'function');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /gcp is named in OTEL_NODE_RESOURCE_DETECTORS, but @opentelemetry\/resource-detector-gcp is not installed \(npm install @opentelemetry\/resource-detector-gcp\)/);
  } finally {
    diag.disable();
  }
});

test('container: the stock detector\'s container.id, settled asynchronously', async () => {
  const r = buildResource(loadConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'env,container' }).config);
  await r.waitForAsyncAttributes?.();
  const { containerDetector } = require('@opentelemetry/resource-detector-container');
  const expected = await containerDetector.detect().attributes['container.id'];
  assert.equal(r.attributes['container.id'], expected || undefined);
  assert.equal(r.attributes['service.name'], 'wundr-orchestrator');
});

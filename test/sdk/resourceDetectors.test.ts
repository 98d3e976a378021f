import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { DEFAULT_DETECTORS, expandDetectorNames, externalDetectors, localDetectorAttributes } from '../../src/sdk/resourceDetectors.ts';

test('names: all is every local detector (no cloud), none is nothing, unknown names apart', () => {
  assert.deepEqual(expandDetectorNames(['all']).detectors, ['env', 'host', 'os', 'process', 'serviceinstance', 'container']);
  assert.deepEqual(expandDetectorNames(['none']).detectors, []);
  assert.deepEqual(expandDetectorNames(['env', 'aws', 'env']).detectors, ['env', 'aws']);
  assert.deepEqual(expandDetectorNames(['hots', 'env']), { detectors: ['env'], unknown: ['hots'] });
  assert.ok(!DEFAULT_DETECTORS.includes('container') && !DEFAULT_DETECTORS.some((d) => ['aws', 'gcp', 'azure', 'alibaba'].includes(d)), 'no network probes by default');
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

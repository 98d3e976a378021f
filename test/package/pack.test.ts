/**
 * The package as a user gets it: `npm pack` of this repository, installed
 * with `npm install <tarball>` into a fresh app in a temporary directory
 * outside the repository (dependencies from the local npm cache, the
 * registry when the cache lacks one), then that app preloaded with
 * `--require @wundr/otel/register` and `--import`, exporting to a real OTLP
 * receiver. Nothing from the repository's node_modules is reachable there.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { NODE, ROOT, freePort, request, eventually } from '../support/child.ts';

const BIN = path.join(ROOT, 'node_modules', '.bin');
const APP = `const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;
const APP_MJS = `import http from 'node:http';
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;

let dir: string;
let tarball: string;
let receiver: OtlpReceiver;
const procs: import('node:child_process').ChildProcess[] = [];

/** npm with the pinned Node first on PATH, bounded in time; rejects with its output. */
function npm(args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      args,
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' },
      },
      (err, stdout, stderr) => (err ? reject(new Error(`npm ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wundr-pack-'));
  assert.ok(path.relative(ROOT, dir).startsWith('..'), 'outside the repository');
  // The build is already there (pretest); prepack's clean rebuild is for publishing.
  const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT, 120000);
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(dir, info.filename);
  fs.writeFileSync(path.join(dir, 'files.json'), JSON.stringify(info.files.map((f) => f.path)));
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(app, 'app.cjs'), APP);
  fs.writeFileSync(path.join(app, 'app.mjs'), APP_MJS);
  await npm(['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], app, 240000);
  receiver = await startOtlpReceiver();
});

after(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await receiver?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds the built package and nothing stale: every build/src file has its source', { timeout: 300000 }, () => {
  const files = JSON.parse(fs.readFileSync(path.join(dir, 'files.json'), 'utf8')) as string[];
  for (const f of ['package.json', 'README.md', 'build/src/index.js', 'build/src/index.d.ts', 'build/src/register.js', 'build/src/register-esm.mjs', 'build/src/cli.js', 'otel-collector/config.yaml']) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  assert.deepEqual(files.filter((f) => /^build\/(test|bench|examples)\//.test(f) || (/^src\//.test(f))), [], 'no tests, benchmarks or sources');
  const stale = files
    .filter((f) => f.startsWith('build/src/') && /\.(m?js)$/.test(f))
    .filter((f) => {
      const base = path.join(ROOT, 'src', f.slice('build/src/'.length)).replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
      return !fs.existsSync(base);
    });
  assert.deepEqual(stale, [], 'built files whose source is gone');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg.private, undefined, 'publishable');
});

async function preload(flag: '--require' | '--import', file: string, env: Record<string, string>) {
  const metricsPort = await freePort();
  const proc = spawn(NODE, [flag, '@wundr/otel/register', file], {
    cwd: path.join(dir, 'app'),
    // Only what a user would set: nothing from this repository (no NODE_PATH).
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const port = await eventually(async () => {
    const m = /listening (\d+)/.exec(out);
    if (!m) throw new Error(`not listening yet (exit ${proc.exitCode})\n${out}\n${err}`);
    return Number(m[1]);
  }, 30000);
  return { proc, port, metricsPort, stderr: () => err };
}

for (const [flag, file] of [
  ['--require', 'app.cjs'],
  ['--import', 'app.mjs'],
] as const) {
  test(`installed from the tarball, ${flag} preloads and exports a span with nothing else`, { timeout: 300000 }, async () => {
    const installed = path.join(dir, 'app', 'node_modules', '@wundr', 'otel', 'package.json');
    assert.ok(fs.existsSync(installed), 'installed into the fresh app');
    const service = `fresh-app-${file.replace('.', '-')}`;
    const { proc, port, metricsPort, stderr } = await preload(flag, file, {
      OTEL_SERVICE_NAME: service,
      // A database instrumentation is named but its optional package is not installed.
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg',
    });
    assert.equal((await request(port, '/hello')).body, 'ok');
    await receiver.waitFor(
      () => receiver.spans().some((s) => s.resource['service.name'] === service && s.kind === 2),
      20000,
      `the server span of ${service}`,
    );
    const span = receiver.spans().find((s) => s.resource['service.name'] === service && s.kind === 2)!;
    assert.equal(span.attributes['url.path'], '/hello');
    assert.equal(span.resource['process.pid'], proc.pid);
    assert.equal((await request(metricsPort, '/metrics')).status, 200);
    assert.match(stderr(), /pg is named in OTEL_NODE_ENABLED_INSTRUMENTATIONS, but @opentelemetry\/instrumentation-pg is not installed \(npm install @opentelemetry\/instrumentation-pg\)/);
    assert.doesNotMatch(stderr(), /NOT instrumented/);
    proc.kill('SIGKILL');
  });
}

/**
 * A caller that is not this machine, for real: a network namespace joined to
 * the host by a veth pair on a private /30 of our own, the endpoint bound on
 * the host side's address, the request sent from inside the namespace.
 * Traffic flows only between those two addresses.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { logLevelRoutes, adaptLogLevelRegistry } from '../../src/health/logLevelRoutes.ts';
import { traceRoute, tracesRoute } from '../../src/embedded/routes.ts';
import { NODE } from '../support/child.ts';

// Names and the /30 derive from the pid, so parallel runs never share them.
const tag = String(process.pid % 100000);
const NS = `wundr-ep-${tag}`;
const HOST_IF = `wuh${tag}`;
const NS_IF = `wun${tag}`;
const NET = `10.213.${(process.pid >> 6) & 255}`;
const SUB = (process.pid & 63) * 4;
const HOST_ADDR = `${NET}.${SUB + 1}`;
const NS_ADDR = `${NET}.${SUB + 2}`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
}

function netnsUnavailable(): string | false {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip) is not installed';
  }
  if (process.getuid?.() !== 0) return 'ip netns needs root (CAP_NET_ADMIN)';
  return false;
}

let skip = netnsUnavailable();
before(() => {
  if (skip) return;
  try {
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
    ip('link', 'set', NS_IF, 'netns', NS);
    ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', HOST_IF);
    ip('link', 'set', HOST_IF, 'up');
    ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_ADDR}/30`, 'dev', NS_IF);
    ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up');
  } catch (err) {
    skip = `ip netns is not permitted here: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`;
  }
});
after(() => {
  // Deleting the namespace removes its end of the pair, and with it the host end.
  for (const args of [['netns', 'del', NS], ['link', 'del', HOST_IF]]) {
    try {
      ip(...args);
    } catch {
      // already gone
    }
  }
});

/** One request sent from inside the namespace; resolves with the status and body. */
function fromNamespace(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; remote: string }> {
  const script = `
    const http = require('node:http');
    const req = http.request({ host: ${JSON.stringify(HOST_ADDR)}, port: ${port}, method: ${JSON.stringify(method)}, path: ${JSON.stringify(path)}, headers: ${JSON.stringify(headers)}, timeout: 4000 }, (res) => {
      let b = ''; res.setEncoding('utf8').on('data', (d) => (b += d));
      res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, body: b })));
    });
    req.on('timeout', () => { req.destroy(); process.exit(3); });
    req.on('error', (e) => { process.stderr.write(e.message); process.exit(2); });
    req.end(${JSON.stringify(body ?? '')});`;
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', NS, NODE, '-e', script], { timeout: 15000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}: ${stderr}`));
      resolve({ ...(JSON.parse(stdout) as { status: number; body: string }), remote: NS_ADDR });
    });
  });
}

async function serve(opts: { token?: string; adminToken?: string }) {
  let global = 'info';
  const control = adaptLogLevelRegistry({ getGlobalLevel: () => global, setGlobalLevel: (l: string) => void (global = l), getComponentLevels: () => ({}), setComponentLevel: () => {} });
  const server = new EndpointServer({ host: HOST_ADDR, port: 0, ...opts });
  let remote: string | undefined;
  server.addRoute({ method: 'GET', path: '/whoami', handler: (req) => ((remote = req.socket.remoteAddress), { status: 200, body: '' }) });
  for (const r of logLevelRoutes(() => control)) server.addRoute(r);
  const traceOptions = { ring: () => undefined, peers: () => [], token: opts.token };
  server.addRoute(tracesRoute(traceOptions));
  server.addRoute(traceRoute(traceOptions));
  assert.equal(await server.start(), true);
  return { server, port: server.port!, level: () => global, remote: () => remote };
}

const JSON_CT = { 'Content-Type': 'application/json' };

test('without an admin token, POST /loglevel from another host is 403 naming WUNDR_OTEL_ADMIN_TOKEN; reads still work', async (t) => {
  if (skip) return t.skip(skip);
  const { server, port, level, remote } = await serve({});
  t.after(() => server.stop());
  assert.equal((await fromNamespace(port, 'GET', '/whoami', {})).status, 200);
  assert.equal(remote(), NS_ADDR, 'the request arrived from the namespace, not loopback');
  const r = await fromNamespace(port, 'POST', '/loglevel', JSON_CT, '{"level":"debug"}');
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).error, /WUNDR_OTEL_ADMIN_TOKEN/);
  assert.equal(level(), 'info', 'nothing changed');
  assert.equal((await fromNamespace(port, 'GET', '/loglevel', {})).status, 200);
});

test('with an admin token, a remote caller bearing it may POST; without it 401', async (t) => {
  if (skip) return t.skip(skip);
  const { server, port, level } = await serve({ token: 'read-tok', adminToken: 'adm-tok' });
  t.after(() => server.stop());
  assert.equal((await fromNamespace(port, 'POST', '/loglevel', JSON_CT, '{"level":"debug"}')).status, 401);
  assert.equal((await fromNamespace(port, 'POST', '/loglevel', { ...JSON_CT, Authorization: 'Bearer read-tok' }, '{"level":"debug"}')).status, 401);
  assert.equal(level(), 'info');
  assert.equal((await fromNamespace(port, 'POST', '/loglevel', { ...JSON_CT, Authorization: 'Bearer adm-tok' }, '{"level":"debug"}')).status, 200);
  assert.equal(level(), 'debug');
  assert.equal((await fromNamespace(port, 'GET', '/loglevel', { Authorization: 'Bearer read-tok' })).status, 200);
});

test('without an endpoint token, trace data from another host is 403 naming WUNDR_OTEL_ENDPOINT_TOKEN; other reads still work', async (t) => {
  if (skip) return t.skip(skip);
  const { server, port } = await serve({});
  t.after(() => server.stop());
  for (const p of ['/traces', `/traces/${'ab'.repeat(16)}`]) {
    const r = await fromNamespace(port, 'GET', p, {});
    assert.equal(r.status, 403, p);
    assert.match(JSON.parse(r.body).error, /WUNDR_OTEL_ENDPOINT_TOKEN/, p);
    assert.doesNotMatch(r.body, /traces"/, `${p}: no data in the refusal`);
  }
  assert.equal((await fromNamespace(port, 'GET', '/loglevel', {})).status, 200, 'a read without request data stays open');
});

test('with a token, a remote caller bearing it reads trace data; with an admin token alone, that token', async (t) => {
  if (skip) return t.skip(skip);
  const a = await serve({ token: 'read-tok' });
  t.after(() => a.server.stop());
  assert.equal((await fromNamespace(a.port, 'GET', '/traces', {})).status, 401);
  const ok = await fromNamespace(a.port, 'GET', '/traces', { Authorization: 'Bearer read-tok' });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), { traces: [] });
  const b = await serve({ adminToken: 'adm-tok' });
  t.after(() => b.server.stop());
  assert.equal((await fromNamespace(b.port, 'GET', '/traces', {})).status, 401);
  assert.equal((await fromNamespace(b.port, 'GET', '/traces', { Authorization: 'Bearer nope' })).status, 401);
  assert.equal((await fromNamespace(b.port, 'GET', '/traces', { Authorization: 'Bearer adm-tok' })).status, 200);
});

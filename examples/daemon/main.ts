/**
 * A simulated wundr orchestrator daemon, run preloaded with @wundr/otel:
 *   npm start                    # runs until Ctrl-C
 *   npm start -- --duration 30   # stops itself gracefully after 30 s
 *
 * It answers HTTP on APP_PORT (default 8080; WebSocket clients on /ws); the
 * telemetry endpoint (/metrics, /health, /ready) is on METRICS_PORT (default
 * 9090). It starts a federation peer (peer.ts) as a second process with its
 * own service name, then drives traffic through every adapter: WebSocket
 * clients sending tasks, a task queue, sessions calling a simulated LLM
 * provider (latency, tokens, costs, errors, 429s), tools and MCP calls,
 * memory stores and searches, a token budget, and delegations to the peer.
 *
 * Knobs (env): WUNDR_DEMO_CLIENTS (3), WUNDR_DEMO_RATE (messages/s per
 * client, 1), WUNDR_DEMO_DELEGATE_EVERY (4), WUNDR_DEMO_ERROR_RATE (0.03),
 * WUNDR_DEMO_RATE_LIMIT_RATE (0.05), WUNDR_DEMO_LATENCY_SCALE (1),
 * WUNDR_DEMO_QUEUE_BACKLOG (0: parked low-priority tasks, e.g. 150 fires the
 * Queue Backlog alert), WUNDR_DEMO_DAILY_TOKEN_BUDGET (2000000),
 * WUNDR_DEMO_SEED, WUNDR_DEMO_PEER (1; 0 runs without a peer),
 * PEER_METRICS_PORT (METRICS_PORT + 1), PEER_SERVICE_NAME
 * (wundr-orchestrator-peer), WUNDR_ORCHESTRATOR_ID (orch-1).
 */
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { addTracePeer, setReady, StructuredLogger } from '../../src/index.ts';
import { OrchestratorDaemon } from './orchestrator.ts';
import { startTraffic, type Traffic } from './clients.ts';
import { Rng } from './sim.ts';

function parseArgs(argv: string[]): { duration: number | undefined } {
  let duration: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--duration') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) {
        process.stderr.write(`--duration takes a number of seconds > 0, got ${JSON.stringify(argv[i])}\n`);
        process.exit(2);
      }
      duration = v;
    } else if (a?.startsWith('--duration=')) {
      return parseArgs(['--duration', a.slice('--duration='.length)]);
    }
  }
  return { duration };
}

function envNumber(name: string, def: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`${name}=${JSON.stringify(raw)} is not a number >= ${min}; using ${def}\n`);
    return def;
  }
  return v;
}

const { duration } = parseArgs(process.argv.slice(2));
const port = envNumber('APP_PORT', 8080, 0);
const metricsPort = envNumber('METRICS_PORT', envNumber('OTEL_EXPORTER_PROMETHEUS_PORT', 9090));
const peerMetricsPort = envNumber('PEER_METRICS_PORT', metricsPort + 1, 1);
const orchestratorId = process.env.WUNDR_ORCHESTRATOR_ID ?? 'orch-1';
const seed = envNumber('WUNDR_DEMO_SEED', Date.now());
const knobs = {
  errorRate: envNumber('WUNDR_DEMO_ERROR_RATE', 0.03),
  rateLimitRate: envNumber('WUNDR_DEMO_RATE_LIMIT_RATE', 0.05),
  latencyScale: envNumber('WUNDR_DEMO_LATENCY_SCALE', 1),
};
const log = new StructuredLogger('ExampleDaemon', undefined, { orchestratorId });

/** Starts the peer orchestrator and resolves with its base URL (undefined when it cannot start). */
function startPeer(): Promise<{ child: ChildProcess; url: string } | undefined> {
  if (process.env.WUNDR_DEMO_PEER === '0') return Promise.resolve(undefined);
  const register = path.resolve(__dirname, '..', '..', 'src', 'register.js');
  const child = spawn(process.execPath, ['--require', register, path.join(__dirname, 'peer.js')], {
    env: {
      ...process.env,
      OTEL_SERVICE_NAME: process.env.PEER_SERVICE_NAME ?? 'wundr-orchestrator-peer',
      WUNDR_ORCHESTRATOR_ID: process.env.PEER_ORCHESTRATOR_ID ?? 'orch-peer',
      METRICS_PORT: String(peerMetricsPort),
      OTEL_EXPORTER_PROMETHEUS_PORT: undefined,
      APP_PORT: '0',
      WUNDR_DEMO_SEED: String(seed),
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => {
      log.warn('The federation peer did not start within 10 s; running without it');
      child.kill();
      resolve(undefined);
    }, 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = out.match(/peer listening on (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
      // Pass the peer's log lines through.
      process.stdout.write(d.replace(/^peer listening on \d+\n/m, ''));
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

async function main(): Promise<void> {
  const peer = await startPeer();
  // The page's trace view shows the peer's spans of a delegated task beside this process's.
  if (peer) addTracePeer(`http://127.0.0.1:${peerMetricsPort}`);
  const daemon = new OrchestratorDaemon({
    orchestratorId,
    provider: 'anthropic',
    model: 'claude-sonnet-4',
    knobs,
    peerUrl: peer?.url,
    peerId: 'orch-peer',
    workers: envNumber('WUNDR_DEMO_WORKERS', 4, 1),
    backlog: envNumber('WUNDR_DEMO_QUEUE_BACKLOG', 0),
    dailyTokenBudget: envNumber('WUNDR_DEMO_DAILY_TOKEN_BUDGET', 2_000_000, 1),
    seed,
  });

  const server = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (req.url === '/status') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(daemon.getStatus()));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });
  daemon.attach(server);
  daemon.start();

  let traffic: Traffic | undefined;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const appPort = (server.address() as { port: number }).port;
  setReady(true);
  process.stdout.write(
    `wundr example daemon listening on http://127.0.0.1:${appPort} (WebSocket on /ws; telemetry endpoint on :${metricsPort}${peer ? `; federation peer at ${peer.url}` : ''}; WUNDR_DEMO_SEED=${seed})\n` +
      `traces, metrics, alerts and health: open http://127.0.0.1:${metricsPort}/\n`,
  );
  traffic = startTraffic({
    url: `ws://127.0.0.1:${appPort}/ws`,
    clients: envNumber('WUNDR_DEMO_CLIENTS', 3),
    rate: envNumber('WUNDR_DEMO_RATE', 1, 0.01),
    delegateEvery: envNumber('WUNDR_DEMO_DELEGATE_EVERY', 4),
    rng: new Rng(seed + 7),
  });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    setReady(false);
    log.info('Stopping', { sent: traffic?.sent() });
    await traffic?.stop();
    await daemon.stop();
    server.close();
    server.closeAllConnections();
    if (peer) {
      const exited = new Promise<void>((r) => peer.child.once('exit', () => r()));
      if (peer.child.connected) peer.child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (peer.child.exitCode === null) peer.child.kill('SIGKILL');
    }
    process.stdout.write('wundr example daemon stopped\n');
    // The preload flushes and shuts the SDK down on beforeExit.
  };
  if (duration !== undefined) setTimeout(() => void stop(), duration * 1000).unref();
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`example daemon failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});

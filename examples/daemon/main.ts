/**
 * A simulated wundr orchestrator daemon, run preloaded with @wundr/otel:
 *   npm start                    # runs until Ctrl-C
 *   npm start -- --duration 30   # stops itself gracefully after 30 s
 * It answers HTTP on APP_PORT (default 8080); the telemetry endpoint
 * (/metrics, /health, /ready) is on METRICS_PORT (default 9090).
 */
import * as http from 'node:http';
import { setReady } from '../../src/index.ts';

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

const { duration } = parseArgs(process.argv.slice(2));
const port = Number(process.env.APP_PORT ?? 8080);

const server = http.createServer((req, res) => {
  if (req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: 'not found' }));
});

server.listen(port, '127.0.0.1', () => {
  setReady(true);
  process.stdout.write(
    `wundr example daemon listening on http://127.0.0.1:${port} (telemetry endpoint on :${process.env.METRICS_PORT ?? process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9090})\n`,
  );
});

function stop(): void {
  setReady(false);
  server.close();
  server.closeAllConnections();
}

if (duration !== undefined) setTimeout(stop, duration * 1000).unref();

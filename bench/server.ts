/**
 * The application under load: a minimal node:http server (keep-alive, "ok").
 * The same file runs bare and under each preload, so the difference is what
 * the preload costs.
 *
 *   PORT=8080 WORK_ITERS=250000 node [--require <preload>] build/bench/server.js
 *
 * WORK_ITERS (default 0): iterations of bench/work.ts's spin() per request,
 * CPU work standing in for a real handler (the runner calibrates it to ~1 ms).
 */
import * as http from 'node:http';
import { spin } from './work.ts';

const port = Number(process.env.PORT ?? 8080);
const iters = Number(process.env.WORK_ITERS ?? 0);
let sink = 0;

const server = http.createServer((_req, res) => {
  if (iters > 0) sink ^= spin(iters);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
// Stop on SIGTERM the way an application would: close, let the preload flush.
process.on('SIGTERM', () => {
  if (sink === 0.5) process.stdout.write('unreachable'); // keeps `sink` observable
  server.close();
  server.closeAllConnections();
});

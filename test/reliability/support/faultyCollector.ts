/**
 * A collector front we control: one fixed port on 127.0.0.1 whose behaviour
 * the test switches at run time.
 * - `down`: nothing listens (connections are refused);
 * - `hang`: accepts and reads the request, never answers;
 * - `status`: answers every export with a fixed status (500, 429 + Retry-After…);
 * - `up`: forwards to a real OTLP receiver (test/support/otlpReceiver.ts),
 *   which decodes what arrives.
 * Every request is logged with its arrival time, so tests can look at how
 * retries are spaced.
 */
import * as http from 'node:http';
import { after } from 'node:test';
import * as net from 'node:net';
import { startOtlpReceiver, type OtlpReceiver } from '../../support/otlpReceiver.ts';
import { freePort } from '../../support/child.ts';

export type CollectorMode = { kind: 'down' } | { kind: 'hang' } | { kind: 'up' } | { kind: 'status'; status: number; headers?: Record<string, string> };

export interface Arrival {
  at: number;
  path: string;
  mode: CollectorMode['kind'];
  bytes: number;
}

export interface FaultyCollector {
  readonly url: string;
  readonly port: number;
  readonly receiver: OtlpReceiver;
  arrivals(): Arrival[];
  /** Sockets currently held open by `hang` mode. */
  hanging(): number;
  set(mode: CollectorMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultyCollector(initial: CollectorMode): Promise<FaultyCollector> {
  const receiver = await startOtlpReceiver();
  const port = await freePort();
  let mode: CollectorMode = initial;
  let server: http.Server | undefined;
  const arrivals: Arrival[] = [];
  const held = new Set<net.Socket>();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      arrivals.push({ at: Date.now(), path: req.url ?? '', mode: mode.kind, bytes: body.length });
      if (mode.kind === 'hang') {
        held.add(req.socket);
        req.socket.once('close', () => held.delete(req.socket));
        return;
      }
      if (mode.kind === 'status') {
        res.writeHead(mode.status, mode.headers ?? {}).end();
        return;
      }
      const fwd = http.request(
        { host: '127.0.0.1', port: receiver.port, path: req.url, method: req.method, headers: req.headers, agent: false },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      fwd.on('error', () => res.writeHead(502).end());
      fwd.end(body);
    });
  };

  const listen = async (): Promise<void> => {
    if (server) return;
    const s = http.createServer(handler);
    s.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    server = s;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const sock of held) sock.destroy();
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  };

  const apply = async (m: CollectorMode): Promise<void> => {
    mode = m;
    if (m.kind === 'down') await stop();
    else await listen();
  };
  await apply(initial);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    receiver,
    arrivals: () => arrivals,
    hanging: () => held.size,
    set: apply,
    async close() {
      await stop();
      await receiver.close();
    },
  };
}

/**
 * Fake collectors for one test file: returns a starter, and closes every
 * collector it started (after `beforeClose`, e.g. killing the apps) when the
 * file's tests end.
 */
export function fileCollectors(beforeClose: () => void = () => {}): (mode: CollectorMode) => Promise<FaultyCollector> {
  const started: FaultyCollector[] = [];
  after(async () => {
    beforeClose();
    for (const c of started) await c.close();
  });
  return async (mode) => {
    const c = await startFaultyCollector(mode);
    started.push(c);
    return c;
  };
}

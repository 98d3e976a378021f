/**
 * WebSocket clients of the simulated daemon: each subscribes to its session
 * updates, then sends tasks at a steady rate. A client starts a span for
 * each message it sends and puts the trace context into the payload
 * (`traceparent` / `tracestate`; one client speaks the old protocol with
 * `traceId`/`spanId` keys), so the daemon's spans join the sender's trace.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { WebSocket } from 'ws';
import { injectPayloadContext, LegacyTracing, startSpan } from '../../src/index.ts';
import { Recurring, type Rng } from './sim.ts';

export interface TrafficOptions {
  url: string;
  clients: number;
  /** Messages per second per client. */
  rate: number;
  /** Every n-th task is delegated to the federation peer (0: never). */
  delegateEvery: number;
  rng: Rng;
}

const TASK_TYPES = ['code-review', 'drift-check', 'refactor', 'dependency-audit'] as const;

export interface Traffic {
  sent(): number;
  stop(): Promise<void>;
}

export function startTraffic(opts: TrafficOptions): Traffic {
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  let sent = 0;
  const duplicate = new Recurring(0.08, opts.rng);
  const ping = new Recurring(0.1, opts.rng);
  for (let i = 0; i < opts.clients; i++) {
    const legacy = i === opts.clients - 1 && opts.clients > 1;
    const ws = new WebSocket(opts.url, { headers: { authorization: 'Bearer demo-client' } });
    sockets.push(ws);
    ws.on('error', () => {});
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', sessionId: `client-${i}` }));
      const timer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        const n = ++sent;
        const taskType = opts.rng.pick(TASK_TYPES);
        const span = startSpan(`ws.client send task`, { kind: SpanKind.PRODUCER, root: true, attributes: { 'wundr.ws.client': i } });
        const ctx = trace.setSpan(context.active(), span);
        const body = { taskType, description: `${taskType} #${n}`, delegate: opts.delegateEvery > 0 && n % opts.delegateEvery === 0, idempotencyKey: `client-${i}-${n}` };
        const payload = legacy
          ? (() => {
              const tc = LegacyTracing.fromContext(ctx);
              return tc ? LegacyTracing.injectIntoPayload(tc, body) : body;
            })()
          : injectPayloadContext(body, ctx);
        ws.send(JSON.stringify({ type: 'task', payload }));
        // An impatient client: now and then it sends the same task again (the daemon drops the duplicate).
        if (duplicate.hit()) ws.send(JSON.stringify({ type: 'task', payload }));
        if (ping.hit()) ws.send(JSON.stringify({ type: 'ping' }));
        span.end();
      }, Math.max(10, Math.round(1000 / opts.rate)));
      timer.unref();
      timers.push(timer);
    });
  }
  // A client with a broken encoder: a text frame that is not UTF-8, which the server refuses (a WebSocket error).
  const flaky = () => {
    const ws = new WebSocket(opts.url, { headers: { authorization: 'Bearer demo-client' } });
    ws.on('error', () => {});
    ws.on('open', () => ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }));
    setTimeout(() => ws.terminate(), 2000).unref();
  };
  const flakyTimer = setInterval(flaky, 20_000);
  flakyTimer.unref();
  timers.push(flakyTimer);
  const first = setTimeout(flaky, 2000);
  first.unref();
  timers.push(first);

  return {
    sent: () => sent,
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.close(1000, 'done');
              setTimeout(() => {
                ws.terminate();
                resolve();
              }, 1000).unref();
            }),
        ),
      );
    },
  };
}

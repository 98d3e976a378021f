import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { context, trace } from '@opentelemetry/api';
import { resetWundrMetrics, wsMetrics } from '../../src/metrics/wundrMetrics.ts';
import { configureLogging } from '../../src/logging/runtime.ts';
import { InMemoryLogWriter } from '../../src/logging/InMemoryLogWriter.ts';
import { instrumentWebSocketServer } from '../../src/instrument/index.ts';
import { setupTracing, type Harness } from '../tracing/harness.ts';

let h: Harness;
beforeEach(() => {
  h = setupTracing();
  configureLogging({ destination: new InMemoryLogWriter(), level: 'debug', emitRecords: false });
  resetWundrMetrics();
});
afterEach(async () => {
  await h.close();
});

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('ws server: connections, messages in/out with sizes and types, subscriptions, handler spans joining the sender trace; undo restores', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  t.after(() => {
    for (const s of wss.clients) s.terminate();
    wss.close();
  });
  const undo = instrumentWebSocketServer(wss, { orchestratorId: 'o1' });
  const handled: { type: string; traceId: string | undefined }[] = [];
  const serverSockets: WebSocket[] = [];
  wss.on('connection', (socket) => {
    serverSockets.push(socket);
    socket.on('message', (data) => {
      let msg: { type?: string; id?: number } = {};
      try {
        msg = JSON.parse(String(data));
      } catch {
        msg = { type: 'text' };
      }
      handled.push({ type: msg.type ?? '', traceId: trace.getSpanContext(context.active())?.traceId });
      socket.send(JSON.stringify({ type: 'ack', id: msg.id }));
    });
  });
  const port = (wss.address() as { port: number }).port;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { headers: { authorization: 'Bearer x' } });
  await once(client, 'open');
  const acks: string[] = [];
  client.on('message', (d) => acks.push(String(d)));
  const task = JSON.stringify({ type: 'task', id: 1, payload: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, text: 'go' } });
  client.send(task);
  client.send(JSON.stringify({ type: 'subscribe', sessionId: 's1' }));
  client.send(JSON.stringify({ type: 'legacy', 'x-trace-id': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }));
  client.send('not json at all');
  await until(() => acks.length === 4, '4 acks');

  assert.equal(wsMetrics.connectionsTotal.get({ auth_method: 'bearer' }), 1);
  assert.equal(wsMetrics.connectionsActive.get(), 1);
  assert.equal(wsMetrics.messagesReceived.get({ message_type: 'task' }), 1);
  assert.equal(wsMetrics.messagesReceived.get({ message_type: 'unknown' }), 1);
  assert.equal(wsMetrics.messagesSent.get({ message_type: 'ack' }), 4);
  assert.equal(wsMetrics.sessionSubscriptions.get(), 1);
  assert.equal(handled[0]!.traceId, TRACE, 'the handler ran inside the span of the message trace');
  assert.equal(handled[2]!.traceId, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'legacy x-trace-id accepted');
  const spans = h.spans().filter((s) => s.name.startsWith('ws.message'));
  assert.equal(spans.length, 4);
  const taskSpan = spans.find((s) => s.name === 'ws.message task')!;
  assert.equal(taskSpan.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(taskSpan.attributes['wundr.ws.message_size_bytes'], Buffer.byteLength(task));
  const plain = spans.find((s) => s.name === 'ws.message unknown')!;
  assert.equal(plain.parentSpanContext, undefined, 'no context: a fresh root');

  client.close();
  await until(() => wsMetrics.connectionsActive.get() === 0, 'disconnect');
  assert.equal(wsMetrics.sessionSubscriptions.get(), 0, 'subscriptions of a closed socket are released');
  const s0 = serverSockets[0]!;
  assert.equal(Object.prototype.hasOwnProperty.call(s0, 'emit'), false, 'closed sockets are restored');

  // A socket open during undo is restored too.
  const c2 = new WebSocket(`ws://127.0.0.1:${port}`);
  await once(c2, 'open');
  await until(() => serverSockets.length === 2, 'second socket');
  assert.equal(Object.prototype.hasOwnProperty.call(serverSockets[1]!, 'send'), true);
  const listenersBefore = wss.listenerCount('connection');
  undo();
  assert.equal(wss.listenerCount('connection'), listenersBefore - 1);
  assert.equal(Object.prototype.hasOwnProperty.call(serverSockets[1]!, 'send'), false);
  assert.equal(Object.prototype.hasOwnProperty.call(serverSockets[1]!, 'emit'), false);
  c2.close();
  await once(c2, 'close');
});

import { context } from '@opentelemetry/api';
import { recordWsConnection, recordWsDisconnection, recordWsMessageReceived, recordWsMessageSent, wsMetrics } from '../metrics/wundrMetrics.ts';
import { recordMessageLatency } from '../metrics/daemonMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { errorTypeOf, failSpan } from '../tracing/spans.ts';
import { startWsMessageSpan } from '../tracing/agentSpans.ts';
import { claim, guard, listen, requireObject, since, wrapMethod, type EventSourceLike, type Undo } from './patch.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

/** The part of a `ws` WebSocket the adapter uses. */
export interface WebSocketLike {
  emit(event: string | symbol, ...args: any[]): boolean;
  send(data: unknown, ...rest: unknown[]): unknown;
}

/** The part of a `ws` WebSocketServer the adapter uses. */
export interface WebSocketServerLike extends EventSourceLike {
  /** Connected sockets (`clientTracking`); those already open are instrumented too. */
  clients?: Iterable<WebSocketLike>;
}

export interface InstrumentWebSocketServerOptions {
  /** For `orchestrator_message_latency_seconds`. */
  orchestratorId?: string;
  /** Label `auth_method` of a connection, from the upgrade request. Default: `bearer` with an Authorization header, `token` with a `token` query parameter, else `none`. */
  authMethod?: (request: unknown) => string;
  /** The message type of a parsed message. Default: its string `type` field. */
  messageType?: (message: unknown) => string | undefined;
  /** Whether a message subscribes to or unsubscribes from a session. Default: type `subscribe` / `unsubscribe` (or `session:subscribe` / `session:unsubscribe`). */
  subscription?: (message: unknown, type: string) => 'subscribe' | 'unsubscribe' | undefined;
  /** Largest text message parsed as JSON for its type and trace context. Default 1 MiB. */
  maxParseBytes?: number;
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (Buffer.isBuffer(data)) return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((n: number, b: unknown) => n + byteLength(b), 0);
  return 0;
}

function asText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data) && data.every((b) => Buffer.isBuffer(b))) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return undefined;
}

function parse(data: unknown, max: number): unknown {
  if (byteLength(data) > max) return undefined;
  const text = asText(data);
  if (text === undefined || text.length === 0 || (text[0] !== '{' && text[0] !== '[' && text.trimStart()[0] !== '{')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function defaultAuth(req: unknown): string {
  const r = req as { headers?: Record<string, unknown>; url?: unknown } | undefined;
  const auth = r?.headers?.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return 'bearer';
  if (typeof auth === 'string' && /^basic /i.test(auth)) return 'basic';
  if (typeof r?.url === 'string' && /[?&](token|access_token)=/.test(r.url)) return 'token';
  return 'none';
}

function defaultType(msg: unknown): string | undefined {
  const t = (msg as { type?: unknown } | undefined)?.type;
  return typeof t === 'string' && t !== '' ? t : undefined;
}

function defaultSubscription(_msg: unknown, type: string): 'subscribe' | 'unsubscribe' | undefined {
  if (type === 'subscribe' || type === 'session:subscribe') return 'subscribe';
  if (type === 'unsubscribe' || type === 'session:unsubscribe') return 'unsubscribe';
  return undefined;
}

/**
 * WebSocket metrics and spans for a `ws` WebSocketServer (docs/ADAPTERS.md
 * "instrument connection/message handlers"): connections (`auth_method`),
 * disconnections, messages in and out by type with their sizes, errors,
 * and session subscriptions. Each incoming message is dispatched to the
 * application's listeners inside a `ws.message {type}` span whose parent is
 * the trace context the message carries (`traceparent`, or the legacy
 * `x-trace-id` / `traceId` fields, in the message or its `payload`), so the
 * session the handler starts joins the sender's trace. Returns the undo
 * function, which also restores every socket.
 *
 * @example
 * const wss = new WebSocketServer({ port: 8787 });
 * const undo = instrumentWebSocketServer(wss, { orchestratorId: 'orch-1' });
 */
export function instrumentWebSocketServer(server: WebSocketServerLike, options: InstrumentWebSocketServerOptions = {}): Undo {
  requireObject(server, 'instrumentWebSocketServer', 'the WebSocketServer');
  if (typeof server.on !== 'function') throw new Error('@wundr/otel: instrumentWebSocketServer() needs an object with on(event, listener)');
  const maxParse = options.maxParseBytes ?? 1024 * 1024;
  if (!(maxParse >= 0)) throw new Error(`@wundr/otel: instrumentWebSocketServer() option maxParseBytes must be >= 0, got ${options.maxParseBytes}`);
  const finish = claim(server, 'instrumentWebSocketServer');
  const log = new StructuredLogger('WebSocketServer');
  const authOf = options.authMethod ?? defaultAuth;
  const typeOf = options.messageType ?? defaultType;
  const subOf = options.subscription ?? defaultSubscription;
  const o = options.orchestratorId ?? 'unknown';
  const sockets = new Map<WebSocketLike, Undo>();
  let nextId = 0;
  const undos: Undo[] = [];

  const instrumentSocket = (socket: WebSocketLike, counted: boolean) => {
    if (sockets.has(socket) || socket === null || typeof socket !== 'object') return;
    const connectionId = `ws-${++nextId}`;
    let subscriptions = 0;
    let open = counted;
    const socketUndos: Undo[] = [];

    const onMessage = (original: (...a: any[]) => any, self: unknown, args: unknown[]): boolean => {
      const [data, isBinary] = args as [unknown, boolean | undefined];
      const size = byteLength(data);
      const msg = isBinary === true ? undefined : parse(data, maxParse);
      let type = isBinary === true ? 'binary' : 'unknown';
      guard('messageType()', () => (type = typeOf(msg) ?? type));
      guard('ws receive metrics', () => {
        recordWsMessageReceived(type, size);
        const sub = subOf(msg, type);
        if (sub === 'subscribe') {
          subscriptions++;
          wsMetrics.sessionSubscriptions.inc();
        } else if (sub === 'unsubscribe' && subscriptions > 0) {
          subscriptions--;
          wsMetrics.sessionSubscriptions.dec();
        }
      });
      const payload = (msg as { payload?: unknown } | undefined)?.payload;
      const carrier = payload !== null && typeof payload === 'object' && hasTraceFields(payload) ? payload : msg;
      const { span, context: ctx } = startWsMessageSpan({ messageType: type, connectionId, sizeBytes: size, payload: carrier }, context.active());
      const t0 = performance.now();
      try {
        return context.with(ctx, () => original.apply(self, ['message', ...args]));
      } catch (err) {
        failSpan(span, err);
        guard('ws error metrics', () => wsMetrics.errors.inc({ error_type: 'handler_error' }));
        throw err;
      } finally {
        guard('message latency', () => recordMessageLatency({ orchestrator_id: o }, since(t0)));
        span.end();
      }
    };

    socketUndos.push(
      wrapMethod(socket, 'emit', (original) =>
        function (this: unknown, event: string | symbol, ...args: unknown[]) {
          if (event === 'message') return onMessage(original, this, args);
          if (event === 'error') {
            const err = args[0];
            guard('ws error metrics', () => {
              wsMetrics.errors.inc({ error_type: errorTypeOf(err) });
              log.warn('WebSocket error', { connectionId, error: errorMessage(err) });
            });
          } else if (event === 'close') {
            const r = original.apply(this, [event, ...args]);
            guard('ws close bookkeeping', () => {
              if (open) recordWsDisconnection();
              open = false;
              if (subscriptions > 0) wsMetrics.sessionSubscriptions.dec(subscriptions);
              subscriptions = 0;
              log.debug('WebSocket closed', { connectionId, code: args[0] });
              emitInstrumentEvent('WebSocketServer', 'ws.closed', { connectionId });
            });
            sockets.get(this as WebSocketLike)?.();
            return r;
          }
          return original.apply(this, [event, ...args]);
        },
      ),
    );
    socketUndos.push(
      wrapMethod(socket, 'send', (original) =>
        function (this: unknown, data: unknown, ...rest: unknown[]) {
          guard('ws send metrics', () => {
            const size = byteLength(data);
            const msg = size <= 64 * 1024 ? parse(data, maxParse) : undefined;
            let type = typeof data === 'string' || msg !== undefined ? 'unknown' : 'binary';
            guard('messageType()', () => (type = typeOf(msg) ?? type));
            recordWsMessageSent(type, size);
          });
          return original.apply(this, [data, ...rest]);
        },
      ),
    );
    let restored = false;
    sockets.set(socket, () => {
      if (restored) return;
      restored = true;
      sockets.delete(socket);
      for (let i = socketUndos.length - 1; i >= 0; i--) socketUndos[i]!();
    });
  };

  undos.push(
    listen(server, 'connection', (socket: WebSocketLike, request: unknown) => {
      let auth = 'none';
      guard('authMethod()', () => (auth = String(authOf(request) ?? 'none')));
      recordWsConnection(auth);
      log.info('WebSocket connected', { auth });
      emitInstrumentEvent('WebSocketServer', 'ws.connected', { auth });
      instrumentSocket(socket, true);
    }),
  );
  undos.push(
    listen(server, 'error', (err: unknown) => {
      wsMetrics.errors.inc({ error_type: 'server_error' });
      log.error('WebSocket server error', { error: errorMessage(err) });
    }),
  );
  undos.push(() => {
    for (const undo of [...sockets.values()]) undo();
  });
  guard('existing WebSocket clients', () => {
    for (const s of server.clients ?? []) {
      wsMetrics.connectionsActive.inc();
      instrumentSocket(s, true);
    }
  });
  return finish(undos);
}

function hasTraceFields(o: object): boolean {
  return 'traceparent' in o || 'x-trace-id' in o || 'traceId' in o || 'trace_id' in o;
}

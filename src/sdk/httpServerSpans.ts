/**
 * The SERVER span and the `http.server.request.duration` histogram of every
 * incoming HTTP request, made from Node's own diagnostics_channel events
 * (`http.server.request.start`, `http.server.response.finish`) instead of
 * @opentelemetry/instrumentation-http's patch of `Server.prototype.emit`
 * (which then runs with `disableIncomingRequestInstrumentation: true` and
 * still does outgoing requests and their propagation). Measured: 54 -> 34 µs
 * of server CPU per request on the trivial handler (docs/BENCHMARKS.md).
 *
 * The span is the one instrumentation-http makes: named after the method
 * (`METHOD route` when a framework instrumentation fills the route into the
 * RPC metadata), the stable HTTP semconv attributes, error status for 5xx.
 * `url.query` is left out: query strings carry secrets.
 *
 * Context: the W3C context is extracted from ROOT_CONTEXT, never from the
 * active one (on a keep-alive connection the parser's async resource may
 * still hold the previous request's context), and made active for the
 * handler with `enterWith`: the start event is published synchronously right
 * before Node emits 'request'. Events that Node emits later from socket
 * callbacks do not inherit it under AsyncContextFrame (Node 24's default),
 * so the request emitter is bound to the span context (as instrumentation-http
 * binds it) when the request announces a body (its 'data'/'end' listeners
 * run in the span); bodiless requests, the common case, skip that cost.
 */
import * as dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  diag,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
  type Attributes,
  type Context,
  type MeterProvider,
  context,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { requestContext, requestContextKeysKnown, type RequestMetadata } from './RequestContext.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { errorTypeOf, failSpan } from '../tracing/spans.ts';
import { KeyedHistogram } from '../metrics/families/keyedHistogram.ts';
import { adoptPrimitiveAttributes, setPrimitiveAttribute } from './internals/sdk-trace.ts';

export const HTTP_SCOPE = '@wundr/otel/http';

/** The contexts' home: WundrContextManager. */
export interface EnteringContextManager {
  enterWith(ctx: Context): void;
  bind<T>(ctx: Context, target: T): T;
}

export interface HttpServerSpansOptions {
  tracerProvider: TracerProvider;
  /** The SDK meter provider; no histogram without one. */
  meterProvider?: MeterProvider | undefined;
  contextManager: EnteringContextManager;
  /** Requests to this server are skipped (the endpoint traces itself). */
  skipServer?: () => Server | undefined;
}

// Semconv http.server.request.duration buckets (seconds), as instrumentation-http.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

const STATE = Symbol('wundr.otel.httpServerSpan');

type Ender = (res: Res, state: ServerRequest, aborted: boolean, crash?: { error: unknown }) => void;

/**
 * A request in flight, and its RPC metadata in the request's context (one
 * object: frameworks' instrumentations fill `route` in). The context
 * outlives the request (keep-alive sockets and timers hold it), so the
 * response is let go when the request ends: a reference from the context
 * to the response kept 26 MiB more alive under load. No map of requests
 * in flight either: a Map with a set and a delete per request reallocates
 * its table every few requests, and those tables, referenced from the
 * long-lived map, were promoted to the old generation to die there (150
 * bytes a request, most of the preload's old-space growth under load).
 */
class ServerRequest implements RequestMetadata {
  readonly type = RPCType.HTTP;
  route: string | undefined = undefined;
  constructor(
    /** The SERVER span; once ended, a non-recording span of the same span context (see `end`). */
    public span: Span,
    readonly start: number,
    readonly method: string,
    readonly scheme: string,
    readonly version: string,
    public response: Res | undefined,
    /** The subscription's end (shared by its requests): ends the span and records the duration. */
    readonly ender: Ender,
  ) {}
}

type Res = ServerResponse & { [STATE]?: ServerRequest | undefined };

interface StartMessage {
  request: IncomingMessage;
  response: Res;
  socket: Socket & { encrypted?: boolean };
  server: Server;
}

function normalizeMethod(method: string): string {
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

// The last Host header parsed: requests to a server repeat it, and the
// same strings (not new slices) are then handed to the encoder's caches.
let lastHost = '';
let lastName = '';
let lastPort: number | undefined;

/** server.address and server.port from `host[:port]` or `[v6][:port]` of a Host header. */
function hostAndPort(host: string, attributes: Attributes): void {
  if (host !== lastHost) parseHost(host);
  attributes['server.address'] = lastName;
  if (lastPort !== undefined) attributes['server.port'] = lastPort;
}

function parseHost(host: string): void {
  let name = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end > 0) {
      name = host.slice(1, end);
      if (host[end + 1] === ':') port = host.slice(end + 2);
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon > 0 && host.indexOf(':') === colon) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
  }
  let n: number | undefined = port === undefined ? undefined : Number(port);
  if (n !== undefined && !(Number.isInteger(n) && n > 0 && n < 65536)) n = undefined;
  lastHost = host;
  lastName = name;
  lastPort = n;
}

/**
 * `client.address` as semconv has it: the original client as the proxies
 * say (RFC 7239 `Forwarded: for=`, else the first `X-Forwarded-For` entry),
 * else the peer. The peer itself stays in `network.peer.address`.
 */
export function clientAddress(headers: IncomingMessage['headers'], peer: string | undefined): string | undefined {
  const forwarded = headers.forwarded;
  if (typeof forwarded === 'string') {
    const f = forwardedFor(forwarded);
    if (f !== undefined) return f;
  }
  const xff = headers['x-forwarded-for'];
  if (typeof xff === 'string') {
    const comma = xff.indexOf(',');
    const first = (comma === -1 ? xff : xff.slice(0, comma)).trim();
    if (first.length > 0) return first;
  }
  return peer;
}

/** The `for` of the first element of a Forwarded header, without quotes, brackets or port. */
function forwardedFor(header: string): string | undefined {
  let end = header.length;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      end = i;
      break;
    }
  }
  for (const pair of header.slice(0, end).split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    let v = pair.slice(eq + 1).trim();
    if (v.startsWith('"')) {
      if (v.length < 2 || !v.endsWith('"')) return undefined;
      v = v.slice(1, -1);
    }
    if (v.startsWith('[')) {
      // "[2001:db8:cafe::17]:4711"
      const close = v.indexOf(']');
      return close > 1 ? v.slice(1, close) : undefined;
    }
    const colon = v.indexOf(':');
    // "192.0.2.43:47011"; a bare IPv6 address is not valid here, but kept whole.
    if (colon !== -1 && v.indexOf(':', colon + 1) === -1) v = v.slice(0, colon);
    return v.length > 0 ? v : undefined;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > 200 ? `${m.slice(0, 200)}…` : m;
}

/**
 * An exception nobody caught was thrown while a request's handler ran (it is
 * the active context when 'uncaughtException' is emitted): its SERVER span
 * gets the exception and ERROR status, and, when the process is about to
 * end, is ended, so the trace of the request that crashed the daemon is
 * exported with the crash flush. Returns whether there was such a request.
 */
export function failActiveRequest(error: unknown, ending: boolean): boolean {
  const state = getRPCMetadata(context.active());
  if (!(state instanceof ServerRequest) || state.response === undefined) return false;
  failSpan(state.span, error);
  state.span.setStatus({ code: SpanStatusCode.ERROR, message: `uncaught exception: ${errorMessage(error)}` });
  if (ending) state.ender(state.response, state, false, { error });
  return true;
}

/** The attributes of a request's `http.server.request.duration` series. */
function durationAttributes(state: ServerRequest, status: number | undefined, errorType: string | undefined, route: string | undefined): Attributes {
  const metric: Attributes = {
    'http.request.method': state.method,
    'url.scheme': state.scheme,
    'network.protocol.version': state.version,
  };
  if (status !== undefined) metric['http.response.status_code'] = status;
  if (errorType !== undefined) metric['error.type'] = errorType;
  if (route !== undefined) metric['http.route'] = route;
  return metric;
}

/** Requests that announce a body (what Node's own empty-request check looks at). */
function hasBody(headers: IncomingMessage['headers']): boolean {
  const cl = headers['content-length'];
  return (cl !== undefined && cl !== '0') || headers['transfer-encoding'] !== undefined;
}

/** The SERVER span's attributes known when the request starts (all strings and numbers). */
function requestAttributes(request: IncomingMessage, socket: StartMessage['socket'], normalized: string, method: string, scheme: string, version: string): Attributes {
  const headers = request.headers;
  const url = request.url ?? '/';
  const q = url.indexOf('?');
  const attributes: Attributes = {
    'http.request.method': normalized,
    'url.scheme': scheme,
    'url.path': q === -1 ? url : url.slice(0, q),
    'network.protocol.version': version,
  };
  if (normalized !== method) attributes['http.request.method_original'] = method;
  const host = headers.host;
  if (host) hostAndPort(host, attributes);
  const ua = headers['user-agent'];
  if (ua !== undefined) attributes['user_agent.original'] = ua;
  const peer = socket.remoteAddress;
  const client = clientAddress(headers, peer);
  if (client !== undefined) attributes['client.address'] = client;
  if (peer !== undefined) attributes['network.peer.address'] = peer;
  const peerPort = socket.remotePort;
  if (peerPort !== undefined) attributes['network.peer.port'] = peerPort;
  return attributes;
}

/**
 * What a request's context keeps of its ended SERVER span: a non-recording
 * span of the same span context, with the parent's span context (log lines
 * written after the response carry parentSpanId, StructuredLogger).
 */
function endedView(span: Span): Span {
  const view = trace.wrapSpanContext(span.spanContext());
  const parent = (span as { parentSpanContext?: SpanContext }).parentSpanContext;
  if (parent !== undefined) (view as Span & { parentSpanContext?: SpanContext }).parentSpanContext = parent;
  return view;
}

/**
 * Subscribes to the two channels; returns the undo (unsubscribes). Spans of
 * requests still in flight then end on their response's 'close'.
 */
export function startHttpServerSpans(options: HttpServerSpansOptions): () => void {
  const tracer: Tracer = options.tracerProvider.getTracer(HTTP_SCOPE, PACKAGE_VERSION);
  const cm = options.contextManager;
  const skipServer = options.skipServer;
  let histogram: KeyedHistogram | undefined;
  if (options.meterProvider) {
    // Recorded into cells by a key of the attribute values, handed to the SDK at collection (no attribute hash per request).
    histogram = new KeyedHistogram(options.meterProvider.getMeter(HTTP_SCOPE, PACKAGE_VERSION), 'http.server.request.duration', {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: BUCKETS },
    });
  }

  // The series key of the previous request: most requests repeat it, and a
  // string built anew is hashed anew at each lookup.
  let lastKey: { method: string; scheme: string; version: string; status: number | undefined; errorType: string | undefined; route: string | undefined; key: string } = {
    method: '',
    scheme: '',
    version: '',
    status: undefined,
    errorType: undefined,
    route: undefined,
    key: '',
  };

  const end: Ender = (res, state, aborted, crash) => {
    res[STATE] = undefined;
    state.response = undefined;
    const { span } = state;
    let errorType: string | undefined;
    let status: number | undefined;
    if (crash !== undefined) {
      // The handler threw and nothing caught it: the process is ending, no response will be sent.
      errorType = errorTypeOf(crash.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: `uncaught exception: ${errorMessage(crash.error)}` });
      setPrimitiveAttribute(span, 'error.type', errorType);
    } else if (aborted) {
      // No response was sent: no status code; the client went away first.
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the response finished' });
      errorType = 'aborted';
      setPrimitiveAttribute(span, 'error.type', errorType);
    } else {
      status = res.statusCode;
      setPrimitiveAttribute(span, 'http.response.status_code', status);
      if (status >= 500 || status < 100) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        if (status >= 500 && status < 600) {
          errorType = String(status);
          setPrimitiveAttribute(span, 'error.type', errorType);
        }
      }
    }
    const route = state.route;
    if (route !== undefined) {
      setPrimitiveAttribute(span, 'http.route', route);
      span.updateName(`${state.method === '_OTHER' ? 'HTTP' : state.method} ${route}`);
    }
    // An SDK span, recording until now or ended early by the app (a
    // non-recording span is already as small as its view).
    const sdkSpan = span.isRecording() || (span as { ended?: unknown }).ended === true;
    span.end();
    // The request's context outlives it: Node's keep-alive timer holds the
    // context the response ended in until the socket's next request or
    // close, and code the handler left running keeps it as its active
    // context. Past this point that context needs only the span context
    // (child spans, log correlation, injection); the ended span, its
    // attributes and times, can go while young.
    // Without the API's keys the context stacks the API's own contexts, which hold the span itself: nothing to swap.
    if (sdkSpan && requestContextKeysKnown) state.span = endedView(span);
    if (histogram === undefined) return;
    const k = lastKey;
    let key: string;
    if (k.method === state.method && k.status === status && k.route === route && k.errorType === errorType && k.scheme === state.scheme && k.version === state.version) {
      key = k.key;
    } else {
      key = `${state.method}\u0001${state.scheme}\u0001${state.version}\u0001${status}\u0001${errorType}\u0001${route}`;
      lastKey = { method: state.method, scheme: state.scheme, version: state.version, status, errorType, route, key };
    }
    histogram.record(key, () => durationAttributes(state, status, errorType, route), (performance.now() - state.start) / 1000);
  };

  // One shared listener (no closure per request): ends the span of a
  // response closed before 'finish' (client aborts, socket errors, server
  // closing), and of responses still in flight after the undo.
  function onClose(this: Res): void {
    const state = this[STATE];
    if (!state) return;
    try {
      end(this, state, !this.writableFinished);
    } catch (err) {
      diag.error(`@wundr/otel: HTTP server span not ended: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  // diagnostics_channel re-throws a subscriber's error as an uncaught
  // exception: the telemetry must never crash the host.
  const onStart = (message: unknown): void => {
    try {
      start(message as StartMessage);
    } catch (err) {
      diag.error(`@wundr/otel: HTTP server span not started: ${(err as Error)?.message ?? String(err)}`);
    }
  };

  const start = ({ request, response, socket, server }: StartMessage): void => {
    if (skipServer !== undefined && server === skipServer()) return;
    const headers = request.headers;
    const method = request.method ?? 'GET';
    const normalized = normalizeMethod(method);
    const scheme = socket.encrypted ? 'https' : 'http';
    const version = request.httpVersion;
    // ROOT_CONTEXT: never the active context (see the module comment). The
    // span starts without attributes (the package's samplers do not read
    // them) and gets them only when it records: an unsampled request builds none.
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const span = tracer.startSpan(normalized === '_OTHER' ? 'HTTP' : normalized, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) adoptPrimitiveAttributes(span, requestAttributes(request, socket, normalized, method, scheme, version));
    const state = new ServerRequest(span, performance.now(), normalized, scheme, version, response, end);
    const ctx = requestContext(parent, state);
    response[STATE] = state;
    response.on('close', onClose);
    if (hasBody(headers)) cm.bind(ctx, request);
    // Node emits 'request' right after this message, synchronously: the handler runs in the span.
    cm.enterWith(ctx);
  };

  const onFinish = (message: unknown): void => {
    const response = (message as { response: Res }).response;
    const state = response[STATE];
    if (!state) return;
    try {
      end(response, state, false);
    } catch (err) {
      diag.error(`@wundr/otel: HTTP server span not ended: ${(err as Error)?.message ?? String(err)}`);
    }
  };

  dc.subscribe('http.server.request.start', onStart);
  dc.subscribe('http.server.response.finish', onFinish);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    dc.unsubscribe('http.server.request.start', onStart);
    dc.unsubscribe('http.server.response.finish', onFinish);
  };
}

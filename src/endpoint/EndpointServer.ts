import * as http from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { context, propagation, trace, SpanKind, SpanStatusCode, diag, ROOT_CONTEXT } from '@opentelemetry/api';

/** What a route handler returns; the server writes it. */
export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type RouteHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => RouteResponse | Promise<RouteResponse> | 'handled' | Promise<'handled'>;

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: RouteHandler;
  /** Requires the admin token (state-changing routes). */
  admin?: boolean;
  /** Skips the bearer-token check (liveness probes). */
  public?: boolean;
  /**
   * Answers with what requests carried (span attributes, log lines): without
   * an endpoint token, loopback callers only. The default listener is on
   * 0.0.0.0 so that Prometheus can scrape it, and a scrape port is not a
   * place to publish request data to the network.
   */
  requestData?: boolean;
  /** Matches every path that starts with `path` (e.g. `/traces/` for `/traces/<id>`). */
  prefix?: boolean;
}

export interface EndpointServerOptions {
  host: string;
  port: number;
  token?: string | undefined;
  /** Defaults to `token`. Without either, admin routes answer loopback callers only. */
  adminToken?: string | undefined;
  /** `Access-Control-Allow-Origin: *` on read answers and preflights (default true). */
  cors?: boolean;
}

/** The HTTP methods with a name of their own in span names (the semantic conventions' list). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** Whether a socket's remote address is this machine (127.0.0.0/8, ::1, their IPv4-mapped forms). */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** Whether the request declares a JSON body (`application/json`, parameters allowed). */
function isJson(req: http.IncomingMessage): boolean {
  const ct = req.headers['content-type'];
  if (typeof ct !== 'string') return false;
  return ct.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The one HTTP endpoint (docs/METRICS.md): /metrics, /health, /ready and the routes
 * other parts add. The server is unref()ed: it never keeps a finished host
 * process alive, and a port in use is a warning, not a crash.
 */
export class EndpointServer {
  readonly routes = new Map<string, Route>();
  private server: http.Server | undefined;
  private readonly options: EndpointServerOptions;
  private boundPort: number | undefined;

  constructor(options: EndpointServerOptions) {
    this.options = options;
  }

  /** Adds a route; a duplicate path+method is a programming error. */
  addRoute(route: Route): void {
    const key = `${route.method} ${route.path}`;
    if (this.routes.has(key)) throw new Error(`@wundr/otel: route ${key} is already registered`);
    this.routes.set(key, route);
  }

  /** The listening server (the HTTP server spans skip its requests: the endpoint traces itself). */
  get httpServer(): http.Server | undefined {
    return this.server;
  }

  /** The port actually bound (differs from the option when it was 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Resolves once listening, or with false (after a warning) when the port cannot be bound. */
  start(): Promise<boolean> {
    if (this.server) return Promise.resolve(true);
    const server = http.createServer((req, res) => this.handle(req, res));
    // A scraper's keep-alive connection must not keep a stopping host alive
    // either (unref() on the server covers only the listening socket).
    server.on('connection', (socket) => socket.unref());
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10000;
    server.requestTimeout = 30000;
    this.server = server;
    return new Promise((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        // One warning (through the diagnostic logger, which the preload prints): the app runs on.
        diag.warn(
          `@wundr/otel: the metrics/health endpoint could not listen on ${this.options.host}:${this.options.port} (${err.code ?? err.message}); /metrics, /health and /ready are not served. Set METRICS_PORT to a free port.`,
        );
        this.server = undefined;
        resolve(false);
      });
      server.listen(this.options.port, this.options.host, () => {
        server.unref();
        const addr = server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : this.options.port;
        server.on('error', (err) => diag.warn(`@wundr/otel: endpoint error: ${err.message}`));
        resolve(true);
      });
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private prefixRoute(method: string, path: string): Route | undefined {
    for (const r of this.routes.values()) if (r.prefix && r.method === method && path.startsWith(r.path) && path.length > r.path.length) return r;
    return undefined;
  }

  /** Whether the request's bearer token is `token` (false without a token header). */
  private bears(req: http.IncomingMessage, token: string): boolean {
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
    // Digests of equal length, compared in constant time: neither the
    // content nor the length of the token shows in the response time.
    const given = createHash('sha256').update(h.slice(7)).digest();
    const want = createHash('sha256').update(token).digest();
    return timingSafeEqual(given, want);
  }

  /**
   * Who may call a route: read routes take the endpoint token (or the admin
   * token, which grants everything); admin routes take the admin token only.
   * Without an admin token, state changes come from this machine only: a
   * listener on 0.0.0.0 must not let the network switch the daemon's logging.
   * Without an endpoint token, request data stays on this machine the same way.
   */
  private denied(req: http.IncomingMessage, route: Route): RouteResponse | undefined {
    const { token } = this.options;
    const adminToken = this.options.adminToken ?? token;
    const unauthorized = (): RouteResponse => errorResponse(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
    if (route.admin) {
      if (adminToken) return this.bears(req, adminToken) ? undefined : unauthorized();
      if (!isLoopbackAddress(req.socket.remoteAddress)) {
        return errorResponse(403, 'state-changing routes answer loopback callers only; set WUNDR_OTEL_ADMIN_TOKEN to allow remote callers with that bearer token');
      }
      return undefined;
    }
    if (route.public) return undefined;
    if (!token) {
      if (!route.requestData || isLoopbackAddress(req.socket.remoteAddress)) return undefined;
      if (adminToken) return this.bears(req, adminToken) ? undefined : unauthorized();
      return errorResponse(403, 'trace data answers loopback callers only; set WUNDR_OTEL_ENDPOINT_TOKEN to allow remote callers with that bearer token');
    }
    if (this.bears(req, token) || (adminToken !== undefined && adminToken !== token && this.bears(req, adminToken))) return undefined;
    return unauthorized();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawMethod = req.method ?? 'GET';
    const known = KNOWN_METHODS.has(rawMethod);
    let route = known ? (this.routes.get(`${rawMethod} ${path}`) ?? this.prefixRoute(rawMethod, path)) : undefined;
    if (!route && rawMethod === 'HEAD') route = this.routes.get(`GET ${path}`) ?? this.prefixRoute('GET', path);
    // Span names come from the route table, never from the raw path or an
    // unknown method: a client must not be able to mint new span names.
    const spanName = route ? `${known ? rawMethod : 'HTTP'} ${route.path}` : known ? rawMethod : 'HTTP';
    // The endpoint's own requests are traced as server spans, so the
    // X-Trace-Id header (docs/TRACING.md) names a trace that exists.
    // From ROOT_CONTEXT: the HTTP instrumentation suppresses tracing for the
    // requests it is told to ignore, and this endpoint is one of them.
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const tracer = trace.getTracer('@wundr/otel');
    const attributes: Record<string, string | boolean> = { 'http.request.method': known ? rawMethod : '_OTHER', 'url.path': path.slice(0, 1024), 'wundr.endpoint': true };
    if (!known) attributes['http.request.method_original'] = rawMethod.slice(0, 64);
    if (route) attributes['http.route'] = route.path;
    const span = tracer.startSpan(spanName, { kind: SpanKind.SERVER, attributes }, parent);
    // With tracing off there is no span context to name; the answer still
    // carries an id, so a caller can always quote one in a report.
    const sc = span.spanContext();
    res.setHeader('X-Trace-Id', trace.isSpanContextValid(sc) ? sc.traceId : randomBytes(16).toString('hex'));
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    const cors = this.options.cors !== false;
    if (cors && (rawMethod === 'GET' || rawMethod === 'HEAD')) res.setHeader('Access-Control-Allow-Origin', '*');

    const run = async (): Promise<void> => {
      if (rawMethod === 'OPTIONS') {
        // Preflights allow reads only: no page may POST here from a browser.
        const headers: Record<string, string> = cors
          ? {
              'Access-Control-Allow-Origin': '*',
              'Access-Control-Allow-Methods': 'GET, OPTIONS',
              'Access-Control-Allow-Headers': 'Authorization',
              'Access-Control-Max-Age': '86400',
            }
          : {};
        res.writeHead(204, { Allow: 'GET, HEAD, OPTIONS', ...headers });
        res.end();
        return;
      }
      if (!route) {
        const allowed = [...this.routes.values()].filter((r) => r.path === path).map((r) => r.method);
        if (allowed.length > 0) {
          return this.write(res, errorResponse(405, 'method not allowed', { Allow: allowed.join(', ') }), rawMethod);
        }
        return this.write(res, errorResponse(404, 'no such route'), rawMethod);
      }
      const refused = this.denied(req, route);
      if (refused) return this.write(res, refused, rawMethod);
      // A JSON content type forces a browser's preflight, which the CORS
      // answer above refuses: no web page can change state here.
      if (route.method !== 'GET' && !isJson(req)) {
        return this.write(res, errorResponse(415, 'the body must be sent with Content-Type: application/json'), rawMethod);
      }
      const out = await context.with(trace.setSpan(parent, span), () => route.handler(req, res));
      if (out === 'handled') return;
      this.write(res, out, rawMethod);
    };
    run().catch((err: unknown) => {
      diag.error(`@wundr/otel: endpoint ${spanName} failed: ${(err as Error)?.message ?? String(err)}`);
      if (!res.headersSent) this.write(res, errorResponse(500, 'internal error'), rawMethod);
      else res.destroy();
    });
  }

  private write(res: http.ServerResponse, out: RouteResponse, method: string): void {
    if (!res.headersSent) res.writeHead(out.status, out.headers);
    res.end(method === 'HEAD' ? undefined : out.body);
  }
}

/** A JSON answer, never cached (every route's data is live). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): RouteResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

function errorResponse(statusCode: number, error: string, headers: Record<string, string> = {}): RouteResponse {
  return json(statusCode, { error, statusCode, timestamp: new Date().toISOString() }, headers);
}

/** Reads a small request body (JSON routes); larger bodies are refused. */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

import * as http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
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
}

export interface EndpointServerOptions {
  host: string;
  port: number;
  token?: string | undefined;
  adminToken?: string | undefined;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The one HTTP endpoint (docs/METRICS.md: /metrics, /health, /ready and the routes
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
        diag.warn(
          `@wundr/otel: the metrics/health endpoint could not listen on ${this.options.host}:${this.options.port} (${err.code ?? err.message}); /metrics, /health and /ready are not served. Set METRICS_PORT to a free port.`,
        );
        process.emitWarning(
          `the metrics/health endpoint could not listen on ${this.options.host}:${this.options.port} (${err.code ?? err.message}); the application runs on without it`,
          { code: 'WUNDR_OTEL_ENDPOINT', type: '@wundr/otel' } as never,
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

  private authorized(req: http.IncomingMessage, token: string | undefined): boolean {
    if (!token) return true;
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
    // Digests of equal length, compared in constant time: neither the
    // content nor the length of the token shows in the response time.
    const given = createHash('sha256').update(h.slice(7)).digest();
    const want = createHash('sha256').update(token).digest();
    return timingSafeEqual(given, want);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    // The endpoint's own requests are traced as server spans, so the
    // X-Trace-Id header (docs/TRACING.md names a trace that exists.
    // From ROOT_CONTEXT: the HTTP instrumentation suppresses tracing for the
    // requests it is told to ignore, and this endpoint is one of them.
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const tracer = trace.getTracer('@wundr/otel');
    const span = tracer.startSpan(`${method} ${path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': method, 'url.path': path, 'wundr.endpoint': true },
    }, parent);
    const traceId = span.spanContext().traceId;
    if (trace.isSpanContextValid(span.spanContext())) res.setHeader('X-Trace-Id', traceId);
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });

    const run = async (): Promise<void> => {
      let route = this.routes.get(`${method} ${path}`);
      if (!route && method === 'HEAD') route = this.routes.get(`GET ${path}`);
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '86400',
        });
        res.end();
        return;
      }
      if (!route) {
        const allowed = [...this.routes.values()].filter((r) => r.path === path).map((r) => r.method);
        if (allowed.length > 0) {
          return this.writeError(res, 405, `method ${method} not allowed`, { Allow: allowed.join(', ') });
        }
        return this.writeError(res, 404, `no route ${path}`);
      }
      if (!route.public && !this.authorized(req, this.options.token)) {
        return this.writeError(res, 401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
      }
      if (route.admin && !this.authorized(req, this.options.adminToken)) {
        return this.writeError(res, 401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
      }
      const out = await context.with(trace.setSpan(parent, span), () => route.handler(req, res));
      if (out === 'handled') return;
      if (!res.headersSent) {
        res.writeHead(out.status, { 'Access-Control-Allow-Origin': '*', ...out.headers });
      }
      res.end(method === 'HEAD' ? undefined : out.body);
    };
    run().catch((err: unknown) => {
      diag.error(`@wundr/otel: endpoint ${method} ${path} failed: ${(err as Error)?.message ?? String(err)}`);
      if (!res.headersSent) this.writeError(res, 500, 'internal error');
      else res.destroy();
    });
  }

  private writeError(res: http.ServerResponse, statusCode: number, error: string, headers: Record<string, string> = {}): void {
    res.writeHead(statusCode, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', ...headers });
    res.end(JSON.stringify({ error, statusCode, timestamp: new Date().toISOString() }));
  }
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

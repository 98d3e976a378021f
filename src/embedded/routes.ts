/**
 * GET /dashboard, GET /traces, GET /traces/<traceId> and the page at `/`
 * with its assets. All GET; the data routes take the endpoint's bearer token
 * like the others, and without one the trace routes answer loopback callers
 * only. The page and its assets carry no data, so a browser can load them
 * without a header; the page's script sends the token it is given.
 */
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { context, diag } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { json, type Route } from '../endpoint/EndpointServer.ts';
import type { MetricRetentionStore } from './MetricRetentionStore.ts';
import type { TraceRing } from './TraceRing.ts';
import { listTraces, mergeViews, traceView, type TraceView } from './traceViews.ts';
import { scrubText } from '../logging/scrubText.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;
const PEER_TIMEOUT_MS = 2000;
const MAX_PEER_BYTES = 8 * 1024 * 1024;

/** The page's policy: its own script and styles only, data from this origin only. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function query(req: http.IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

function flag(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  const s = v.toLowerCase();
  if (s === '' || s === 'true' || s === '1' || s === 'yes') return true;
  if (s === 'false' || s === '0' || s === 'no') return false;
  return undefined;
}

/** GET /dashboard?since&raw&minute&hour (the old route), plus `metric=a,b` to pick series. */
export function dashboardRoute(get: () => MetricRetentionStore | undefined): Route {
  return {
    method: 'GET',
    path: '/dashboard',
    handler: (req) => {
      const store = get();
      if (!store) return json(200, { message: 'The metric retention store is off (WUNDR_OTEL_EMBEDDED=false or METRICS_ENABLED=false).', metrics: [] });
      const q = query(req);
      const since = Number(q.get('since') ?? '0');
      const metrics = (q.get('metric') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      return json(
        200,
        store.exportForDashboard({
          sinceMs: Number.isFinite(since) ? since : 0,
          includeRaw: flag(q.get('raw')) ?? true,
          includeMinute: flag(q.get('minute')) ?? true,
          includeHour: flag(q.get('hour')) ?? true,
          metrics,
        }),
      );
    },
  };
}

export interface TraceRouteOptions {
  ring: () => TraceRing | undefined;
  peers: () => readonly string[];
  /** The endpoint's bearer token, sent to peers as it is sent here. */
  token: string | undefined;
}

/** GET /traces?error&minDurationMs&limit */
export function tracesRoute(o: TraceRouteOptions): Route {
  return {
    method: 'GET',
    path: '/traces',
    requestData: true,
    handler: (req) => {
      const ring = o.ring();
      if (!ring) return json(200, { traces: [] });
      const q = query(req);
      const minRaw = q.get('minDurationMs') ?? q.get('minDuration');
      const min = minRaw === null ? undefined : Number(minRaw);
      const limit = Number(q.get('limit') ?? '50');
      return json(200, {
        traces: listTraces(ring.finished(), {
          error: flag(q.get('error')),
          minDurationMs: min !== undefined && Number.isFinite(min) ? min : undefined,
          limit: Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), 1000) : 50,
        }),
      });
    },
  };
}

/** GET /traces/<traceId>: this process's spans and log lines of the trace, with the peers' spans of it. */
export function traceRoute(o: TraceRouteOptions): Route {
  return {
    method: 'GET',
    path: '/traces/',
    prefix: true,
    requestData: true,
    handler: async (req) => {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const id = (q === -1 ? url : url.slice(0, q)).slice('/traces/'.length).toLowerCase();
      if (!TRACE_ID.test(id)) return json(400, { error: 'a trace id is 32 lowercase hex characters', statusCode: 400, timestamp: new Date().toISOString() });
      const entry = o.ring()?.get(id);
      let view: TraceView | undefined = entry ? traceView(entry) : undefined;
      // A peer's own answer stays local, so two peers that name each other do not loop.
      if (flag(query(req).get('local')) !== true) {
        const others = await Promise.all(o.peers().map((p) => fetchPeerTrace(p, id, o.token)));
        for (const v of others) if (v) view = mergeViews(view, v);
      }
      if (!view) return json(404, { error: `trace ${id} is not in the recent traces`, statusCode: 404, timestamp: new Date().toISOString() });
      return json(200, view);
    },
  };
}

const refusedBy = new Set<string>();

/** Once per peer: a refusal is a configuration to fix, not a passing failure, and the page shows nothing of it. */
function warnRefused(base: string, status: number): void {
  if (refusedBy.has(base)) return;
  refusedBy.add(base);
  diag.warn(
    `@wundr/otel: trace peer ${scrubText(base)} refused the trace look-up (${status}); its spans are left out. Set the same WUNDR_OTEL_ENDPOINT_TOKEN on every peer (without one, a peer answers loopback callers only).`,
  );
}

/** A peer's view of a trace; undefined when it has none, is down or answers garbage (bounded in time and size). */
export function fetchPeerTrace(base: string, traceId: string, token: string | undefined): Promise<TraceView | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: TraceView | undefined): void => {
      if (!done) {
        done = true;
        resolve(v);
      }
    };
    try {
      // Untraced: the page's look-ups are not the application's traffic.
      context.with(suppressTracing(context.active()), () => {
        const req = http.get(
          `${base}/traces/${traceId}?local=1`,
          { timeout: PEER_TIMEOUT_MS, headers: token ? { authorization: `Bearer ${token}` } : {} },
          (res) => {
            if (res.statusCode !== 200) {
              if (res.statusCode === 401 || res.statusCode === 403) warnRefused(base, res.statusCode);
              res.resume();
              return finish(undefined);
            }
            let size = 0;
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > MAX_PEER_BYTES) {
                req.destroy();
                return finish(undefined);
              }
              chunks.push(c);
            });
            res.on('end', () => {
              try {
                const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TraceView;
                finish(v && v.traceId === traceId && Array.isArray(v.spans) && Array.isArray(v.logs) ? v : undefined);
              } catch {
                finish(undefined);
              }
            });
            res.on('error', () => finish(undefined));
          },
        );
        req.on('socket', (s) => s.unref());
        req.on('timeout', () => req.destroy());
        req.on('error', (err) => {
          diag.debug(`@wundr/otel: trace peer ${base}: ${err.message}`);
          finish(undefined);
        });
      });
    } catch {
      finish(undefined);
    }
  });
}

/** Where the page's files are: assets/embedded at the package root (beside build/). */
export function assetsDir(): string {
  // build/src/embedded -> package root; src/embedded when run from the sources.
  for (const up of [['..', '..', '..'], ['..', '..']]) {
    const dir = path.join(__dirname, ...up, 'assets', 'embedded');
    if (fs.existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return path.join(__dirname, '..', '..', '..', 'assets', 'embedded');
}

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The page and its files, read once on first request. */
export function pageRoutes(options: { jaegerUiUrl: string | undefined; dir?: string }): Route[] {
  const dir = options.dir ?? assetsDir();
  const cache = new Map<string, Buffer>();
  const read = (name: string): Buffer | undefined => {
    let b = cache.get(name);
    if (b === undefined) {
      try {
        let raw = fs.readFileSync(path.join(dir, name));
        if (name === 'index.html') raw = Buffer.from(raw.toString('utf8').replace('%JAEGER_UI_URL%', escapeAttr(options.jaegerUiUrl ?? '')));
        b = raw;
        cache.set(name, b);
      } catch (err) {
        diag.warn(`@wundr/otel: the page's file ${name} cannot be read (${(err as Error).message}); is the package installed whole?`);
        return undefined;
      }
    }
    return b;
  };
  const headers = (type: string) => ({
    'Content-Type': type,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  const serve = (name: string, type: string): Route['handler'] => () => {
    const body = read(name);
    return body ? { status: 200, headers: headers(type), body } : json(500, { error: `${name} is missing`, statusCode: 500, timestamp: new Date().toISOString() });
  };
  return [
    { method: 'GET', path: '/', public: true, handler: serve('index.html', 'text/html; charset=utf-8') },
    ...Object.entries(ASSETS).map(([name, type]): Route => ({ method: 'GET', path: `/assets/${name}`, public: true, handler: serve(name, type) })),
  ];
}

/**
 * Experiment (not part of the package): incoming HTTP server spans from
 * Node's own diagnostics_channel events instead of instrumentation-http's
 * patching, to measure what that design would save. Preload it BEFORE the
 * package's preload:
 *
 *   node --require build/bench/exp-dc-server.js --require build/src/register.js app.js
 *
 * It makes the package's HttpInstrumentation skip incoming requests
 * (`disableIncomingRequestInstrumentation: true`; outgoing requests stay
 * instrumented) and creates the same SERVER span (stable HTTP semconv
 * attributes, W3C context extracted, the span active during the handler)
 * and the same `http.server.request.duration` histogram from the
 * `http.server.request.start` / `http.server.response.finish` channels.
 */
import * as dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, metrics, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Histogram, type Span, type Tracer } from '@opentelemetry/api';

const httpExports = require('@opentelemetry/instrumentation-http') as { HttpInstrumentation: new (c?: object) => object };
const Original = httpExports.HttpInstrumentation;
httpExports.HttpInstrumentation = class extends (Original as new (c?: object) => object) {
  constructor(config: object = {}) {
    super({ ...config, disableIncomingRequestInstrumentation: true });
  }
} as never;

const SPAN = Symbol('wundr.exp.span');
const START = Symbol('wundr.exp.start');
type Res = ServerResponse & { [SPAN]?: Span; [START]?: number };

let tracer: Tracer | undefined;
let histogram: Histogram | undefined;

/** The ALS behind the global context manager (private in the API; fine for an experiment). */
function als(): { enterWith(c: Context): void } | undefined {
  const mgr = (context as unknown as { _getContextManager(): { _asyncLocalStorage?: { enterWith(c: Context): void } } })._getContextManager();
  return mgr._asyncLocalStorage;
}

dc.subscribe('http.server.request.start', (msg) => {
  const { request, response } = msg as { request: IncomingMessage; response: Res };
  tracer ??= trace.getTracer('wundr-exp-http');
  histogram ??= metrics.getMeter('wundr-exp-http').createHistogram('http.server.request.duration', { unit: 's' });
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const method = request.method ?? 'GET';
  const url = request.url ?? '/';
  const q = url.indexOf('?');
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'url.scheme': 'http',
        'url.path': q < 0 ? url : url.slice(0, q),
        'server.address': request.headers.host,
        'network.protocol.version': request.httpVersion,
        'user_agent.original': request.headers['user-agent'],
        'client.address': request.socket.remoteAddress,
      },
    },
    parent,
  );
  response[SPAN] = span;
  response[START] = performance.now();
  // The 'request' event is emitted right after this message, synchronously: the handler runs in the span.
  als()?.enterWith(trace.setSpan(parent, span));
});

dc.subscribe('http.server.response.finish', (msg) => {
  const { request, response } = msg as { request: IncomingMessage; response: Res };
  const span = response[SPAN];
  if (!span) return;
  const status = response.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
  histogram?.record((performance.now() - response[START]!) / 1000, {
    'http.request.method': request.method ?? 'GET',
    'http.response.status_code': status,
    'url.scheme': 'http',
    'network.protocol.version': request.httpVersion,
  });
});

/**
 * Private members of @opentelemetry/otlp-exporter-base (pinned 0.301): the
 * RetryingTransport inside an OTLP/HTTP exporter, reached as
 * `exporter._delegate._transport`, and the node HTTP transport inside it
 * (`_transport`, whose `_loadUtils()` gives the agent and the request
 * function it sends with). test/sdk/internals.test.ts fails when a new
 * version builds its exporters differently.
 */
import type { ClientRequest } from 'node:http';
import { pacedRequest } from '../encoder/pacedRequest.ts';

/** The transport that waits between attempts (otlp-exporter-base RetryingTransport). */
interface RetryingTransport {
  _transport: { send(data: Uint8Array, timeoutMillis: number): Promise<unknown>; shutdown?(): void };
  retry(data: Uint8Array, timeoutMillis: number, inMillis: number): Promise<unknown>;
}

/** Detection: the exporter's retrying transport, or undefined when it is not built as 0.301 builds it. */
export function retryingTransportOf(exporter: unknown): RetryingTransport | undefined {
  const retrying = (exporter as { _delegate?: { _transport?: Partial<RetryingTransport> } })?._delegate?._transport;
  if (typeof retrying?.retry !== 'function' || typeof retrying._transport?.send !== 'function') return undefined;
  return retrying as RetryingTransport;
}

interface ExportResponse {
  status?: string;
  error?: { code?: unknown };
}

type RequestFn = (...args: any[]) => ClientRequest;

interface HttpTransport {
  _loadUtils(): Promise<{ agent: unknown; request: RequestFn }>;
}

/**
 * Makes an OTLP/HTTP exporter write each request body in pieces over turns
 * of the event loop (encoder/pacedRequest.ts says why and how fast); everything else
 * about sending (headers, compression, timeout, how answers are read) stays
 * the stock transport's. Fallback: returns false and leaves the exporter as
 * it is.
 */
export function paceRequestBodies(exporter: unknown): boolean {
  const inner = retryingTransportOf(exporter)?._transport as Partial<HttpTransport> | undefined;
  if (typeof inner?._loadUtils !== 'function') return false;
  const loadUtils = inner._loadUtils.bind(inner);
  // The transport loads its request function once; it is wrapped once.
  let stock: RequestFn | undefined;
  let paced: RequestFn | undefined;
  inner._loadUtils = async () => {
    const utils = await loadUtils();
    if (typeof utils?.request !== 'function') return utils;
    if (utils.request !== stock) paced = pacedRequest((stock = utils.request));
    return { ...utils, request: paced! };
  };
  return true;
}

/** Network errors that say nobody is there (as opposed to a collector that is slow). */
const NOBODY_THERE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

interface Handle {
  final: boolean;
  sleeping: Set<() => void>;
  /** Called each time an export starts waiting for its next attempt. */
  onWait: Set<() => void>;
}

/** The handle of each adopted exporter, for {@link onRetryWait}. */
const byExporter = new WeakMap<object, Handle>();

/** The adopted transports still open. */
const handles = new Set<Handle>();

/**
 * Adjusts an OTLP/HTTP exporter's retries (same schedule and deadline otherwise):
 * - it waits between attempts on an unref()ed timer: the backoff timer is
 *   the one handle of an export that the unref'd socket agent cannot reach,
 *   and it would hold a finished program open (docs/RELIABILITY.md);
 * - once the final flush has begun (`finalFlushBegins()`), a refused
 *   connection is final: no further attempt, and a retry already waiting is
 *   made at once. A program that ran where no collector listens ends right
 *   after its work instead of at the shutdown bound; a collector that
 *   accepts and then hangs is not "refused", the bound still holds.
 * Fallback: returns false and leaves the exporter as it is.
 */
export function unrefRetryTimers(exporter: unknown): boolean {
  const retrying = retryingTransportOf(exporter);
  if (!retrying) return false;
  const inner = retrying._transport;
  const handle: Handle = { final: false, sleeping: new Set(), onWait: new Set() };
  handles.add(handle);
  byExporter.set(exporter as object, handle);
  let last: ExportResponse | undefined;
  // Every attempt's answer is recorded (the first one goes to the transport directly).
  const send = inner.send.bind(inner);
  inner.send = (data, timeoutMillis) =>
    send(data, timeoutMillis).then((r) => {
      last = r as ExportResponse;
      return r;
    });
  const refused = (): boolean => {
    const code = last?.status === 'retryable' ? last.error?.code : undefined;
    return typeof code === 'string' && NOBODY_THERE.has(code);
  };
  retrying.retry = (data, timeoutMillis, inMillis) => {
    if (handle.final && refused()) return Promise.resolve({ status: 'failure', error: last!.error });
    return new Promise((resolve, reject) => {
      const go = (): void => {
        clearTimeout(timer);
        handle.sleeping.delete(go);
        inner.send(data, timeoutMillis).then(resolve, reject);
      };
      const timer = setTimeout(go, inMillis);
      timer.unref();
      handle.sleeping.add(go);
      for (const f of handle.onWait) {
        try {
          f();
        } catch {
          // A listener never stops the export.
        }
      }
    });
  };
  const shutdown = inner.shutdown?.bind(inner);
  inner.shutdown = () => {
    handles.delete(handle);
    shutdown?.();
  };
  return true;
}

/** From now on a refused connection ends an export at once; waiting retries are made now. */
export function finalFlushBegins(): void {
  for (const h of handles) {
    h.final = true;
    for (const go of [...h.sleeping]) go();
  }
}

/**
 * Calls `listener` each time an export of `exporter` (adopted by
 * {@link unrefRetryTimers}) starts waiting before its next attempt: nothing
 * of it is on the network then. Returns false for an exporter not adopted.
 */
export function onRetryWait(exporter: unknown, listener: () => void): boolean {
  const handle = exporter !== null && typeof exporter === 'object' ? byExporter.get(exporter) : undefined;
  if (!handle) return false;
  handle.onWait.add(listener);
  return true;
}

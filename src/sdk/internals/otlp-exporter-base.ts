/**
 * Private members of @opentelemetry/otlp-exporter-base (pinned 0.301): the
 * RetryingTransport inside an OTLP/HTTP exporter, reached as
 * `exporter._delegate._transport`. test/sdk/internals.test.ts fails when a
 * new version builds its exporters differently.
 */

/** The transport that waits between attempts (otlp-exporter-base RetryingTransport). */
interface RetryingTransport {
  _transport: { send(data: Uint8Array, timeoutMillis: number): Promise<unknown> };
  retry(data: Uint8Array, timeoutMillis: number, inMillis: number): Promise<unknown>;
}

/** Detection: the exporter's retrying transport, or undefined when it is not built as 0.301 builds it. */
export function retryingTransportOf(exporter: unknown): RetryingTransport | undefined {
  const retrying = (exporter as { _delegate?: { _transport?: Partial<RetryingTransport> } })?._delegate?._transport;
  if (typeof retrying?.retry !== 'function' || typeof retrying._transport?.send !== 'function') return undefined;
  return retrying as RetryingTransport;
}

/**
 * Makes an OTLP/HTTP exporter wait between retries on an unref()ed timer:
 * the backoff timer is the one handle of an export that the unref'd socket
 * agent cannot reach, and it would hold a finished program open
 * (docs/RELIABILITY.md, "Known limits"). The schedule and the deadline are
 * unchanged. Fallback: returns false and leaves the exporter as it is.
 */
export function unrefRetryTimers(exporter: unknown): boolean {
  const retrying = retryingTransportOf(exporter);
  if (!retrying) return false;
  const inner = retrying._transport;
  retrying.retry = (data, timeoutMillis, inMillis) =>
    new Promise((resolve, reject) => {
      setTimeout(() => inner.send(data, timeoutMillis).then(resolve, reject), inMillis).unref();
    });
  return true;
}

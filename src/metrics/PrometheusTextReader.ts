/**
 * The pull reader behind GET /metrics: a sdk-metrics MetricReader (so it
 * sees every instrument of the SDK and every metric producer) whose text is
 * rendered by PrometheusTextSerializer — the same text as the exporter's,
 * faster. The class is built on first use: sdk-metrics is loaded only when
 * metrics are enabled.
 */
import { diag } from '@opentelemetry/api';
import type { MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ServerResponse } from 'node:http';
import { PrometheusTextSerializer } from './PrometheusTextSerializer.ts';

export interface PrometheusTextReader extends MetricReader {
  /** Collects and renders the exposition text. */
  text(): Promise<string>;
  /** Writes a scrape response (200 text/plain, or 500 when collection fails). */
  respond(res: ServerResponse): Promise<void>;
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let ReaderClass: (new (producers: MetricProducer[]) => PrometheusTextReader) | undefined;

function readerClass(): new (producers: MetricProducer[]) => PrometheusTextReader {
  if (ReaderClass) return ReaderClass;
  const sm = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  class Reader extends sm.MetricReader implements PrometheusTextReader {
    private readonly serializer = new PrometheusTextSerializer();
    constructor(producers: MetricProducer[]) {
      super({ metricProducers: producers });
    }
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
    async text(): Promise<string> {
      const { resourceMetrics, errors } = await this.collect();
      if (errors.length > 0) diag.error('@wundr/otel: metrics collection errors', ...errors);
      return this.serializer.serialize(resourceMetrics);
    }
    async respond(res: ServerResponse): Promise<void> {
      let body: string;
      try {
        body = await this.text();
      } catch (err) {
        diag.error(`@wundr/otel: /metrics collection failed: ${(err as Error)?.message ?? String(err)}`);
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`# failed to export metrics: ${String(err)}\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
      res.end(res.req?.method === 'HEAD' ? undefined : body);
    }
  }
  ReaderClass = Reader;
  return Reader;
}

/** A pull reader for the given producers (the builder's, so it sees what every reader sees). */
export function createPrometheusTextReader(producers: MetricProducer[]): PrometheusTextReader {
  return new (readerClass())(producers);
}

import type { Resource } from '@opentelemetry/resources';
import type { MetricProducer, MetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor, Sampler } from '@opentelemetry/sdk-trace';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { WundrOtelConfig } from './config.ts';
import type { EndpointServer, Route } from './endpoint/EndpointServer.ts';

/**
 * What a feature may add before the providers are built (OTel JS 2+
 * providers take their processors and readers in the constructor only).
 */
export interface SdkBuilder {
  readonly config: WundrOtelConfig;
  readonly resource: Resource;
  readonly views: ViewOptions[];
  readonly metricProducers: MetricProducer[];
  /** Extra pull readers (health and alerting read the SDK's own data through one). */
  readonly metricReaders: MetricReader[];
  readonly spanProcessors: SpanProcessor[];
  readonly logRecordProcessors: LogRecordProcessor[];
  readonly routes: Route[];
  /** A feature may wrap the configured sampler (e.g. to short-circuit unsampled children). */
  sampler: Sampler;
}

/** The started SDK, as features see it. */
export interface RunningSdk {
  readonly config: WundrOtelConfig;
  readonly resource: Resource;
  /** The SDK tracer provider, or the API's pass-through one when no span is recorded. */
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider | undefined;
  readonly loggerProvider: LoggerProvider;
  readonly endpoint: EndpointServer | undefined;
}

/**
 * One part of the package (metrics, logging, tracing, health, alerting) as
 * the SDK assembly sees it. A feature loads its heavy modules lazily inside
 * these hooks, so what the configuration switches off costs nothing at start.
 */
export interface Feature {
  readonly name: string;
  configure?(builder: SdkBuilder): void;
  start?(sdk: RunningSdk): void;
  forceFlush?(): Promise<void>;
  shutdown?(): Promise<void>;
  /** After the providers have shut down (their last collection and export are done). */
  stopped?(): void;
}

/**
 * The GenAI semantic conventions' client metrics (gen_ai.client.*), recorded
 * beside wundr_model_* for each LLM call: OTLP consumers and GenAI dashboards
 * read these names. Names, units, help and buckets come from the catalogue.
 */
import { metrics, type Attributes, type Histogram, type MeterProvider } from '@opentelemetry/api';
import { getMetricDef } from './catalogue.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';

interface Instruments {
  duration: Histogram;
  tokens: Histogram;
  firstChunk: Histogram;
}

// One set per meter provider: the global one changes when an SDK starts or stops.
const byProvider = new WeakMap<MeterProvider, Instruments>();

function histogram(provider: MeterProvider, name: string): Histogram {
  const d = getMetricDef(name);
  if (!d) throw new Error(`@wundr/otel: ${name} is not in the catalogue`);
  return provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION).createHistogram(d.otelName, {
    description: d.help,
    unit: d.unit,
    advice: { explicitBucketBoundaries: [...(d.buckets ?? [])] },
  });
}

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  let i = byProvider.get(provider);
  if (!i) {
    i = {
      duration: histogram(provider, 'gen_ai_client_operation_duration'),
      tokens: histogram(provider, 'gen_ai_client_token_usage'),
      firstChunk: histogram(provider, 'gen_ai_client_operation_time_to_first_chunk'),
    };
    byProvider.set(provider, i);
  }
  return i;
}

export interface GenAiCallMetrics {
  operation: string;
  provider: string;
  requestModel: string;
  responseModel?: string;
  serverAddress?: string;
  serverPort?: number;
  durationSeconds: number;
  /** Set on failed calls only. */
  errorType?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Streamed calls that got a chunk. */
  timeToFirstChunkSeconds?: number;
}

/** Records one call on gen_ai.client.operation.duration, .token.usage and (streams) .time_to_first_chunk. */
export function recordGenAiCall(m: GenAiCallMetrics): void {
  const i = instruments();
  const a: Attributes = {
    'gen_ai.operation.name': m.operation,
    'gen_ai.provider.name': m.provider,
    'gen_ai.request.model': m.requestModel,
  };
  if (m.responseModel) a['gen_ai.response.model'] = m.responseModel;
  if (m.serverAddress) a['server.address'] = m.serverAddress;
  if (m.serverPort !== undefined) a['server.port'] = m.serverPort;
  const withError = m.errorType ? { ...a, 'error.type': m.errorType } : a;
  i.duration.record(m.durationSeconds, withError);
  if (m.timeToFirstChunkSeconds !== undefined) i.firstChunk.record(m.timeToFirstChunkSeconds, withError);
  if (m.inputTokens !== undefined) i.tokens.record(m.inputTokens, { ...a, 'gen_ai.token.type': 'input' });
  if (m.outputTokens !== undefined) i.tokens.record(m.outputTokens, { ...a, 'gen_ai.token.type': 'output' });
}

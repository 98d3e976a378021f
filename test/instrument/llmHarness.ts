/**
 * The setup of the LLM client tests: the SDK started in-process with its
 * endpoint (real /metrics), a real OTLP receiver, and the local LLM API.
 */
import { freePort, request } from '../support/child.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.ts';
import { startLlmServer, type LlmServer } from '../support/llmServer.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { parseExposition, type Family } from '../metrics/expositionParser.ts';

export const CLIENT = 3;

export interface LlmHarness {
  receiver: OtlpReceiver;
  llm: LlmServer;
  sdk: WundrSdk;
  /** The finished span named `name` with `pred`, waiting for it to be exported. */
  span(name: string, pred?: (s: ReceivedSpan) => boolean, what?: string): Promise<ReceivedSpan>;
  metrics(): Promise<Map<string, Family>>;
  close(): Promise<void>;
}

export async function startLlmHarness(env: Record<string, string> = {}): Promise<LlmHarness> {
  const receiver = await startOtlpReceiver();
  const llm = await startLlmServer();
  const port = await freePort();
  const { config } = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_LOG_LEVEL: 'none',
    OTEL_SERVICE_NAME: 'llm-clients',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(port),
    ...env,
  });
  const sdk = startSdk(config);
  await sdk.ready;
  return {
    receiver,
    llm,
    sdk,
    async span(name, pred = () => true, what = name) {
      const find = () => receiver.spans().find((s) => s.name === name && pred(s));
      await receiver.waitFor(() => find() !== undefined, 10000, what);
      return find()!;
    },
    async metrics() {
      const r = await request(port, '/metrics');
      return parseExposition(r.body);
    },
    async close() {
      await sdk.shutdown(5000);
      await llm.close();
      await receiver.close();
    },
  };
}

/** The spans from `child` up to the root, through the parent ids. */
export function ancestors(spans: ReceivedSpan[], child: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out: ReceivedSpan[] = [];
  for (let s = byId.get(child.parentSpanId); s; s = byId.get(s.parentSpanId)) out.push(s);
  return out;
}

export function traceparentOf(headers: Record<string, unknown>): { traceId: string; parentId: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(headers.traceparent));
  if (!m) throw new Error(`no valid traceparent: ${String(headers.traceparent)}`);
  return { traceId: m[1], parentId: m[2] };
}

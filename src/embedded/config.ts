/**
 * The embedded view's settings (recent-trace ring, retention store, page),
 * read from the environment by a pure function: a bad value gives one
 * warning naming the variable, the value seen and the value used.
 */
import type { ConfigWarning, Env } from '../config.ts';

export interface EmbeddedConfig {
  /** The ring, the retention store, /traces, /dashboard and the page at `/`. */
  enabled: boolean;
  maxTraces: number;
  maxTraceBytes: number;
  /** How often the retention store takes a collection (ms). */
  retentionIntervalMs: number;
  /** Endpoints of federation peers whose spans of the same trace are shown beside this one's. */
  tracePeers: string[];
  /** Jaeger UI base URL: a trace's view links to `${url}/trace/<traceId>`. */
  jaegerUiUrl: string | undefined;
}

export const EMBEDDED_VARIABLES = [
  'WUNDR_OTEL_EMBEDDED',
  'WUNDR_OTEL_TRACES_MAX',
  'WUNDR_OTEL_TRACES_MAX_BYTES',
  'WUNDR_OTEL_RETENTION_INTERVAL',
  'WUNDR_OTEL_TRACE_PEERS',
  'WUNDR_OTEL_JAEGER_UI_URL',
] as const;

export const EMBEDDED_DEFAULTS: EmbeddedConfig = {
  enabled: true,
  maxTraces: 200,
  maxTraceBytes: 6 * 1024 * 1024,
  retentionIntervalMs: 5000,
  tracePeers: [],
  jaegerUiUrl: undefined,
};

function httpUrl(raw: string): string | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

export function loadEmbeddedConfig(env: Env): { config: EmbeddedConfig; warnings: ConfigWarning[] } {
  const warnings: ConfigWarning[] = [];
  const d = EMBEDDED_DEFAULTS;
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number, scale = 1): number => {
    const raw = str(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      warnings.push({ variable: name, value: raw, message: `${name}=${JSON.stringify(raw)} is not a number from ${min} to ${max}; using ${def / scale}` });
      return def;
    }
    return Math.round(n * scale);
  };

  let enabled = d.enabled;
  const on = str('WUNDR_OTEL_EMBEDDED');
  if (on !== undefined) {
    const v = on.toLowerCase();
    if (['true', '1', 'on', 'yes'].includes(v)) enabled = true;
    else if (['false', '0', 'off', 'no'].includes(v)) enabled = false;
    else warnings.push({ variable: 'WUNDR_OTEL_EMBEDDED', value: on, message: `WUNDR_OTEL_EMBEDDED=${JSON.stringify(on)} is not true or false; using ${d.enabled}` });
  }

  const tracePeers: string[] = [];
  for (const part of (str('WUNDR_OTEL_TRACE_PEERS') ?? '').split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const u = httpUrl(p);
    if (u) tracePeers.push(u);
    else warnings.push({ variable: 'WUNDR_OTEL_TRACE_PEERS', value: p, message: `WUNDR_OTEL_TRACE_PEERS: ${JSON.stringify(p)} is not an http(s) URL; it is left out` });
  }

  let jaegerUiUrl: string | undefined;
  const j = str('WUNDR_OTEL_JAEGER_UI_URL');
  if (j !== undefined) {
    jaegerUiUrl = httpUrl(j);
    if (!jaegerUiUrl) warnings.push({ variable: 'WUNDR_OTEL_JAEGER_UI_URL', value: j, message: `WUNDR_OTEL_JAEGER_UI_URL=${JSON.stringify(j)} is not an http(s) URL; traces are not linked to Jaeger` });
  }

  return {
    config: {
      enabled,
      maxTraces: int('WUNDR_OTEL_TRACES_MAX', d.maxTraces, 1, 100_000),
      maxTraceBytes: int('WUNDR_OTEL_TRACES_MAX_BYTES', d.maxTraceBytes, 65_536, 4 * 1024 ** 3),
      retentionIntervalMs: int('WUNDR_OTEL_RETENTION_INTERVAL', d.retentionIntervalMs, 1, 3600, 1000),
      tracePeers,
      jaegerUiUrl,
    },
    warnings,
  };
}

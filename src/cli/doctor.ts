import * as http from 'node:http';
import * as https from 'node:https';
import type { Command } from './Command.ts';
import { CONFIG_VARIABLES, SECRET_VARIABLES, loadConfig, quoteValue, type Env, type WundrOtelConfig } from '../config.ts';
import { intOption, parseCommandArgs } from './UsageError.ts';
import { scrubText, webhookUrlForDisplay } from '../logging/scrubText.ts';
import { INSTRUMENTATION_NAMES } from '../config/nodeSettings.ts';
import { STOCK_READ_VARIABLES } from '../config/otelVariables.ts';
import { DATABASE_PACKAGES, type DatabaseInstrumentationName } from '../sdk/databases.ts';
import { isInstrumentationEnabled } from '../sdk/instrumentations.ts';
import { EMBEDDED_VARIABLES, loadEmbeddedConfig } from '../embedded/config.ts';

const USAGE = `Usage: wundr-otel doctor [--timeout-ms N]

Reads the configuration from the environment exactly as the preload does and
prints: the variables that are set (secrets masked), the effective
configuration, every configuration warning, and whether the OTLP endpoints
and the metrics port are reachable. Exit code 1 when there is a warning or an
error, 0 when all is well.

  --timeout-ms N   bound on each network check (default 2000)
`;

export type CheckLevel = 'ok' | 'info' | 'error';
export interface DoctorCheck {
  level: CheckLevel;
  what: string;
  detail: string;
}

const MASK = '***';

/** A URL with any user:password and query string masked. */
export function maskUrl(u: string): string {
  try {
    const x = new URL(u);
    if (x.username) x.username = MASK;
    if (x.password) x.password = MASK;
    if (x.search) x.search = '?***';
    return x.toString();
  } catch {
    return u;
  }
}

/** The effective configuration as `key = value` lines, secrets masked. Pure. */
export function effectiveConfigLines(config: WundrOtelConfig): string[] {
  const lines: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) lines.push(`${prefix} = {}`);
      for (const [k, x] of entries) {
        const key = prefix ? `${prefix}.${k}` : k;
        // Header values and tokens are credentials; names are useful to see.
        if (/\.headers$/.test(prefix)) lines.push(`${key} = ${MASK}`);
        else if (/^endpoint\.(token|adminToken)$/.test(key)) lines.push(`${key} = ${x === undefined ? '(unset)' : MASK}`);
        // A webhook's path is its credential (Slack, Teams): only its origin is shown.
        else if (/webhook/i.test(k) && (typeof x === 'string' || Array.isArray(x))) {
          const urls = ([] as unknown[]).concat(x).map((u) => webhookUrlForDisplay(String(u)));
          lines.push(`${key} = ${urls.length ? urls.join(',') : '(none)'}`);
        }
        else walk(key, x);
      }
      return;
    }
    let s: string;
    if (v === undefined) s = '(unset)';
    else if (Array.isArray(v)) s = v.length ? v.join(',') : '(none)';
    else if (typeof v === 'string' && /^https?:\/\//.test(v)) s = maskUrl(v);
    else s = scrubText(String(v));
    lines.push(`${prefix} = ${s}`);
  };
  walk('', config);
  return lines;
}

const GRPC_EXPORT_PATH = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

/**
 * One OTLP/gRPC Export with an empty request (zero protobuf bytes), through
 * the gRPC library the stock exporters use: an open TCP port is not a
 * collector, an HTTP-only one fails here as the exporter would.
 */
function grpcExport(url: string, signal: keyof typeof GRPC_EXPORT_PATH, headers: Record<string, string>, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const u = new URL(url);
  const credentials = u.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  const client = new grpc.Client(u.host, credentials);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) {
    try {
      metadata.set(k.toLowerCase(), v);
    } catch {
      // A header gRPC cannot carry: the export would go without it too.
    }
  }
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      GRPC_EXPORT_PATH[signal],
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      metadata,
      { deadline: Date.now() + timeoutMs },
      (err) => {
        client.close();
        if (!err) resolve({ ok: true });
        else resolve({ ok: false, error: `${grpc.status[err.code] ?? err.code}: ${scrubText(err.details || err.message)}` });
      },
    );
  });
}

function httpRequest(url: string, method: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve({ error: 'bad URL' });
      return;
    }
    const req = (u.protocol === 'https:' ? https : http).request(u, { method, headers: { ...headers, 'Content-Length': '0' }, timeout: timeoutMs });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    req.end();
  });
}

/** Reachability of each OTLP endpoint in use and of the metrics port. */
export async function networkChecks(config: WundrOtelConfig, timeoutMs: number): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  if (config.disabled) return [{ level: 'info', what: 'SDK', detail: 'OTEL_SDK_DISABLED=true: nothing is exported or served' }];
  const signals: [string, boolean, WundrOtelConfig['otlp']['traces']][] = [
    ['traces', config.tracing.enabled && config.tracing.exporters.includes('otlp'), config.otlp.traces],
    ['metrics', config.metrics.exporters.includes('otlp'), config.otlp.metrics],
    ['logs', config.logging.exporters.includes('otlp'), config.otlp.logs],
  ];
  const seen = new Map<string, DoctorCheck>();
  for (const [signal, used, c] of signals) {
    if (!used) {
      out.push({ level: 'info', what: `OTLP ${signal}`, detail: 'not exported over OTLP' });
      continue;
    }
    const key = `${c.protocol} ${c.url}`;
    let check = seen.get(key);
    if (!check) {
      const u = new URL(c.url);
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : c.protocol === 'grpc' ? 4317 : 80));
      if (c.protocol === 'grpc') {
        const r = await grpcExport(`${u.protocol}//${u.hostname}:${port}`, signal as keyof typeof GRPC_EXPORT_PATH, c.headers, timeoutMs);
        check = r.ok
          ? { level: 'ok', what: '', detail: `${u.hostname}:${port} accepted an OTLP/gRPC export` }
          : { level: 'error', what: '', detail: `${u.hostname}:${port} did not accept an OTLP/gRPC export (${r.error})` };
      } else {
        // An empty export request: a collector answers 200 (or 4xx for the content type); any answer means reachable.
        const r = await httpRequest(c.url, 'POST', timeoutMs, { 'Content-Type': c.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf', ...c.headers });
        check =
          r.status !== undefined
            ? { level: r.status === 404 ? 'error' : 'ok', what: '', detail: `${maskUrl(c.url)} answered HTTP ${r.status}${r.status === 404 ? ' (wrong path? the URL must end in /v1/' + signal + ')' : ''}` }
            : { level: 'error', what: '', detail: `${maskUrl(c.url)} unreachable: ${r.error}` };
      }
      seen.set(key, check);
    }
    out.push({ ...check, what: `OTLP ${signal}` });
  }

  if (!config.metrics.enabled && !config.health.enabled) {
    out.push({ level: 'info', what: 'metrics port', detail: 'no endpoint (metrics and health are off)' });
    return out;
  }
  const host = config.metrics.host === '0.0.0.0' || config.metrics.host === '::' ? '127.0.0.1' : config.metrics.host;
  const where = `${host}:${config.metrics.port}`;
  const path = config.metrics.enabled ? '/metrics' : '/live';
  const r = await httpRequest(`http://${host.includes(':') ? `[${host}]` : host}:${config.metrics.port}${path}`, 'GET', timeoutMs, config.endpoint.token ? { Authorization: `Bearer ${config.endpoint.token}` } : {});
  if (r.status === 200) out.push({ level: 'ok', what: 'metrics port', detail: `${where}${path} answers 200 (the app is serving)` });
  else if (r.status !== undefined) out.push({ level: 'error', what: 'metrics port', detail: `${where} is in use and ${path} answered HTTP ${r.status}: another program holds the port, the app could not bind it` });
  else if (r.error === 'ECONNREFUSED') out.push({ level: 'ok', what: 'metrics port', detail: `${where} is free (nothing serves it yet; the app binds it when it starts)` });
  else out.push({ level: 'error', what: 'metrics port', detail: `${where} unreachable: ${r.error}` });
  return out;
}

/**
 * The library instrumentations: which are on, and for an optional one that
 * is on, whether its package can be loaded from here.
 */
export function instrumentationChecks(config: WundrOtelConfig, resolve: (id: string) => string = require.resolve): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  for (const name of INSTRUMENTATION_NAMES) {
    const optional = DATABASE_PACKAGES[name as DatabaseInstrumentationName];
    const on = isInstrumentationEnabled(config.instrumentations, name, optional === undefined);
    if (!on) {
      out.push({ level: 'info', what: `instrumentation ${name}`, detail: 'off' });
      continue;
    }
    if (!optional) {
      out.push({ level: 'ok', what: `instrumentation ${name}`, detail: 'on' });
      continue;
    }
    let found = true;
    try {
      resolve(optional.packageName);
    } catch {
      found = false;
    }
    out.push(
      found
        ? { level: 'ok', what: `instrumentation ${name}`, detail: `on (${optional.packageName})` }
        : { level: 'error', what: `instrumentation ${name}`, detail: `named, but ${optional.packageName} is not installed (npm install ${optional.packageName})` },
    );
  }
  return out;
}

/** The embedded view's settings as `embedded.key = value` lines (peer URLs masked as the others are). Pure. */
export function embeddedConfigLines(c: ReturnType<typeof loadEmbeddedConfig>['config']): string[] {
  return [
    `embedded.enabled = ${c.enabled}`,
    `embedded.maxTraces = ${c.maxTraces}`,
    `embedded.maxTraceBytes = ${c.maxTraceBytes}`,
    `embedded.retentionIntervalMs = ${c.retentionIntervalMs}`,
    `embedded.tracePeers = ${c.tracePeers.length ? c.tracePeers.map(maskUrl).join(',') : '(none)'}`,
    `embedded.jaegerUiUrl = ${c.jaegerUiUrl === undefined ? '(unset)' : maskUrl(c.jaegerUiUrl)}`,
  ];
}

/** The whole report as text, and whether it found a problem. */
export async function doctorReport(env: Env, timeoutMs = 2000): Promise<{ text: string; problems: number }> {
  const { config, warnings: configWarnings } = loadConfig(env, { stdoutIsTTY: false });
  // The embedded view reads its own variables when the preload starts; they are reported as the rest are.
  const embedded = loadEmbeddedConfig(env);
  const warnings = [...configWarnings, ...embedded.warnings];
  const lines: string[] = ['Environment (variables that are set):'];
  const set = [...CONFIG_VARIABLES, ...STOCK_READ_VARIABLES, ...EMBEDDED_VARIABLES].filter((v) => env[v] !== undefined);
  if (set.length === 0) lines.push('  (none: every setting is at its default)');
  // WUNDR_OTEL_TRACE_PEERS is a list: each of its URLs is masked (a query's own commas are left alone elsewhere).
  const shown = (v: string, raw: string): string =>
    v === 'WUNDR_OTEL_TRACE_PEERS' ? raw.split(',').map((u) => maskUrl(u.trim())).join(',') : /^https?:/.test(raw) ? maskUrl(raw) : raw;
  for (const v of set) lines.push(`  ${v}=${SECRET_VARIABLES.has(v) ? '"***"' : quoteValue(v, shown(v, env[v]!))}`);
  lines.push('', 'Effective configuration:', ...effectiveConfigLines(config).map((l) => `  ${l}`), ...embeddedConfigLines(embedded.config).map((l) => `  ${l}`), '');
  lines.push(`Configuration warnings: ${warnings.length}`);
  for (const w of warnings) lines.push(`  WARN  ${scrubText(w.message)}`);
  lines.push('', 'Checks:');
  const checks = [...instrumentationChecks(config), ...(await networkChecks(config, timeoutMs))];
  for (const c of checks) lines.push(`  ${c.level === 'ok' ? 'OK   ' : c.level === 'info' ? 'INFO ' : 'ERROR'} ${c.what}: ${c.detail}`);
  const errors = checks.filter((c) => c.level === 'error').length;
  const problems = errors + warnings.length;
  lines.push('', problems === 0 ? 'No problems found.' : `${errors} error(s), ${warnings.length} warning(s).`);
  return { text: `${lines.join('\n')}\n`, problems };
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'print the effective configuration, its warnings and endpoint reachability',
  usage: USAGE,
  async run(args) {
    const { values } = parseCommandArgs(args, { 'timeout-ms': { type: 'string' } });
    const { text, problems } = await doctorReport(process.env, intOption('timeout-ms', values['timeout-ms']) ?? 2000);
    process.stdout.write(text);
    return problems === 0 ? 0 : 1;
  },
};

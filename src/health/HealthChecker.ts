import { diag } from '@opentelemetry/api';
import { PACKAGE_VERSION } from '../version.ts';
import type { MetricSource } from '../metrics/MetricSnapshot.ts';
import { HealthMetricsReader } from './healthMetrics.ts';
import { scrubText, scrubValue } from '../logging/scrubText.ts';
import type {
  ComponentHealth,
  DaemonStatus,
  DaemonStatusProvider,
  EnhancedHealthResponse,
  HealthCheck,
  HealthCheckOptions,
  HealthCheckResult,
  HealthComponents,
  HealthProbe,
  HealthStatus,
  SubsystemStatus,
} from './types.ts';

export interface HealthCheckerOptions {
  /** HEALTH_CHECK_ENABLED. When false, no check ever runs. */
  enabled?: boolean;
  /** HEALTH_CHECK_TIMEOUT: default per-check bound, ms. */
  timeoutMs?: number;
  /** Reported as `version`; defaults to the package version. */
  version?: string;
  /** A finished run is reused for this long (ms); concurrent requests always share one run. Default 1000. */
  cacheMs?: number;
  /** Where the `metrics` block is read from (the SDK's own metric data). */
  metricSource?: MetricSource;
}

/** The five components docs/HEALTH.md always lists. */
export const CORE_COMPONENTS = ['websocket', 'sessionManager', 'memoryManager', 'llmClient', 'mcpRegistry'] as const;

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

interface Entry {
  name: string;
  check: HealthCheck;
  timeoutMs: number | undefined;
  critical: boolean;
  timeoutStatus: HealthStatus;
  /** A call that has not settled yet: it is awaited again instead of piling up new calls. */
  pending: Promise<HealthCheckResult> | undefined;
  pendingSince: number;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

export function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/** 200 for healthy and degraded, 503 for unhealthy (old `healthStatusToHttpCode`). */
export function healthStatusToHttpCode(status: HealthStatus): number {
  return status === 'unhealthy' ? 503 : 200;
}

function subsystemStatus(s: SubsystemStatus['status'] | undefined): HealthStatus {
  switch (s) {
    case 'running':
      return 'healthy';
    case 'degraded':
      return 'degraded';
    default:
      return 'unhealthy';
  }
}

function normalize(r: HealthCheckResult): { status: HealthStatus; message?: string; metadata?: Record<string, unknown> } {
  if (r === true) return { status: 'healthy' };
  if (r === false) return { status: 'unhealthy', message: 'check returned false' };
  if (r === 'healthy' || r === 'degraded' || r === 'unhealthy') return { status: r };
  if (r && typeof r === 'object' && (r.status === 'healthy' || r.status === 'degraded' || r.status === 'unhealthy')) return r;
  return { status: 'unhealthy', message: `check returned an invalid result: ${String(JSON.stringify(r)).slice(0, 80)}` };
}

/** Resolves with the value, or with `onTimeout` after `ms`; the timer never keeps the process alive. */
function within<T>(p: Promise<T>, ms: number, onTimeout: T): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(onTimeout), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

const TIMED_OUT = Symbol('timed out');

/**
 * The health registry (docs/HEALTH.md): components register a check with a timeout
 * and a critical flag; `check()` runs them all in parallel, each bounded, and
 * aggregates the seed's EnhancedHealthResponse. Concurrent callers share one
 * run, a finished run is reused for `cacheMs`, and a hung check is awaited
 * again next time rather than called again, so hung calls cannot pile up.
 *
 * @example
 * const health = getHealthChecker();
 * health.register('redis', async () => (await redis.ping()) === 'PONG', { timeoutMs: 1000 });
 * health.setStatusProvider(daemon); // surfaces daemon.getStatus().subsystems
 */
export class HealthChecker {
  private readonly entries = new Map<string, Entry>();
  private provider: DaemonStatusProvider | undefined;
  private providerPending: Promise<DaemonStatus> | undefined;
  private enabled: boolean;
  private timeoutMs: number;
  private version: string;
  private cacheMs: number;
  private readonly metricsReader: HealthMetricsReader;
  private inflight: Promise<EnhancedHealthResponse> | undefined;
  private last: { at: number; response: EnhancedHealthResponse } | undefined;
  private ready = false;
  /** How many times the checks actually ran (coalescing is observable in tests). */
  runs = 0;

  constructor(options: HealthCheckerOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.timeoutMs = HealthChecker.validTimeout(options.timeoutMs ?? 5000, 'timeoutMs');
    this.version = options.version ?? PACKAGE_VERSION;
    this.cacheMs = options.cacheMs ?? 1000;
    if (!(this.cacheMs >= 0)) throw new TypeError(`@wundr/otel: HealthChecker cacheMs must be >= 0, got ${String(options.cacheMs)}`);
    this.metricsReader = new HealthMetricsReader(options.metricSource);
  }

  private static validTimeout(ms: unknown, what: string): number {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
      throw new TypeError(`@wundr/otel: health ${what} must be a positive number of milliseconds, got ${String(ms)}`);
    }
    return ms;
  }

  /** Applies configuration (HEALTH_CHECK_ENABLED, HEALTH_CHECK_TIMEOUT) after construction. */
  configure(options: Pick<HealthCheckerOptions, 'enabled' | 'timeoutMs' | 'version' | 'cacheMs' | 'metricSource'>): void {
    if (options.enabled !== undefined) this.enabled = options.enabled;
    if (options.timeoutMs !== undefined) this.timeoutMs = HealthChecker.validTimeout(options.timeoutMs, 'timeoutMs');
    if (options.version !== undefined) this.version = options.version;
    if (options.cacheMs !== undefined) this.cacheMs = options.cacheMs;
    if (options.metricSource !== undefined) this.metricsReader.setSource(options.metricSource);
    this.last = undefined;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * Registers a component check. Throws on a duplicate or malformed name, a
   * non-function check or a bad timeout (definition-time misuse).
   */
  register(name: string, check: HealthCheck, options: HealthCheckOptions = {}): this {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new TypeError(`@wundr/otel: health component name must match ${NAME}, got ${JSON.stringify(name)}`);
    }
    if (typeof check !== 'function') throw new TypeError(`@wundr/otel: health check "${name}" must be a function`);
    if (this.entries.has(name)) throw new Error(`@wundr/otel: health component "${name}" is already registered`);
    const timeoutMs = options.timeoutMs === undefined ? undefined : HealthChecker.validTimeout(options.timeoutMs, `timeoutMs of "${name}"`);
    const ts = options.timeoutStatus ?? 'unhealthy';
    if (!(ts in RANK)) throw new TypeError(`@wundr/otel: timeoutStatus of "${name}" must be healthy|degraded|unhealthy, got ${String(ts)}`);
    this.entries.set(name, {
      name,
      check,
      timeoutMs,
      critical: options.critical ?? true,
      timeoutStatus: ts,
      pending: undefined,
      pendingSince: 0,
    });
    this.last = undefined;
    return this;
  }

  /** Removes a component; true when it was registered. */
  unregister(name: string): boolean {
    this.last = undefined;
    return this.entries.delete(name);
  }

  /** Old API: registers a probe object. */
  registerProbe(probe: HealthProbe): this {
    return this.register(probe.name, probe.check, { timeoutMs: probe.timeoutMs, critical: probe.critical });
  }

  /** Old API. */
  removeProbe(name: string): boolean {
    return this.unregister(name);
  }

  /** Names of the registered components. */
  components(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Surfaces a daemon's getStatus() (docs/HEALTH.md): each subsystem becomes a
   * component (running -> healthy, degraded -> degraded, error/stopped ->
   * unhealthy); a registered check of the same name wins. Pass undefined to remove.
   */
  setStatusProvider(provider: DaemonStatusProvider | undefined): this {
    if (provider !== undefined && typeof provider !== 'function' && typeof (provider as { getStatus?: unknown }).getStatus !== 'function') {
      throw new TypeError('@wundr/otel: a status provider is a function or an object with getStatus()');
    }
    this.provider = provider;
    this.providerPending = undefined;
    this.last = undefined;
    return this;
  }

  setMetricSource(source: MetricSource | undefined): void {
    this.metricsReader.setSource(source);
  }

  /** Tells /ready whether the application has finished starting. */
  setReady(value: boolean): void {
    this.ready = value === true;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Runs every check (coalesced and cached) and aggregates the seed's response. Never rejects. */
  check(): Promise<EnhancedHealthResponse> {
    if (this.last && Date.now() - this.last.at < this.cacheMs) return Promise.resolve(this.last.response);
    if (this.inflight) return this.inflight;
    const run = this.run().then(
      (response) => {
        this.last = { at: Date.now(), response };
        return response;
      },
      (err: unknown) => {
        diag.error(scrubText(`@wundr/otel: health run failed: ${(err as Error)?.message ?? String(err)}`));
        return this.failedResponse(err);
      },
    );
    this.inflight = run.finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Old API: `{ alive, timestamp }`. */
  liveness(): { alive: true; timestamp: string } {
    return { alive: true, timestamp: new Date().toISOString() };
  }

  /** Ready when the app said so and (when checks are on) the service is not unhealthy. */
  async readiness(): Promise<{ ready: boolean; status?: HealthStatus; timestamp: string; message: string }> {
    const timestamp = new Date().toISOString();
    if (!this.ready) return { ready: false, timestamp, message: 'the application has not reported ready (setReady(true))' };
    if (!this.enabled) return { ready: true, timestamp, message: 'ready' };
    const h = await this.check();
    if (h.status === 'unhealthy') {
      const bad = Object.values(h.components)
        .filter((c) => c.status === 'unhealthy')
        .map((c) => c.name);
      return { ready: false, status: h.status, timestamp, message: `unhealthy: ${bad.join(', ')}` };
    }
    return { ready: true, status: h.status, timestamp, message: 'ready' };
  }

  private async runEntry(e: Entry): Promise<{ health: ComponentHealth; critical: boolean }> {
    const start = performance.now();
    const lastCheck = new Date().toISOString();
    const timeoutMs = e.timeoutMs ?? this.timeoutMs;
    const stillRunning = e.pending !== undefined;
    if (!e.pending) {
      let p: Promise<HealthCheckResult>;
      try {
        p = Promise.resolve(e.check());
      } catch (err) {
        p = Promise.reject(err);
      }
      e.pending = p;
      e.pendingSince = Date.now();
      const clear = (): void => {
        if (e.pending === p) e.pending = undefined;
      };
      p.then(clear, clear);
    }
    const pending = e.pending;
    let health: ComponentHealth;
    try {
      const r = await within<HealthCheckResult | typeof TIMED_OUT>(pending, timeoutMs, TIMED_OUT);
      const latency = Math.round((performance.now() - start) * 100) / 100;
      if (r === TIMED_OUT) {
        health = {
          name: e.name,
          status: e.timeoutStatus,
          latency,
          lastCheck,
          message: stillRunning
            ? `check still running after ${Date.now() - e.pendingSince} ms (timeout ${timeoutMs} ms)`
            : `check timed out after ${timeoutMs} ms`,
        };
      } else {
        const n = normalize(r);
        health = { name: e.name, status: n.status, latency, lastCheck };
        if (n.message !== undefined) health.message = String(n.message);
        if (n.metadata !== undefined) health.metadata = n.metadata;
      }
    } catch (err) {
      health = {
        name: e.name,
        status: 'unhealthy',
        latency: Math.round((performance.now() - start) * 100) / 100,
        lastCheck,
        message: `check failed: ${(err as Error)?.message ?? String(err)}`,
      };
    }
    return { health, critical: e.critical };
  }

  private async runProvider(): Promise<{ status?: DaemonStatus; error?: string; latency: number }> {
    const provider = this.provider;
    if (!provider) return { latency: 0 };
    const start = performance.now();
    if (!this.providerPending) {
      let p: Promise<DaemonStatus>;
      try {
        p = Promise.resolve(typeof provider === 'function' ? provider() : provider.getStatus());
      } catch (err) {
        p = Promise.reject(err);
      }
      this.providerPending = p;
      const clear = (): void => {
        if (this.providerPending === p) this.providerPending = undefined;
      };
      p.then(clear, clear);
    }
    try {
      const r = await within<DaemonStatus | typeof TIMED_OUT>(this.providerPending, this.timeoutMs, TIMED_OUT);
      const latency = Math.round((performance.now() - start) * 100) / 100;
      if (r === TIMED_OUT) return { error: `getStatus() did not answer within ${this.timeoutMs} ms`, latency };
      if (!r || typeof r !== 'object') return { error: 'getStatus() returned no object', latency };
      return { status: r, latency };
    } catch (err) {
      return { error: `getStatus() failed: ${(err as Error)?.message ?? String(err)}`, latency: Math.round((performance.now() - start) * 100) / 100 };
    }
  }

  private async run(): Promise<EnhancedHealthResponse> {
    this.runs++;
    const [results, daemon] = await Promise.all([Promise.all([...this.entries.values()].map((e) => this.runEntry(e))), this.runProvider()]);
    const now = new Date().toISOString();
    const components: Record<string, ComponentHealth> = {};
    const critical = new Set<string>();
    let status: HealthStatus = 'healthy';

    if (daemon.status?.subsystems && typeof daemon.status.subsystems === 'object') {
      for (const [name, sub] of Object.entries(daemon.status.subsystems)) {
        if (!sub || typeof sub !== 'object') continue;
        const errors = Array.isArray(sub.errors) ? sub.errors.join('; ') : sub.errors;
        const lc = sub.lastCheck instanceof Date ? sub.lastCheck.toISOString() : typeof sub.lastCheck === 'string' ? sub.lastCheck : now;
        components[name] = {
          name,
          status: subsystemStatus(sub.status),
          latency: daemon.latency,
          lastCheck: lc,
          metadata: { source: 'getStatus', subsystemStatus: sub.status },
          ...(errors ? { message: String(errors) } : {}),
        };
        if ((CORE_COMPONENTS as readonly string[]).includes(name)) critical.add(name);
      }
      // Components only the daemon reports are informational unless core.
    }
    if (daemon.error) {
      components.daemon = { name: 'daemon', status: 'degraded', latency: daemon.latency, lastCheck: now, message: daemon.error };
    }
    for (const r of results) {
      const prev = components[r.health.name];
      // A registered check wins over the daemon's own report; the latter stays visible in metadata.
      components[r.health.name] = prev ? { ...r.health, metadata: { ...r.health.metadata, subsystemStatus: prev.metadata?.subsystemStatus } } : r.health;
      if (r.critical) critical.add(r.health.name);
      else critical.delete(r.health.name);
    }
    for (const name of CORE_COMPONENTS) {
      components[name] ??= { name, status: 'healthy', lastCheck: now, message: 'no check registered', metadata: { monitored: false } };
    }

    for (const c of Object.values(components)) {
      if (c.status === 'unhealthy') status = worst(status, critical.has(c.name) ? 'unhealthy' : 'degraded');
      else status = worst(status, c.status);
    }
    const ds = daemon.status?.status;
    if (ds === 'stopped') status = 'unhealthy';
    else if (ds === 'degraded' || ds === 'initializing') status = worst(status, 'degraded');

    const metrics = await this.metricsReader.read({
      activeSessions: typeof daemon.status?.activeSessions === 'number' ? daemon.status.activeSessions : undefined,
      queuedTasks: typeof daemon.status?.queuedTasks === 'number' ? daemon.status.queuedTasks : undefined,
    });
    const legacy = (c: ComponentHealth | undefined): boolean => c === undefined || c.status !== 'unhealthy';
    // /health is read without a token: error texts and metadata from checks
    // and the daemon lose credentials (URL userinfo, secret parameters) first.
    for (const c of Object.values(components)) {
      if (c.message !== undefined) c.message = scrubText(String(c.message));
      if (c.metadata !== undefined) c.metadata = scrubValue(c.metadata) as Record<string, unknown>;
    }
    return {
      status,
      version: this.version,
      uptime: Math.round(process.uptime()),
      timestamp: now,
      components: components as HealthComponents,
      metrics,
      checks: {
        redis: legacy(components.redis),
        database: legacy(components.database),
        federationRegistry: legacy(components.federation ?? components.federationRegistry),
      },
    };
  }

  private failedResponse(err: unknown): EnhancedHealthResponse {
    const now = new Date().toISOString();
    const components = {} as Record<string, ComponentHealth>;
    for (const name of CORE_COMPONENTS) components[name] = { name, status: 'unhealthy', lastCheck: now, message: scrubText(`health run failed: ${(err as Error)?.message ?? String(err)}`) };
    return {
      status: 'unhealthy',
      version: this.version,
      uptime: Math.round(process.uptime()),
      timestamp: now,
      components: components as HealthComponents,
      metrics: { activeSessions: 0, queuedTasks: 0, memoryUsageMB: 0, memoryHeapUsedMB: 0, cpuUsagePercent: 0, uptimeSeconds: Math.round(process.uptime()) },
      checks: { redis: false, database: false, federationRegistry: false },
    };
  }
}

/** Old API: a probe object from a function (boolean or status result). */
export function createProbe(name: string, fn: HealthCheck, timeoutMs?: number, options: { critical?: boolean } = {}): HealthProbe {
  if (typeof fn !== 'function') throw new TypeError(`@wundr/otel: createProbe("${name}") needs a check function`);
  return { name, check: fn, timeoutMs, critical: options.critical };
}

/** Old API: a probe reading one subsystem's status (running/degraded/error/stopped). */
export function createSubsystemProbe(
  name: string,
  getStatus: () => SubsystemStatus | SubsystemStatus['status'] | Promise<SubsystemStatus | SubsystemStatus['status']>,
  options: { timeoutMs?: number; critical?: boolean } = {},
): HealthProbe {
  return {
    name,
    timeoutMs: options.timeoutMs,
    critical: options.critical,
    check: async () => {
      const s = await getStatus();
      const sub = typeof s === 'string' ? { status: s } : s;
      const errors = Array.isArray(sub.errors) ? sub.errors.join('; ') : sub.errors;
      return { status: subsystemStatus(sub.status), ...(errors ? { message: errors } : {}), metadata: { subsystemStatus: sub.status } };
    },
  };
}

import { EndpointServer, json } from '../endpoint/EndpointServer.ts';
import { getLogLevelRegistry } from '../logging/LogLevelRegistry.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { healthStatusToHttpCode, type HealthChecker } from './HealthChecker.ts';
import { adaptLogLevelRegistry, logLevelRoutes } from './logLevelRoutes.ts';
import type { AlertsSource, HealthStatus } from './types.ts';

/** Old API: a boolean dependency check. */
export type HealthCheckFunction = () => Promise<boolean>;

export interface HealthChecks {
  redis?: HealthCheckFunction;
  database?: HealthCheckFunction;
  federationRegistry?: HealthCheckFunction;
}

/** Old API (reference §4). */
export interface MetricsServerConfig {
  port?: number;
  host?: string;
  enableCors?: boolean;
  enableLogging?: boolean;
  version?: string;
  healthChecks?: HealthChecks;
  /** With a checker, /health answers the seed EnhancedHealthResponse. */
  healthChecker?: HealthChecker;
  /** Served on /alerts (an AlertManager). */
  alertManager?: AlertsSource;
  /** Bearer token for every route but /live; and for POST /loglevel. */
  token?: string;
  adminToken?: string;
}

/** Anything with prom-client's `metrics()` and `contentType` (a prom-client Registry). */
export interface MetricsRegistryLike {
  metrics(): Promise<string> | string;
  contentType?: string;
}

export type EndpointHealthStatus = HealthStatus;

export interface HealthResponse {
  status: EndpointHealthStatus;
  version: string;
  uptime: number;
  checks: { redis: boolean; database: boolean; federationRegistry: boolean };
  timestamp: string;
}

export interface ReadinessResponse {
  ready: boolean;
  timestamp: string;
  message: string;
}

async function legacyCheck(fn: HealthCheckFunction | undefined, timeoutMs: number): Promise<boolean> {
  if (!fn) return true;
  try {
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      t.unref();
      fn().then(
        (v) => {
          clearTimeout(t);
          resolve(v === true);
        },
        () => {
          clearTimeout(t);
          resolve(false);
        },
      );
    });
  } catch {
    return false;
  }
}

/**
 * The old standalone server (`createMetricsServer(registry, config)`), now a
 * thin wrapper over the package's EndpointServer: /metrics from a
 * prom-client registry, /health (old `checks` shape, or the enhanced one
 * with a HealthChecker), /ready, /live, /alerts (with an AlertManager) and
 * /loglevel. Unlike the old one it never keeps the process alive and a
 * check that hangs is cut after 5 s.
 */
export class MetricsServer {
  private readonly endpoint: EndpointServer;
  private readonly config: MetricsServerConfig;
  private ready = false;
  private running = false;

  constructor(registry: MetricsRegistryLike, config: MetricsServerConfig = {}) {
    if (!registry || typeof registry.metrics !== 'function') throw new TypeError('@wundr/otel: MetricsServer needs a registry with metrics() (a prom-client Registry)');
    this.config = config;
    this.endpoint = new EndpointServer({ host: config.host ?? '0.0.0.0', port: config.port ?? 9090, token: config.token, adminToken: config.adminToken ?? config.token, cors: config.enableCors !== false });
    const version = config.version ?? PACKAGE_VERSION;
    this.endpoint.addRoute({
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        try {
          return { status: 200, headers: { 'Content-Type': registry.contentType ?? 'text/plain; version=0.0.4; charset=utf-8' }, body: await registry.metrics() };
        } catch (err) {
          return json(500, { error: `metrics collection failed: ${(err as Error).message}`, statusCode: 500, timestamp: new Date().toISOString() });
        }
      },
    });
    this.endpoint.addRoute({
      method: 'GET',
      path: '/health',
      handler: async () => {
        if (config.healthChecker) {
          const h = await config.healthChecker.check();
          return json(healthStatusToHttpCode(h.status), h);
        }
        const hc = config.healthChecks ?? {};
        const [redis, database, federationRegistry] = await Promise.all([
          legacyCheck(hc.redis, 5000),
          legacyCheck(hc.database, 5000),
          legacyCheck(hc.federationRegistry, 5000),
        ]);
        const ok = [redis, database, federationRegistry].filter(Boolean).length;
        const status: HealthStatus = ok === 3 ? 'healthy' : ok === 0 ? 'unhealthy' : 'degraded';
        const body: HealthResponse = { status, version, uptime: Math.round(process.uptime()), checks: { redis, database, federationRegistry }, timestamp: new Date().toISOString() };
        return json(healthStatusToHttpCode(status), body);
      },
    });
    this.endpoint.addRoute({
      method: 'GET',
      path: '/ready',
      handler: async () => {
        if (config.healthChecker) {
          config.healthChecker.setReady(this.ready);
          const r = await config.healthChecker.readiness();
          return json(r.ready ? 200 : 503, r);
        }
        const body: ReadinessResponse = { ready: this.ready, timestamp: new Date().toISOString(), message: this.ready ? 'ready' : 'not ready' };
        return json(this.ready ? 200 : 503, body);
      },
    });
    this.endpoint.addRoute({ method: 'GET', path: '/live', public: true, handler: () => json(200, { alive: true, timestamp: new Date().toISOString() }) });
    if (config.alertManager) {
      const am = config.alertManager;
      this.endpoint.addRoute({
        method: 'GET',
        path: '/alerts',
        handler: () => json(200, { summary: am.getSummary(), activeAlerts: am.getActiveAlerts(), recentResolved: am.getResolvedAlerts(50), thresholds: am.getThresholds() }),
      });
    }
    for (const r of logLevelRoutes(() => adaptLogLevelRegistry(getLogLevelRegistry()))) this.endpoint.addRoute(r);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const ok = await this.endpoint.start();
    if (!ok) throw new Error(`@wundr/otel: MetricsServer could not listen on ${this.config.host ?? '0.0.0.0'}:${this.config.port ?? 9090}`);
    this.running = true;
  }

  async stop(): Promise<void> {
    await this.endpoint.stop();
    this.running = false;
  }

  setReady(ready: boolean): void {
    this.ready = ready === true;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** The bound port (useful with port 0). */
  get port(): number | undefined {
    return this.endpoint.port;
  }
}

/** Old API. */
export function createMetricsServer(registry: MetricsRegistryLike, config?: MetricsServerConfig): MetricsServer {
  return new MetricsServer(registry, config);
}

/** Health model of docs/HEALTH.md, plus the old endpoint's `checks` map and the daemon status of the old API. */

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface ComponentHealth {
  name: string;
  status: HealthStatus;
  /** Check duration in ms. */
  latency?: number;
  message?: string;
  /** ISO 8601. */
  lastCheck: string;
  metadata?: Record<string, unknown>;
}

/** What a check may return: a status, a boolean (true = healthy) or a detailed result. */
export type HealthCheckResult =
  | HealthStatus
  | boolean
  | { status: HealthStatus; message?: string; metadata?: Record<string, unknown> };

/** An async component check; it may hang or throw, the registry bounds it. */
export type HealthCheck = () => HealthCheckResult | Promise<HealthCheckResult>;

export interface HealthCheckOptions {
  /** Overrides HEALTH_CHECK_TIMEOUT for this component. */
  timeoutMs?: number;
  /**
   * A critical component that is unhealthy makes the whole service unhealthy
   * (503); a non-critical one only degrades it. Default true.
   */
  critical?: boolean;
  /** Status reported when the check does not answer in time. Default 'unhealthy'. */
  timeoutStatus?: HealthStatus;
}

export interface HealthMetrics {
  activeSessions: number;
  /** Backed by wundr_queue_depth (sum over queues). */
  queuedTasks: number;
  /** Resident set size, MiB. */
  memoryUsageMB: number;
  memoryHeapUsedMB: number;
  cpuUsagePercent: number;
  uptimeSeconds: number;
}

/** The old endpoint's boolean map, kept for old consumers. */
export interface LegacyChecks {
  redis: boolean;
  database: boolean;
  federationRegistry: boolean;
}

export type CoreComponentName = 'websocket' | 'sessionManager' | 'memoryManager' | 'llmClient' | 'mcpRegistry';
export type OptionalComponentName = 'redis' | 'database' | 'federation';

export type HealthComponents = Record<CoreComponentName, ComponentHealth> &
  Partial<Record<OptionalComponentName, ComponentHealth>> &
  Record<string, ComponentHealth>;

export interface EnhancedHealthResponse {
  status: HealthStatus;
  version: string;
  /** Process uptime, seconds. */
  uptime: number;
  timestamp: string;
  components: HealthComponents;
  metrics: HealthMetrics;
  checks: LegacyChecks;
}

/** Subsystem entry of the daemon's getStatus() (old DaemonStatus.subsystems). */
export interface SubsystemStatus {
  status: 'running' | 'degraded' | 'error' | 'stopped';
  lastCheck?: Date | string;
  errors?: string[] | string;
}

/** The old daemon's getStatus() shape (reference §7); every field optional for the provider. */
export interface DaemonStatus {
  status?: 'initializing' | 'running' | 'degraded' | 'stopped';
  uptime?: number;
  activeSessions?: number;
  queuedTasks?: number;
  subsystems?: Record<string, SubsystemStatus>;
  [key: string]: unknown;
}

/** A function (or an object with getStatus(), e.g. the daemon itself) giving the daemon status. */
export type DaemonStatusProvider = (() => DaemonStatus | Promise<DaemonStatus>) | { getStatus(): DaemonStatus | Promise<DaemonStatus> };

/** An old-style probe object (reference §5 health.ts). */
export interface HealthProbe {
  name: string;
  check: HealthCheck;
  timeoutMs?: number;
  critical?: boolean;
}

/**
 * What GET /alerts reads: an AlertManager of the alerting part, described by
 * its shape so that health does not depend on alerting.
 */
export interface AlertsSource {
  getSummary(): unknown;
  getActiveAlerts(): unknown;
  getResolvedAlerts(limit: number): unknown;
  getThresholds(): unknown;
}

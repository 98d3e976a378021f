// The health area's public API (re-exported by src/index.ts).
export { HealthChecker, CORE_COMPONENTS, createProbe, createSubsystemProbe, healthStatusToHttpCode } from './HealthChecker.ts';
export type { HealthCheckerOptions } from './HealthChecker.ts';
export { getHealthChecker, setReady } from './feature.ts';
export { HEALTH_METRIC_SOURCES } from './healthMetrics.ts';
export { MetricsServer, createMetricsServer } from './MetricsServer.ts';
export type { MetricsServerConfig, HealthCheckFunction, HealthChecks, HealthResponse, ReadinessResponse, EndpointHealthStatus } from './MetricsServer.ts';
export type {
  HealthStatus,
  HealthStatus as MonitoringHealthStatus,
  ComponentHealth,
  HealthCheck,
  HealthCheckOptions,
  HealthCheckResult,
  HealthMetrics,
  EnhancedHealthResponse,
  DaemonStatus,
  DaemonStatusProvider,
  SubsystemStatus,
  HealthProbe,
} from './types.ts';

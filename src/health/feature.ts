import type { Feature } from '../feature.ts';
import { metricSourceFor } from '../metrics/MetricSnapshot.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { HealthChecker } from './HealthChecker.ts';
import { healthRoutes } from './routes.ts';
import { getLogLevelRegistry } from '../logging/LogLevelRegistry.ts';
import { adaptLogLevelRegistry, logLevelRoutes, type LogLevelControl } from './logLevelRoutes.ts';

let checker: HealthChecker | undefined;

/**
 * The process-wide health registry that /health, /ready and the preload use.
 *
 * @example
 * getHealthChecker().register('database', () => db.ping(), { timeoutMs: 2000 });
 */
export function getHealthChecker(): HealthChecker {
  checker ??= new HealthChecker();
  return checker;
}

/** Tells /ready that the application has finished starting (or is stopping: `false`). */
export function setReady(value: boolean): void {
  getHealthChecker().setReady(value);
}

/** The logging part's level registry (per-component levels, changeable at run time). */
function logLevelControl(): LogLevelControl | undefined {
  try {
    return adaptLogLevelRegistry(getLogLevelRegistry());
  } catch {
    return undefined;
  }
}

/**
 * Health (docs/HEALTH.md): /health, /ready, /live and /loglevel on the one endpoint.
 * HEALTH_CHECK_ENABLED=false: no check runs and /health is not served; /ready
 * then follows setReady() alone; /live and /loglevel stay.
 */
export function healthFeature(): Feature {
  return {
    name: 'health',
    configure(b) {
      const hc = getHealthChecker();
      hc.configure({
        enabled: b.config.health.enabled,
        timeoutMs: b.config.health.timeoutMs,
        version: b.config.serviceVersion ?? PACKAGE_VERSION,
      });
      if (b.config.health.enabled) hc.setMetricSource(metricSourceFor(b));
      b.routes.push(...healthRoutes(hc), ...logLevelRoutes(logLevelControl));
    },
  };
}

import { diag } from '@opentelemetry/api';
import type { Feature } from '../feature.ts';
import type { Route } from '../endpoint/EndpointServer.ts';
import { PACKAGE_VERSION } from '../version.ts';
import { metricSourceFor } from '../metrics/MetricSnapshot.ts';
import { AlertEvaluator } from './AlertEvaluator.ts';
import { rulePromQL } from './PrometheusRuleSerializer.ts';

let evaluator: AlertEvaluator | undefined;

/** Longest wait for webhook deliveries at shutdown. */
const FLUSH_MS = 1000;

/**
 * The process-wide evaluator the preload runs (the eight default rules until
 * you add or remove some).
 *
 * @example
 * getAlertEvaluator().addAction({ type: 'webhook', config: { url: 'http://alertmanager:9093/api/v2/alerts' } });
 * getAlertEvaluator().on('firing', (alert) => console.log(alert.id));
 */
export function getAlertEvaluator(): AlertEvaluator {
  evaluator ??= new AlertEvaluator();
  return evaluator;
}

/** GET /alerts: `{ enabled, summary, activeAlerts, recentResolved, thresholds }` (the old route's shape, rules as thresholds). */
export function alertsRoute(get: () => AlertEvaluator | undefined, enabled: boolean): Route {
  return {
    method: 'GET',
    path: '/alerts',
    handler: () => {
      const ev = get();
      const body = ev
        ? {
            enabled,
            summary: ev.getSummary(),
            activeAlerts: ev.getActiveAlerts(),
            recentResolved: ev.getResolvedAlerts(),
            thresholds: ev.getRules().map((r) => ({
              name: r.name,
              description: r.description,
              metric: r.metric,
              condition: r.condition,
              threshold: r.threshold,
              duration: r.duration,
              severity: r.severity,
              expr: rulePromQL(r),
            })),
          }
        : { enabled: false, summary: null, activeAlerts: [], recentResolved: [], thresholds: [] };
      return { status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: JSON.stringify(body) };
    },
  };
}

/**
 * Alerting (docs/ALERTING.md: the default rules evaluated in-process every
 * ALERTING_EVALUATION_INTERVAL seconds over the SDK's own metric data, and
 * GET /alerts. ALERTING_ENABLED=false: nothing is evaluated; /alerts says so.
 * Without metrics (METRICS_ENABLED=false) there is no data to evaluate.
 */
export function alertingFeature(): Feature {
  let enabled = false;
  return {
    name: 'alerting',
    configure(b) {
      enabled = b.config.alerting.enabled && b.config.metrics.enabled;
      if (b.config.alerting.enabled && !b.config.metrics.enabled) {
        diag.info('@wundr/otel: alerting is on but metrics are off; no alert rule is evaluated');
      }
      if (enabled) {
        const ev = getAlertEvaluator();
        ev.setSource(metricSourceFor(b));
        for (const url of b.config.alerting.webhookUrls) ev.addAction({ type: 'webhook', config: { url } });
      }
      b.routes.push(alertsRoute(() => (enabled ? getAlertEvaluator() : undefined), enabled));
    },
    start(sdk) {
      if (!enabled || !sdk.meterProvider) return;
      const ev = getAlertEvaluator();
      ev.setMeter(sdk.meterProvider.getMeter('@wundr/otel/alerting', PACKAGE_VERSION));
      ev.start(sdk.config.alerting.evaluationIntervalSeconds);
    },
    async shutdown() {
      if (!evaluator) return;
      evaluator.stop();
      // Give webhook deliveries in flight a moment, never the whole shutdown budget: the
      // span/log/metric flush that follows the features must still fit in it.
      await Promise.race([evaluator.flush(), new Promise<void>((r) => setTimeout(r, FLUSH_MS).unref())]);
    },
  };
}

// The alerting area's public API (re-exported by src/index.ts).
export { AlertEvaluator, ALERTS_FIRING_METRIC } from './AlertEvaluator.ts';
export type { AlertEvaluatorOptions, AlertLogger, AlertSummary } from './AlertEvaluator.ts';
export { getAlertEvaluator } from './feature.ts';
export { defineAlertRule } from './defineAlertRule.ts';
export { defaultAlertRules, DEFAULT_ACTIONS } from './defaultRules.ts';
export type { DefaultRuleOptions } from './defaultRules.ts';
export { toPrometheusRuleYaml, toPrometheusRuleGroups, rulePromQL, promDuration } from './PrometheusRuleSerializer.ts';
export { AlertManager } from './AlertManager.ts';
export type { AlertThreshold, ManagedAlert, AlertManagerOptions } from './AlertManager.ts';
export { WebhookSender, webhookBody } from './WebhookSender.ts';
export type { WebhookConfig } from './WebhookSender.ts';
export { StaticMetricSource } from '../metrics/MetricSnapshot.ts';
export type { MetricSource as AlertMetricSource, MetricSnapshot } from '../metrics/MetricSnapshot.ts';
export type { AlertRule, AlertAction, AlertExpression, AlertCondition, AlertSeverity, Alert, AlertState } from './types.ts';

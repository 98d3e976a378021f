/** What every signal shares: the resource, the sampler and the propagators. */
import { randomUUID } from 'node:crypto';
import { hostname, arch } from 'node:os';
import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { WundrOtelConfig } from '../config.ts';
import { buildPropagators } from '../tracing/feature.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';

export function buildSampler(config: WundrOtelConfig): Sampler {
  if (!config.tracing.enabled) return new AlwaysOffSampler();
  const ratio = () => new TraceIdRatioBasedSampler(config.tracing.samplerArg);
  switch (config.tracing.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Host and process attributes, read synchronously. The stock detectors add
 * the command line (which can carry secrets) and settle some attributes
 * asynchronously; neither suits a preload.
 */
export function buildResource(config: WundrOtelConfig): Resource {
  return resourceFromAttributes({
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.distro.name': PACKAGE_NAME,
    'telemetry.distro.version': PACKAGE_VERSION,
    'host.name': hostname(),
    'host.arch': arch() === 'x64' ? 'amd64' : arch(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.executable.name': process.title,
    ...config.resourceAttributes,
    'service.name': config.serviceName,
    ...(config.serviceVersion ? { 'service.version': config.serviceVersion } : {}),
    'service.instance.id': config.serviceInstanceId ?? randomUUID(),
  });
}

export function buildPropagator(config: WundrOtelConfig, extra: TextMapPropagator[]): TextMapPropagator {
  // Legacy x-trace-id (input always, output with `xtraceid`), strict W3C
  // trace context (Level 2 tracestate rules), baggage: see tracing/feature.ts.
  const list: TextMapPropagator[] = buildPropagators(config);
  list.push(...extra);
  return new CompositePropagator({ propagators: list });
}

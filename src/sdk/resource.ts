/** What every signal shares: the resource, the sampler and the propagators. */
import type { Attributes, TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator } from '@opentelemetry/core';
import { detectResources, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { externalDetectors, localDetectorAttributes } from './resourceDetectors.ts';
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
 * The resource: the detectors of OTEL_NODE_RESOURCE_DETECTORS (the local ones
 * read synchronously, see resourceDetectors.ts), then the service attributes,
 * which always win. `container` and the cloud detectors settle
 * asynchronously; the exporters wait for them (the BatchSpanProcessor and
 * BatchLogRecordProcessor do), and the wait is started here so a first scrape
 * finds them settled.
 */
export function buildResource(config: WundrOtelConfig): Resource {
  const attrs: Attributes = {
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.distro.name': PACKAGE_NAME,
    'telemetry.distro.version': PACKAGE_VERSION,
  };
  const opts = { resourceAttributes: config.resourceAttributes, ...(config.serviceInstanceId ? { serviceInstanceId: config.serviceInstanceId } : {}) };
  for (const d of config.resourceDetectors) {
    if (d === 'env' || d === 'host' || d === 'os' || d === 'process' || d === 'serviceinstance') Object.assign(attrs, localDetectorAttributes(d, opts));
  }
  Object.assign(attrs, {
    'service.name': config.serviceName,
    ...(config.serviceVersion ? { 'service.version': config.serviceVersion } : {}),
    ...(config.serviceInstanceId ? { 'service.instance.id': config.serviceInstanceId } : {}),
  });
  let resource = resourceFromAttributes(attrs);
  const external = externalDetectors(config.resourceDetectors);
  if (external.length > 0) {
    // Detected attributes never replace the service's own.
    resource = detectResources({ detectors: external }).merge(resource);
    void resource.waitForAsyncAttributes?.().catch(() => undefined);
  }
  return resource;
}

export function buildPropagator(config: WundrOtelConfig, extra: TextMapPropagator[]): TextMapPropagator {
  // Legacy x-trace-id (input always, output with `xtraceid`), strict W3C
  // trace context (the current tracestate rules), baggage: see tracing/feature.ts.
  const list: TextMapPropagator[] = buildPropagators(config);
  list.push(...extra);
  return new CompositePropagator({ propagators: list });
}

/**
 * OTEL_NODE_RESOURCE_DETECTORS, with sdk-node's names. The local detectors
 * are read synchronously here (the stock host and process detectors add the
 * command line, which can carry secrets, and settle some attributes
 * asynchronously, which a preload's first export would miss); `container`
 * is the stock detector (`container.id` from the cgroup files). Cloud
 * detectors probe metadata addresses over the network, so they run only
 * when named, never by default and not with `all`; their packages are
 * optional and a missing one gets one warning naming it.
 */
import { randomUUID } from 'node:crypto';
import { arch, hostname, release, type as osType, userInfo } from 'node:os';
import { diag } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { ResourceDetector } from '@opentelemetry/resources';
import type { ResourceDetectorName } from '../config.ts';

type Req = (id: string) => any;
const load: Req = (id) => require(id);

/** Cloud detectors: package and the detectors it exports. */
export const CLOUD_DETECTORS = {
  aws: { packageName: '@opentelemetry/resource-detector-aws', detectorExports: ['awsEc2Detector', 'awsEcsDetector', 'awsEksDetector', 'awsBeanstalkDetector', 'awsLambdaDetector'] },
  gcp: { packageName: '@opentelemetry/resource-detector-gcp', detectorExports: ['gcpDetector'] },
  azure: { packageName: '@opentelemetry/resource-detector-azure', detectorExports: ['azureAppServiceDetector', 'azureFunctionsDetector', 'azureVmDetector'] },
  alibaba: { packageName: '@opentelemetry/resource-detector-alibaba-cloud', detectorExports: ['alibabaCloudEcsDetector'] },
} as const;
type CloudDetectorName = keyof typeof CLOUD_DETECTORS;

/** What the synchronous local detectors report, given the configured resource attributes. */
export function localDetectorAttributes(
  name: 'env' | 'host' | 'os' | 'process' | 'serviceinstance',
  opts: { resourceAttributes: Record<string, string>; serviceInstanceId?: string },
): Attributes {
  switch (name) {
    case 'env':
      return { ...opts.resourceAttributes };
    case 'host':
      return { 'host.name': hostname(), 'host.arch': arch() === 'x64' ? 'amd64' : arch() };
    case 'os':
      return { 'os.type': osType().toLowerCase(), 'os.version': release() };
    case 'process': {
      const attrs: Attributes = {
        'process.pid': process.pid,
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
        'process.runtime.description': 'Node.js',
        'process.executable.name': process.title,
        'process.executable.path': process.execPath,
      };
      try {
        attrs['process.owner'] = userInfo().username;
      } catch {
        // No passwd entry for the uid (containers): the attribute is left out.
      }
      return attrs;
    }
    case 'serviceinstance':
      return { 'service.instance.id': opts.serviceInstanceId ?? randomUUID() };
  }
}

/** The stock detectors for `container` and the named cloud ones; a missing cloud package is one warning. */
export function externalDetectors(names: readonly ResourceDetectorName[], req: Req = load): ResourceDetector[] {
  const out: ResourceDetector[] = [];
  for (const name of names) {
    if (name === 'container') {
      try {
        out.push(req('@opentelemetry/resource-detector-container').containerDetector as ResourceDetector);
      } catch (err) {
        diag.warn(`@wundr/otel: the container resource detector could not be loaded: ${(err as Error).message}`);
      }
      continue;
    }
    if (!(name in CLOUD_DETECTORS)) continue;
    const { packageName, detectorExports } = CLOUD_DETECTORS[name as CloudDetectorName];
    let mod: Record<string, unknown>;
    try {
      mod = req(packageName) as Record<string, unknown>;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const missing = e?.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${packageName}'`);
      diag.warn(
        missing
          ? `@wundr/otel: ${name} is named in OTEL_NODE_RESOURCE_DETECTORS, but ${packageName} is not installed (npm install ${packageName}); not detected`
          : `@wundr/otel: the ${name} resource detectors could not be loaded: ${e?.message}`,
      );
      continue;
    }
    for (const x of detectorExports) if (mod[x]) out.push(mod[x] as ResourceDetector);
  }
  return out;
}

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

type Req = (id: string) => any;
const load: Req = (id) => require(id);

/** The local detectors, in the order `all` applies them. */
export const LOCAL_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'container'] as const;
/** Cloud detectors: package and the detectors it exports. */
export const CLOUD_DETECTORS = {
  aws: { packageName: '@opentelemetry/resource-detector-aws', detectorExports: ['awsEc2Detector', 'awsEcsDetector', 'awsEksDetector', 'awsBeanstalkDetector', 'awsLambdaDetector'] },
  gcp: { packageName: '@opentelemetry/resource-detector-gcp', detectorExports: ['gcpDetector'] },
  azure: { packageName: '@opentelemetry/resource-detector-azure', detectorExports: ['azureAppServiceDetector', 'azureFunctionsDetector', 'azureVmDetector'] },
  alibaba: { packageName: '@opentelemetry/resource-detector-alibaba-cloud', detectorExports: ['alibabaCloudEcsDetector'] },
} as const;
export type LocalDetectorName = (typeof LOCAL_DETECTORS)[number];
export type CloudDetectorName = keyof typeof CLOUD_DETECTORS;
export type ResourceDetectorName = LocalDetectorName | CloudDetectorName;
export const RESOURCE_DETECTOR_NAMES: readonly string[] = [...LOCAL_DETECTORS, ...Object.keys(CLOUD_DETECTORS), 'all', 'none'];
/** Without OTEL_NODE_RESOURCE_DETECTORS: what the package always reported (container and cloud only when named). */
export const DEFAULT_DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance'];

/**
 * Expands a detector list: `all` is every local detector (not the cloud
 * ones), `none` alone means none. Unknown names are returned apart.
 */
export function expandDetectorNames(names: readonly string[]): { detectors: ResourceDetectorName[]; unknown: string[] } {
  const out = new Set<ResourceDetectorName>();
  const unknown: string[] = [];
  for (const n of names) {
    if (n === 'none') continue;
    if (n === 'all') for (const d of LOCAL_DETECTORS) out.add(d);
    else if ((LOCAL_DETECTORS as readonly string[]).includes(n) || n in CLOUD_DETECTORS) out.add(n as ResourceDetectorName);
    else unknown.push(n);
  }
  return { detectors: [...out], unknown };
}

/** What the synchronous local detectors report, given the configured resource attributes. */
export function localDetectorAttributes(
  name: Exclude<LocalDetectorName, 'container'>,
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

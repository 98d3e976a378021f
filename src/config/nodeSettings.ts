/**
 * The opentelemetry-js settings users already set for sdk-node and
 * auto-instrumentations-node (OTEL_NODE_ENABLED_INSTRUMENTATIONS,
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS, OTEL_NODE_RESOURCE_DETECTORS), and the
 * check of every other OTEL_* name in the environment: one warning for a
 * specification variable the package does not apply, and one for a name
 * nobody defines, with the closest known name.
 */
import { closestName, IGNORED_SPEC_VARIABLES, STOCK_READ_VARIABLES, unknownOtelVariables } from './otelVariables.ts';
import { quoteValue, type Reader } from './reader.ts';
import type { InstrumentationSelection, ResourceDetectorName } from './types.ts';

/** The instrumentation names (as auto-instrumentations-node names them) the SDK's table has. */
export const INSTRUMENTATION_NAMES: readonly string[] = ['http', 'undici', 'pg', 'ioredis', 'redis'];

/** OTEL_NODE_RESOURCE_DETECTORS names (sdk-node's). */
export const LOCAL_DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance', 'container'];
/** Cloud detectors probe metadata addresses over the network: only when named. */
export const CLOUD_DETECTOR_NAMES: readonly ResourceDetectorName[] = ['aws', 'gcp', 'azure', 'alibaba'];
/** Without OTEL_NODE_RESOURCE_DETECTORS: what the package always reported (container and cloud only when named). */
export const DEFAULT_DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance'];

const PREFIX = '@opentelemetry/instrumentation-';

function names(r: Reader, name: string): string[] | undefined {
  const v = r.raw(name);
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

function unknownNames(r: Reader, variable: string, bad: string[], known: readonly string[]): void {
  if (bad.length === 0) return;
  const hints = bad.map((b) => {
    const c = closestName(b, known);
    return `${quoteValue(variable, b)}${c ? ` (did you mean ${c}?)` : ''}`;
  });
  r.warn(variable, `${variable} names unknown value(s) ${hints.join(', ')} (known: ${known.join(', ')}); ignoring ${bad.length === 1 ? 'it' : 'them'}`);
}

/**
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS,
 * as auto-instrumentations-node reads them: short names (the package prefix
 * is accepted too); set, the enabled list names the only ones installed.
 */
export function readInstrumentationSelection(r: Reader): InstrumentationSelection {
  const read = (variable: string): string[] | undefined => {
    const list = names(r, variable);
    if (list === undefined) return undefined;
    const out: string[] = [];
    const bad: string[] = [];
    for (const raw of list) {
      const n = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : raw;
      if (INSTRUMENTATION_NAMES.includes(n)) {
        if (!out.includes(n)) out.push(n);
      } else bad.push(raw);
    }
    unknownNames(r, variable, bad, INSTRUMENTATION_NAMES);
    return out;
  };
  return { enabled: read('OTEL_NODE_ENABLED_INSTRUMENTATIONS'), disabled: read('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [] };
}

/** OTEL_NODE_RESOURCE_DETECTORS: `all` is every local detector (not the cloud ones), `none` is none. */
export function readResourceDetectors(r: Reader): ResourceDetectorName[] {
  const list = names(r, 'OTEL_NODE_RESOURCE_DETECTORS');
  if (list === undefined) return [...DEFAULT_DETECTORS];
  const out = new Set<ResourceDetectorName>();
  const bad: string[] = [];
  const known: readonly string[] = [...LOCAL_DETECTORS, ...CLOUD_DETECTOR_NAMES];
  for (const n of list) {
    if (n === 'none') continue;
    if (n === 'all') for (const d of LOCAL_DETECTORS) out.add(d);
    else if (known.includes(n)) out.add(n as ResourceDetectorName);
    else bad.push(n);
  }
  unknownNames(r, 'OTEL_NODE_RESOURCE_DETECTORS', bad, [...known, 'all', 'none']);
  return [...out];
}

/**
 * One warning per OTEL_* variable that is set and either a specification
 * variable the package does not apply, or a name nobody defines (with the
 * closest known name). `ours`: every variable the configuration reads.
 */
export function checkOtherOtelVariables(r: Reader, ours: readonly string[]): void {
  for (const name of IGNORED_SPEC_VARIABLES) {
    if (r.raw(name) !== undefined) {
      r.warn(name, `${name} is an OpenTelemetry setting this package does not apply; ignored (see docs/CONFIGURATION.md)`);
    }
  }
  for (const { name, closest } of unknownOtelVariables(r.env, [...ours, ...STOCK_READ_VARIABLES])) {
    r.warn(name, `${name} is not an OpenTelemetry setting this package or the specification knows; ignored${closest ? ` (did you mean ${closest}?)` : ''}`);
  }
}

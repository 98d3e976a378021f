/**
 * The reference table of docs/METRICS.md, generated from the catalogue
 * (pure: catalogue -> markdown). The doc keeps its prose by hand; the part
 * between the markers is this function's output, and a test fails when the
 * committed file differs. Regenerate with:
 *   node -e "require('./build/src/metrics/catalogueMarkdown.js').updateCatalogueDoc('docs/METRICS.md')"
 */
import { BUCKETS, CATALOGUE, labelCap, type MetricDef } from './catalogue.ts';

export const BEGIN_MARKER = '<!-- BEGIN GENERATED: catalogueMarkdown() -->';
export const END_MARKER = '<!-- END GENERATED -->';

const SOURCE_TITLES: Record<MetricDef['source'], string> = {
  seed: 'The daemon\'s metrics (wundr_)',
  later: 'Channel, plugin and summary metrics (wundr_, added later by the daemon)',
  legacy: 'Legacy orchestrator_ metrics (prom-client, bridged)',
  self: 'The package\'s own',
  semconv: 'OpenTelemetry semantic conventions (GenAI client metrics)',
};

function bucketName(b: readonly number[] | undefined): string {
  if (!b) return '';
  for (const [k, v] of Object.entries(BUCKETS)) {
    if (v.length === b.length && v.every((x, i) => x === b[i])) return `${k}: ${b.join(', ')}`;
  }
  return b.join(', ');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function labelsCell(d: MetricDef): string {
  if (d.labels.length === 0) return '–';
  return d.labels
    .map((k) => {
      const allowed = d.values?.[k];
      return allowed ? `\`${k}\` (${allowed.join('\\|')})` : `\`${k}\` (≤${labelCap(d, k)})`;
    })
    .join(', ');
}

/** The generated part of docs/METRICS.md. */
export function catalogueMarkdown(): string {
  const out: string[] = [];
  for (const source of ['seed', 'later', 'legacy', 'self', 'semconv'] as const) {
    const defs = CATALOGUE.filter((d) => d.source === source);
    out.push(`### ${SOURCE_TITLES[source]}`, '');
    out.push('| name on /metrics | type | OTel name | unit | labels (cap or values) | buckets | help | API | notes |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const d of defs) {
      const type = d.legacyType ? `${d.kind} (was ${d.legacyType})` : d.kind;
      const otel =
        d.via === 'prom-client'
          ? 'prom-client (bridged)'
          : d.via === 'system'
            ? `\`${d.otelName}\` (${d.kind === 'histogram' ? 'histogram' : d.kind === 'counter' ? 'observable counter' : 'observable gauge'})`
            : d.via === 'feature'
              ? `\`${d.otelName}\` (recorded by ${d.source === 'semconv' ? 'src/instrument (LLM calls)' : `src/${d.area}`})`
              : `\`${d.otelName}\``;
      const api = d.area === 'orchestrator' ? `daemonMetrics.${d.field}` : d.area === 'self' || d.via === 'feature' ? '–' : `${d.area === 'ws' ? 'wsMetrics' : d.area === 'model' ? 'modelMetrics' : `${d.area}Metrics`}.${d.field}`;
      out.push(
        `| \`${d.name}\` | ${type} | ${otel} | \`${d.unit}\` | ${labelsCell(d)} | ${cell(bucketName(d.buckets))} | ${cell(d.help)} | \`${api}\` | ${cell([d.platform ? `Linux only.` : '', d.note ?? ''].filter(Boolean).join(' '))} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

/** Replaces the generated part of a markdown file (between the markers) with `catalogueMarkdown()`. */
export function replaceGenerated(doc: string): string {
  const a = doc.indexOf(BEGIN_MARKER);
  const b = doc.indexOf(END_MARKER);
  if (a === -1 || b === -1 || b < a) throw new Error(`@wundr/otel: markers ${BEGIN_MARKER} … ${END_MARKER} not found`);
  return `${doc.slice(0, a + BEGIN_MARKER.length)}\n\n${catalogueMarkdown()}\n${doc.slice(b)}`;
}

/** Rewrites the generated part of the file at `path`. */
export function updateCatalogueDoc(path: string): void {
  const fs = require('node:fs') as typeof import('node:fs');
  fs.writeFileSync(path, replaceGenerated(fs.readFileSync(path, 'utf8')));
}

/** The header variables the stock OTLP exporters read on their own at construction. */
const HEADER_VARIABLES = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'OTEL_EXPORTER_OTLP_LOGS_HEADERS'];

/**
 * Builds an exporter with the header variables hidden from it. The package's
 * configuration has already parsed them (and dropped, with a warning, any
 * header Node would refuse): the exporter gets those headers in code. Left
 * to read the variables itself it would merge the refused header back in and
 * fail every export. Construction is synchronous, so nothing else runs while
 * the variables are hidden.
 */
export function withoutEnvHeaders<T>(build: () => T): T {
  const saved: [string, string][] = [];
  for (const k of HEADER_VARIABLES) {
    const v = process.env[k];
    if (v !== undefined) {
      saved.push([k, v]);
      delete process.env[k];
    }
  }
  try {
    return build();
  } finally {
    for (const [k, v] of saved) process.env[k] = v;
  }
}

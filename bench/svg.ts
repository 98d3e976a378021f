/**
 * A small SVG writer for the report's charts (no dependency): grouped
 * horizontal bars for throughput ratios, and a line chart for memory over
 * time. Pure functions from data to SVG text.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number) => (Math.round(n * 10) / 10).toString();

export const PALETTE = ['#9e9e9e', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

export interface BarGroup {
  /** Group heading (a scenario). */
  label: string;
  bars: { label: string; value: number; color?: string }[];
  /** A vertical marker (the target), drawn over this group's bars. */
  target?: { value: number; label: string };
}

/**
 * Horizontal bars, one group per scenario, on a shared 0..max axis.
 * NaN values are drawn as "n/a".
 */
export function barChart(title: string, groups: BarGroup[], opts: { max?: number; width?: number; format?: (v: number) => string } = {}): string {
  const width = opts.width ?? 760;
  const fmt = opts.format ?? ((v: number) => v.toFixed(2));
  const labelW = 290;
  const right = 60;
  const plotW = width - labelW - right;
  const barH = 20;
  const gap = 6;
  const groupGap = 22;
  const top = 44;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => Number.isFinite(v));
  const max = opts.max ?? Math.max(1, ...values) * 1.05;
  const x = (v: number) => labelW + (Math.max(0, Math.min(v, max)) / max) * plotW;
  const out: string[] = [];
  let y = top;
  for (const g of groups) {
    out.push(`<text x="8" y="${f(y + 12)}" font-weight="bold">${esc(g.label)}</text>`);
    y += 20;
    const y0 = y;
    g.bars.forEach((b, i) => {
      const color = b.color ?? PALETTE[i % PALETTE.length]!;
      out.push(`<text x="${labelW - 8}" y="${f(y + barH * 0.7)}" text-anchor="end">${esc(b.label)}</text>`);
      if (Number.isFinite(b.value)) {
        out.push(`<rect x="${labelW}" y="${f(y)}" width="${f(x(b.value) - labelW)}" height="${barH}" fill="${color}"/>`);
        out.push(`<text x="${f(x(b.value) + 4)}" y="${f(y + barH * 0.7)}">${esc(fmt(b.value))}</text>`);
      } else {
        out.push(`<text x="${labelW + 4}" y="${f(y + barH * 0.7)}" fill="#777">n/a</text>`);
      }
      y += barH + gap;
    });
    if (g.target) {
      const tx = x(g.target.value);
      out.push(`<line x1="${f(tx)}" y1="${f(y0 - 4)}" x2="${f(tx)}" y2="${f(y - gap + 4)}" stroke="#d62728" stroke-width="2" stroke-dasharray="5,3"/>`);
      out.push(`<text x="${f(tx + 3)}" y="${f(y0 - 6)}" fill="#d62728" font-size="11">${esc(g.target.label)}</text>`);
    }
    y += groupGap;
  }
  // Axis: ticks at 0, 0.25 … up to max.
  const axisY = y - groupGap + 6;
  out.push(`<line x1="${labelW}" y1="${f(top)}" x2="${labelW}" y2="${f(axisY)}" stroke="#333"/>`);
  out.push(`<line x1="${labelW}" y1="${f(axisY)}" x2="${labelW + plotW}" y2="${f(axisY)}" stroke="#333"/>`);
  const step = max > 2 ? 0.5 : 0.25;
  for (let t = 0; t <= max + 1e-9; t += step) {
    out.push(`<line x1="${f(x(t))}" y1="${f(axisY)}" x2="${f(x(t))}" y2="${f(axisY + 4)}" stroke="#333"/>`);
    out.push(`<text x="${f(x(t))}" y="${f(axisY + 16)}" text-anchor="middle" font-size="11">${Number(t.toFixed(2))}</text>`);
  }
  const height = axisY + 28;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${f(height)}" viewBox="0 0 ${width} ${f(height)}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

export interface Series {
  label: string;
  points: [number, number][];
  color?: string;
}

/** A line chart: x in seconds, y in the unit given. */
export function lineChart(title: string, series: Series[], opts: { width?: number; height?: number; yUnit?: string } = {}): string {
  const width = opts.width ?? 760;
  const height = opts.height ?? 300;
  const left = 60;
  const right = 150;
  const top = 48;
  const bottom = 40;
  const pts = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...pts.map((p) => p[0]));
  const yMaxRaw = Math.max(1, ...pts.map((p) => p[1]));
  const yStep = niceStep(yMaxRaw / 5);
  const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
  const X = (v: number) => left + (v / xMax) * (width - left - right);
  const Y = (v: number) => height - bottom - (v / yMax) * (height - top - bottom);
  const out: string[] = [];
  for (let t = 0; t <= yMax + 1e-9; t += yStep) {
    out.push(`<line x1="${left}" y1="${f(Y(t))}" x2="${width - right}" y2="${f(Y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${f(Y(t) + 4)}" text-anchor="end" font-size="11">${f(t)}</text>`);
  }
  const xStep = niceStep(xMax / 6);
  for (let t = 0; t <= xMax + 1e-9; t += xStep) {
    out.push(`<text x="${f(X(t))}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${f(t)}</text>`);
  }
  out.push(`<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`);
  out.push(`<text x="${f((left + width - right) / 2)}" y="${height - 6}" text-anchor="middle" font-size="11">seconds</text>`);
  if (opts.yUnit) out.push(`<text x="${left - 6}" y="${top - 8}" text-anchor="end" font-size="11">${esc(opts.yUnit)}</text>`);
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[(i + 1) % PALETTE.length]!;
    if (s.points.length) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${s.points.map(([a, b]) => `${f(X(a))},${f(Y(b))}`).join(' ')}"/>`);
    }
    out.push(`<rect x="${width - right + 10}" y="${top + i * 20}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${width - right + 28}" y="${top + i * 20 + 11}" font-size="12">${esc(s.label)}</text>`);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

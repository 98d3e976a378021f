/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for the
 * golden and compatibility tests. It throws on anything a Prometheus
 * server would reject or misread: bad names, bad label syntax or escapes,
 * samples before or outside their family, duplicate HELP/TYPE, duplicate
 * series, histogram buckets out of order or not ending in +Inf = _count.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string | undefined;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  unit: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseValue(s: string, line: number): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at `i` (at the `{`); returns labels and the index after `}`. */
function parseLabels(text: string, i: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++; // {
  for (;;) {
    if (text[i] === '}') return [labels, i + 1];
    let j = i;
    while (j < text.length && /[a-zA-Z0-9_]/.test(text[j])) j++;
    const name = text.slice(i, j);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    if (text[j] !== '=' || text[j + 1] !== '"') throw new Error(`line ${line}: expected =" after label ${name}`);
    j += 2;
    let v = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') v += '\\';
        else if (n === 'n') v += '\n';
        else if (n === '"') v += '"';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error(`line ${line}: newline in label value`);
      v += c;
      j++;
    }
    labels[name] = v;
    j++; // closing quote
    if (text[j] === ',') {
      i = j + 1;
      continue;
    }
    if (text[j] === '}') return [labels, j + 1];
    throw new Error(`line ${line}: expected , or } after label ${name}`);
  }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct && direct.type !== 'histogram') return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
    }
  }
  return direct;
}

/** Parses exposition text into families keyed by name (in order of appearance). */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  const lines = text.split('\n');
  let current: Family | undefined;
  const get = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: undefined, type: 'untyped', unit: undefined, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const ln = n + 1;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // plain comment
      const [, kw, name, rest = ''] = m;
      if (!NAME.test(name)) throw new Error(`line ${ln}: bad metric name ${name}`);
      const f = get(name);
      if (f.samples.length > 0) throw new Error(`line ${ln}: ${kw} for ${name} after its samples`);
      if (kw === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${ln}: second HELP for ${name}`);
        f.help = unescapeHelp(rest);
      } else if (kw === 'TYPE') {
        if (f.type !== 'untyped' || (f as { typed?: boolean }).typed) throw new Error(`line ${ln}: second TYPE for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${ln}: bad TYPE ${rest}`);
        f.type = rest as Family['type'];
        (f as { typed?: boolean }).typed = true;
      } else f.unit = rest;
      current = f;
      continue;
    }
    let i = 0;
    while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i])) i++;
    const name = line.slice(0, i);
    if (!NAME.test(name)) throw new Error(`line ${ln}: bad sample name in ${JSON.stringify(line)}`);
    let labels: Record<string, string> = {};
    if (line[i] === '{') [labels, i] = parseLabels(line, i, ln);
    if (line[i] !== ' ') throw new Error(`line ${ln}: expected a space before the value`);
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2) throw new Error(`line ${ln}: trailing text`);
    const value = parseValue(parts[0], ln);
    let fam = familyOf(name, families);
    if (!fam) fam = get(name);
    if (current !== fam && fam.samples.length > 0) throw new Error(`line ${ln}: samples of ${fam.name} are not contiguous`);
    current = fam;
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seenSeries.has(key)) throw new Error(`line ${ln}: duplicate series ${key}`);
    seenSeries.add(key);
    fam.samples.push({ name, labels, value });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  const counts = new Map<string, number>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const k = JSON.stringify(Object.entries(rest).sort());
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(s);
    } else if (s.name === `${f.name}_count`) counts.set(k, s.value);
    else if (s.name !== `${f.name}_sum`) throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [k, buckets] of groups) {
    const les = buckets.map((b) => parseValue(b.labels.le, 0));
    for (let i = 1; i < les.length; i++) {
      if (!(les[i] > les[i - 1])) throw new Error(`${f.name}${k}: le not increasing`);
      if (buckets[i].value < buckets[i - 1].value) throw new Error(`${f.name}${k}: bucket counts not cumulative`);
    }
    if (les[les.length - 1] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    if (counts.get(k) !== buckets[buckets.length - 1].value) throw new Error(`${f.name}${k}: +Inf bucket differs from _count`);
  }
}

/** Label keys of a family's samples (without `le`/`quantile`), each set sorted. */
export function labelKeySets(f: Family): string[][] {
  const seen = new Map<string, string[]>();
  for (const s of f.samples) {
    const keys = Object.keys(s.labels).filter((k) => k !== 'le' && k !== 'quantile').sort();
    seen.set(keys.join(','), keys);
  }
  return [...seen.values()];
}

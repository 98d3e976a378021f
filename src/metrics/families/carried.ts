/**
 * What a new SDK is handed again of the wundr_ counters although an earlier
 * SDK of the same process already collected it. A counter hands each
 * series' whole count to a new SDK, so that its cumulative readers
 * (/metrics, OTLP cumulative) go on showing the process total; the readers
 * of one SDK share its storage, so a delta export takes the earlier part
 * back out instead (src/sdk/DeltaProducer.ts, `withoutCarried`).
 */

/** Instrument name -> series key -> the part of the series' count collected by an earlier SDK. */
const carried = new Map<string, Map<string, number>>();

/** A series' key, whatever the order of its attributes. */
export function attributesKey(a: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(a).sort();
  let k = '';
  for (const n of keys) k += `${n}\u0001${String(a[n])}\u0002`;
  return k;
}

/** Replaces what one instrument carries into the SDK it is being bound to (an empty map: nothing). */
export function setCarried(instrument: string, series: Map<string, number>): void {
  if (series.size === 0) carried.delete(instrument);
  else carried.set(instrument, series);
}

/** True while some series' carried part has not been taken out of a delta export yet. */
export function hasCarried(): boolean {
  return carried.size > 0;
}

/** The carried part of one series, once: the first delta export of the new SDK takes it out, later ones carry none. */
export function takeCarried(instrument: string, attributes: Readonly<Record<string, unknown>>): number {
  const series = carried.get(instrument);
  if (series === undefined) return 0;
  const key = attributesKey(attributes);
  const v = series.get(key);
  if (v === undefined) return 0;
  series.delete(key);
  if (series.size === 0) carried.delete(instrument);
  return v;
}

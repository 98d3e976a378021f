/**
 * The catalogue's recording side: one family per catalogue entry, holding
 * one cell per label combination, reported through OTel Meter instruments
 * of the running SDK.
 */
export { MAX_LABEL_VALUE_LENGTH, setLabelCaps } from './labelGuard.ts';
export { Cell, Family, SERIES_SLOT, isLabels, nowHr, runtime, seriesAttributes, type LabelValue, type Labels } from './family.ts';
export { CounterFamily, overflowMetric, type BoundCounter } from './counter.ts';
export { GaugeFamily, type BoundGauge } from './gauge.ts';
export { HistogramCell, HistogramFamily, PENDING_OBSERVATIONS, type BoundHistogram } from './histogram.ts';
export { FLUSH_INSTRUMENT, MeterBinding, createFamily } from './meterBinding.ts';
export { KeyedHistogram } from './keyedHistogram.ts';

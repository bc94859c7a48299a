/**
 * Latency recording for the load generators: an HDR histogram from node:perf_hooks (integers in ns, 3
 * significant digits, up to 10 minutes), summarised as the percentiles every report shows.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LatencySummary {
  samples: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  mean_ns: number;
}

/** Largest latency recorded; longer ones are clamped to it (a 10-minute stall is a finding in itself). */
const kLatencyNsMax = 600e9;

export function latencyHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: kLatencyNsMax, figures: 3 });
}

/** Records one latency in ns; values below 1 ns (clock steps, same-tick) count as 1 ns. */
export function recordNs(histogram: RecordableHistogram, latencyNs: number): void {
  histogram.record(Math.min(kLatencyNsMax, Math.max(1, Math.round(latencyNs))));
}

export function summarize(histogram: RecordableHistogram): LatencySummary {
  const samples = histogram.count;
  if (samples === 0) return { samples, p50_ns: Number.NaN, p90_ns: Number.NaN, p99_ns: Number.NaN, p999_ns: Number.NaN, max_ns: Number.NaN, mean_ns: Number.NaN };
  return {
    samples,
    p50_ns: histogram.percentile(50),
    p90_ns: histogram.percentile(90),
    p99_ns: histogram.percentile(99),
    p999_ns: histogram.percentile(99.9),
    max_ns: histogram.max,
    mean_ns: histogram.mean,
  };
}

/** A duration in ns for the tables: 850 ns, 12.3 µs, 1.05 ms, 2.10 s. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  const units: Array<[number, string]> = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
  ];
  for (const [scale, suffix] of units) if (Math.abs(ns) >= scale) return `${significant(ns / scale)} ${suffix}`;
  return `${significant(ns)} ns`;
}

function significant(value: number): string {
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
}

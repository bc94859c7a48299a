/**
 * A fixed-bucket histogram of durations that an actor keeps and reports in its status (plain numbers,
 * so it crosses threads in a status reply); the gateway exposes it on /metrics as a Prometheus
 * histogram. Cumulative since start, like a Prometheus histogram, so a missed poll loses nothing.
 */
import { assert } from './assert.js';

/** Seconds, 50 µs to 1 s: an fsync'd LMDB commit takes 0.1-10 ms on the machines we run on. */
export const kFlushBucketsSeconds: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface HistogramSnapshot {
  /** Upper bounds, increasing; the +Inf bucket is `count`. */
  buckets: number[];
  /** Observations at or below each bound (cumulative). */
  counts: number[];
  sum: number;
  count: number;
}

export class CumulativeHistogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly buckets: readonly number[] = kFlushBucketsSeconds) {
    assert(buckets.length > 0, 'expected at least one bucket');
    for (let index = 1; index < buckets.length; index++) assert(buckets[index]! > buckets[index - 1]!, () => `expected increasing buckets, was ${buckets.join(', ')}`);
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    assert(Number.isFinite(value) && value >= 0, () => `expected a finite duration >= 0, was ${value}`);
    this.sum += value;
    this.count++;
    for (let index = this.buckets.length - 1; index >= 0 && value <= this.buckets[index]!; index--) this.counts[index]!++;
  }

  snapshot(): HistogramSnapshot {
    return { buckets: [...this.buckets], counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

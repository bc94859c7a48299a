import { describe, expect, it } from 'vitest';
import { formatDurationNs, formatOps, formatRatio, median, quantileSorted, withRatios, type BenchRow } from '../../bench/lib.js';

describe('bench formatting', () => {
  const ops: Array<[number, string]> = [
    [0, '0.00'],
    [950, '950'],
    [12_345, '12.3k'],
    [999_499, '999k'],
    [5_210_000, '5.21M'],
    [12_300_000, '12.3M'],
    [1_020_000_000, '1.02G'],
    [Number.NaN, 'NaN'],
  ];
  it.each(ops)('formats %d ops/s as %s', (value, expected) => {
    expect(formatOps(value)).toBe(expected);
  });

  const durations: Array<[number | null, string]> = [
    [null, '-'],
    [225.4, '225 ns'],
    [1_234, '1.23 µs'],
    [20_000, '20.0 µs'],
    [1_050_000, '1.05 ms'],
    [2_500_000_000, '2.50 s'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ];
  it.each(durations)('formats %s ns as %s', (value, expected) => {
    expect(formatDurationNs(value)).toBe(expected);
  });

  const ratios: Array<[number | null, string]> = [
    [null, '-'],
    [5.24, '5.2x'],
    [18.6, '18.6x'],
    [1, '1.0x'],
    [0.4567, '0.46x'],
  ];
  it.each(ratios)('formats ratio %s as %s', (value, expected) => {
    expect(formatRatio(value)).toBe(expected);
  });
});

describe('bench statistics', () => {
  const medians: Array<[string, number[], number]> = [
    ['odd count', [3, 1, 2], 2],
    ['even count', [4, 1, 3, 2], 2.5],
    ['single value', [7], 7],
  ];
  it.each(medians)('median of %s', (_name, values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('median of nothing is NaN', () => {
    expect(median([])).toBeNaN();
  });

  it('quantileSorted is nearest-rank', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(quantileSorted(sorted, 0.5)).toBe(50);
    expect(quantileSorted(sorted, 0.99)).toBe(99);
    expect(quantileSorted(sorted, 1)).toBe(100);
    expect(quantileSorted(sorted, 0)).toBe(1);
  });

  function row(name: string, opsPerSecond: number): BenchRow {
    return { suite: 's', case: name, ops_per_s: opsPerSecond, p50_ns: null, p99_ns: null, baseline: null, ratio_vs_baseline: null, unit: 'msg' };
  }

  it('withRatios compares every row but the baseline with it', () => {
    const rows = withRatios([row('base', 100), row('fast', 500)], 'base');
    expect(rows[0]).toMatchObject({ baseline: null, ratio_vs_baseline: null });
    expect(rows[1]).toMatchObject({ baseline: 'base', ratio_vs_baseline: 5 });
  });

  it('withRatios throws when the baseline is missing', () => {
    expect(() => withRatios([row('fast', 500)], 'base')).toThrowError(/expected baseline case "base"/);
  });
});

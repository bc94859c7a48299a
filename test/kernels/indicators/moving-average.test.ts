/**
 * SMA and EMA: the TS reference against hand-computed and published values and hostile inputs, then the
 * WASM and Rust backends against the reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelError, type KernelBackend } from '../../../src/kernels/index.js';
import { ema, sma } from '../../../src/kernels/indicators/moving-average.js';
import { backendOrReason, expectAgreement, expectIdentical, makeSeries } from '../support.js';

const NaN_ = Number.NaN;
const Infinity_ = Number.POSITIVE_INFINITY;

/** The contract between backends: 1e-12 relative (in practice they are bit-identical, tested below). */
const kRelativeTolerance = 1e-12;

function series(...values: number[]): Float64Array {
  return Float64Array.from(values);
}

describe('reference sma: hand-computed cases', () => {
  const cases: { message: string; input: number[]; period: number; expected: number[] }[] = [
    { message: 'empty input gives empty output', input: [], period: 3, expected: [] },
    { message: 'length 1, period 1 is the value itself', input: [42.5], period: 1, expected: [42.5] },
    { message: 'length 1, period 2 is all warm-up', input: [42.5], period: 2, expected: [NaN_] },
    { message: 'window longer than the series is all NaN', input: [1, 2, 3], period: 4, expected: [NaN_, NaN_, NaN_] },
    { message: 'window equal to the series: one value, at the end', input: [1, 2, 3], period: 3, expected: [NaN_, NaN_, 2] },
    { message: 'period 1 copies the input', input: [3, -1, 0.5, 7], period: 1, expected: [3, -1, 0.5, 7] },
    { message: 'period 2 pairs', input: [1, 2, 3, 4, 5], period: 2, expected: [NaN_, 1.5, 2.5, 3.5, 4.5] },
    { message: 'period 3 across several blocks', input: [1, 2, 3, 4, 5, 6, 7, 8], period: 3, expected: [NaN_, NaN_, 2, 3, 4, 5, 6, 7] },
    { message: 'negative values', input: [-4, -2, 0, 2], period: 2, expected: [NaN_, -3, -1, 1] },
    {
      message: 'a NaN poisons exactly the windows that hold it',
      input: [1, 2, NaN_, 4, 5, 6, 7],
      period: 2,
      expected: [NaN_, 1.5, NaN_, NaN_, 4.5, 5.5, 6.5],
    },
    {
      message: 'a NaN in the first window (warm-up) is gone once it leaves the window',
      input: [NaN_, 2, 4, 6],
      period: 3,
      expected: [NaN_, NaN_, NaN_, 4],
    },
    {
      message: 'infinities follow IEEE arithmetic inside their windows only',
      input: [1, 2, Infinity_, 4, 5, -Infinity_, 7, 8],
      period: 2,
      expected: [NaN_, 1.5, Infinity_, Infinity_, 4.5, -Infinity_, -Infinity_, 7.5],
    },
    {
      message: '+Infinity and -Infinity in one window give NaN',
      input: [Infinity_, -Infinity_, 1, 2],
      period: 2,
      expected: [NaN_, NaN_, -Infinity_, 1.5],
    },
    {
      message: 'sums that overflow stay inside their windows',
      input: [1e308, 1e308, 1, 1],
      period: 2,
      expected: [NaN_, Infinity_, 5e307, 1],
    },
  ];
  for (const { message, input, period, expected } of cases) {
    it(message, () => {
      expectAgreement(sma(series(...input), period), series(...expected), 1e-15, message);
    });
  }
});

describe('reference ema: hand-computed cases', () => {
  const cases: { message: string; input: number[]; period: number; expected: number[] }[] = [
    { message: 'empty input gives empty output', input: [], period: 3, expected: [] },
    { message: 'length 1, period 1 is the value itself', input: [42.5], period: 1, expected: [42.5] },
    { message: 'length 1, period 2 is all warm-up', input: [42.5], period: 2, expected: [NaN_] },
    { message: 'window longer than the series is all NaN', input: [1, 2, 3], period: 4, expected: [NaN_, NaN_, NaN_] },
    { message: 'period 1 (alpha 1) copies the input', input: [3, -1, 0.5, 7], period: 1, expected: [3, -1, 0.5, 7] },
    {
      // Seed mean(1, 2) = 1.5, alpha = 2/3: 1.5 + 2/3 (3 - 1.5) = 2.5, then 3.5, 4.5.
      message: 'period 2 seeded with the SMA, alpha 2/3',
      input: [1, 2, 3, 4, 5],
      period: 2,
      expected: [NaN_, 1.5, 2.5, 3.5, 4.5],
    },
    {
      // Seed mean(2, 4, 6) = 4, alpha = 1/2: 4 + (8 - 4) / 2 = 6, 6 + (0 - 6) / 2 = 3.
      message: 'period 3 seeded with the SMA, alpha 1/2',
      input: [2, 4, 6, 8, 0],
      period: 3,
      expected: [NaN_, NaN_, 4, 6, 3],
    },
    {
      message: 'a NaN outputs NaN and restarts the warm-up on the next period points',
      input: [1, 2, 3, NaN_, 4, 5, 6, 7],
      period: 2,
      expected: [NaN_, 1.5, 2.5, NaN_, NaN_, 4.5, 5.5, 6.5],
    },
    {
      message: 'a NaN during the warm-up restarts it',
      input: [1, NaN_, 2, 4, 6],
      period: 2,
      expected: [NaN_, NaN_, NaN_, 3, 5],
    },
    {
      message: 'an infinity is a gap like NaN, not a value that poisons the rest',
      input: [1, 2, Infinity_, 4, 5, -Infinity_, 6, 8],
      period: 2,
      expected: [NaN_, 1.5, NaN_, NaN_, 4.5, NaN_, NaN_, 7],
    },
    {
      // 1e308 + 1e308 overflows: the seed is +Infinity, which restarts the warm-up at the next point;
      // the next run (1e308, 1) seeds with 5e307 and the EMA carries on.
      message: 'an overflowing seed is reported and the EMA restarts',
      input: [1e308, 1e308, 1e308, 1, 1],
      period: 2,
      expected: [NaN_, Infinity_, NaN_, 5e307, 5e307 / 3 + 2 / 3],
    },
  ];
  for (const { message, input, period, expected } of cases) {
    it(message, () => {
      expectAgreement(ema(series(...input), period), series(...expected), 1e-15, message);
    });
  }
});

describe('reference against the StockCharts worked example', () => {
  // Data: the 30 closing prices of the StockCharts ChartSchool article "Moving Averages - Simple and
  // Exponential" (https://chartschool.stockcharts.com/table-of-contents/technical-indicators-and-overlays/
  // technical-overlays/moving-averages-simple-and-exponential, spreadsheet cs-movavg.xls), period 10.
  // Expected values computed by hand with exact rational arithmetic (Python fractions: mean of each window;
  // EMA seeded with the first window's mean, alpha = 2/11), to 10 decimals. Rounded to 2 decimals they are
  // the article's table.
  const closes = series(
    22.27, 22.19, 22.08, 22.17, 22.18, 22.13, 22.23, 22.43, 22.24, 22.29, 22.15, 22.39, 22.38, 22.61, 23.36,
    24.05, 23.75, 23.83, 23.95, 23.63, 23.82, 23.87, 23.65, 23.19, 23.1, 23.33, 22.68, 23.1, 22.4, 22.17,
  );
  const warmUp = new Array<number>(9).fill(NaN_);
  const cases = [
    {
      message: '10-day SMA',
      run: () => sma(closes, 10),
      expected: [
        ...warmUp, 22.221, 22.209, 22.229, 22.259, 22.303, 22.421, 22.613, 22.765, 22.905, 23.076, 23.21, 23.377,
        23.525, 23.652, 23.71, 23.684, 23.612, 23.505, 23.432, 23.277, 23.131,
      ],
    },
    {
      message: '10-day EMA',
      run: () => ema(closes, 10),
      expected: [
        ...warmUp, 22.221, 22.2080909091, 22.2411652893, 22.2664079639, 22.3288792432, 22.5163557445,
        22.7952001546, 22.9688001265, 23.1253819216, 23.2753124813, 23.3398011211, 23.4271100082, 23.5076354612,
        23.5335199228, 23.471061755, 23.4035959814, 23.3902148939, 23.2610849132, 23.2317967471, 23.0805609749,
        22.915004434,
      ],
    },
  ];
  for (const { message, run, expected } of cases) {
    it(`${message} matches the exact values to 1e-10`, () => {
      const actual = run();
      for (let index = 0; index < expected.length; index++) {
        const want = expected[index]!;
        if (Number.isNaN(want)) expect(actual[index], `${message} index ${index}`).toBeNaN();
        else expect(Math.abs(actual[index]! - want), `${message} index ${index}`).toBeLessThan(1e-10);
      }
    });
  }
});

describe('reference: hostile arguments throw typed errors', () => {
  const input = series(1, 2, 3);
  const cases: { message: string; call: () => unknown; code: string }[] = [
    { message: 'period 0', call: () => sma(input, 0), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period -1', call: () => ema(input, -1), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 1.5', call: () => sma(input, 1.5), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period NaN', call: () => ema(input, Number.NaN), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period Infinity', call: () => sma(input, Infinity_), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 2^53 (not a safe integer)', call: () => sma(input, 2 ** 53), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period as a string', call: () => sma(input, '3' as unknown as number), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'input as a plain array', call: () => sma([1, 2, 3] as unknown as Float64Array, 2), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'input as a Float32Array', call: () => ema(new Float32Array(3) as unknown as Float64Array, 2), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'input null', call: () => sma(null as unknown as Float64Array, 2), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'out of the wrong length', call: () => sma(input, 2, new Float64Array(2)), code: 'ERR_KERNEL_BAD_OUTPUT' },
    { message: 'out of the wrong type', call: () => ema(input, 2, new Float32Array(3) as unknown as Float64Array), code: 'ERR_KERNEL_BAD_OUTPUT' },
    { message: 'out is the input', call: () => sma(input, 2, input), code: 'ERR_KERNEL_ALIASED_OUTPUT' },
    {
      message: 'out overlaps the input in one buffer',
      call: () => {
        const buffer = new Float64Array(5);
        return ema(buffer.subarray(0, 3), 2, buffer.subarray(2, 5));
      },
      code: 'ERR_KERNEL_ALIASED_OUTPUT',
    },
  ];
  for (const { message, call, code } of cases) {
    it(`${message} -> ${code}`, () => {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KernelError);
      expect((thrown as KernelError).code).toBe(code);
      expect((thrown as KernelError).message).toMatch(/expected .+, was .+/);
    });
  }

  it('a huge period is valid and yields all NaN', () => {
    expectAgreement(sma(input, 2 ** 40), series(NaN_, NaN_, NaN_), 0, 'sma');
    expectAgreement(ema(input, 2 ** 40), series(NaN_, NaN_, NaN_), 0, 'ema');
  });

  it('writes into a caller-provided output and returns it; disjoint views of one buffer are fine', () => {
    const buffer = new Float64Array(6);
    buffer.set([1, 2, 3]);
    const out = buffer.subarray(3, 6);
    expect(sma(buffer.subarray(0, 3), 2, out)).toBe(out);
    expectAgreement(out, series(NaN_, 1.5, 2.5), 0, 'out');
  });

  it('leaves the input untouched', () => {
    const input = makeSeries({ length: 1000, seed: 7, badShare: 0.01 });
    const copy = input.slice();
    sma(input, 13);
    ema(input, 13);
    expectIdentical(input, copy, 'input');
  });
});

describe('reference: accuracy does not drift along a long series', () => {
  // A series with a large offset is where a running sum loses digits for ever; the block sums must stay
  // as accurate at the end as at the start. Compared with a direct (naive) sum of each window.
  it('sma of 200,000 points at 1e6 + noise stays within 1e-12 relative of direct window sums', () => {
    const input = makeSeries({ length: 200_000, seed: 11 }).map((value) => 1e6 + value);
    const period = 50;
    const actual = sma(input, period);
    for (const index of [period - 1, 1000, 99_999, 150_001, 199_999]) {
      let sum = 0;
      for (let point = index - period + 1; point <= index; point++) sum += input[point]!;
      expect(Math.abs(actual[index]! - sum / period) / (sum / period), `index ${index}`).toBeLessThan(1e-12);
    }
  });

  it('ema stays within 1e-12 relative of the textbook one-step recurrence', () => {
    const input = makeSeries({ length: 200_000, seed: 12 });
    const period = 30;
    const actual = ema(input, period);
    const alpha = 2 / (period + 1);
    let sum = 0;
    for (let index = 0; index < period; index++) sum += input[index]!;
    let textbook = sum / period;
    for (let index = period; index < input.length; index++) {
      textbook = alpha * input[index]! + (1 - alpha) * textbook;
      if (index % 9973 === 0) {
        expect(Math.abs(actual[index]! - textbook) / Math.abs(textbook), `index ${index}`).toBeLessThan(1e-12);
      }
    }
  });
});

/** The same comparisons for each compiled backend; skipped, with the reason in the name, when not built. */
for (const name of ['wasm', 'native'] as const) {
  const { backend, reason } = backendOrReason(name);
  const title = reason === null ? `${name} backend agrees with the reference` : `${name} backend (skipped: ${reason})`;
  describe.skipIf(backend === null)(title, () => {
    const compiled = backend as KernelBackend;
    const periods = [1, 2, 3, 7, 15, 16, 17, 20, 31, 64, 200, 1000];
    const shapes = [
      { message: 'short walks', lengths: [0, 1, 2, 5, 16, 17, 33, 100, 257], badShare: 0, kind: 'walk' as const },
      { message: 'a long walk (drift would show)', lengths: [100_003], badShare: 0, kind: 'walk' as const },
      { message: 'walks with NaN and infinities', lengths: [1000, 20_011], badShare: 0.003, kind: 'walk' as const },
      { message: 'wild signs and magnitudes', lengths: [5000], badShare: 0.001, kind: 'wild' as const },
    ];
    for (const { message, lengths, badShare, kind } of shapes) {
      it(`${message}: sma and ema to 1e-12 relative, bit-identical in fact`, () => {
        for (const length of lengths) {
          const input = makeSeries({ length, seed: length * 31 + 5, badShare, kind });
          for (const period of [...periods, length, length + 1]) {
            if (period < 1) continue;
            for (const indicator of ['sma', 'ema'] as const) {
              const label = `${name} ${indicator} length ${length} period ${period}`;
              const reference = (indicator === 'sma' ? sma : ema)(input, period);
              const actual = compiled[indicator](input, period);
              expectAgreement(actual, reference, kRelativeTolerance, label);
              expectIdentical(actual, reference, label);
            }
          }
        }
      });
    }

    it('property: any float64 series and period, including NaN, infinities, -0 and subnormals', () => {
      fc.assert(
        fc.property(fc.float64Array({ maxLength: 400 }), fc.integer({ min: 1, max: 40 }), (values, period) => {
          const input = Float64Array.from(values);
          expectIdentical(compiled.sma(input, period), sma(input, period), `${name} sma period ${period}`);
          expectIdentical(compiled.ema(input, period), ema(input, period), `${name} ema period ${period}`);
        }),
        { numRuns: 300, seed: 20_240_601 },
      );
    });

    it('throws the same typed errors as the reference', () => {
      const input = series(1, 2, 3);
      const calls: [string, () => unknown][] = [
        ['ERR_KERNEL_BAD_PERIOD', () => compiled.sma(input, 0)],
        ['ERR_KERNEL_BAD_PERIOD', () => compiled.ema(input, 2.5)],
        ['ERR_KERNEL_BAD_INPUT', () => compiled.sma([1, 2] as unknown as Float64Array, 1)],
        ['ERR_KERNEL_BAD_OUTPUT', () => compiled.ema(input, 2, new Float64Array(4))],
        ['ERR_KERNEL_ALIASED_OUTPUT', () => compiled.sma(input, 2, input)],
      ];
      for (const [code, call] of calls) expect(call, code).toThrowError(expect.objectContaining({ code }));
    });
  });
}

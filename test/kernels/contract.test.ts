/**
 * The argument contract shared by every backend: bounds and aliasing rules.
 */
import { describe, expect, it } from 'vitest';
import { checkArguments, checkPeriod, kInputLengthMax } from '../../src/kernels/contract.js';

/** A Float64Array that claims to be longer than it is, to test the bound without allocating 1 GiB. */
class OversizedSeries extends Float64Array {
  override get length(): number {
    return kInputLengthMax + 1;
  }
}

describe('checkArguments', () => {
  it('allocates the output when none is given', () => {
    const output = checkArguments(new Float64Array(3), 2, undefined);
    expect(output).toBeInstanceOf(Float64Array);
    expect(output.length).toBe(3);
  });

  it(`refuses an input longer than kInputLengthMax (${kInputLengthMax}) points`, () => {
    expect(() => checkArguments(new OversizedSeries(1), 2, undefined)).toThrowError(
      expect.objectContaining({ code: 'ERR_KERNEL_INPUT_TOO_LONG' }),
    );
  });

  const buffer = new Float64Array(10);
  const aliasing: { message: string; input: Float64Array; out: Float64Array; refused: boolean }[] = [
    { message: 'the same view', input: buffer.subarray(0, 4), out: buffer.subarray(0, 4), refused: true },
    { message: 'views overlapping by one element', input: buffer.subarray(0, 4), out: buffer.subarray(3, 7), refused: true },
    { message: 'adjacent views', input: buffer.subarray(0, 4), out: buffer.subarray(4, 8), refused: false },
    { message: 'empty views at the same offset', input: buffer.subarray(2, 2), out: buffer.subarray(2, 2), refused: false },
    { message: 'different buffers', input: new Float64Array(4), out: new Float64Array(4), refused: false },
  ];
  for (const { message, input, out, refused } of aliasing) {
    it(`${message}: ${refused ? 'refused' : 'accepted'}`, () => {
      if (refused) {
        expect(() => checkArguments(input, 1, out)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_ALIASED_OUTPUT' }));
      } else {
        expect(checkArguments(input, 1, out)).toBe(out);
      }
    });
  }
});

describe('checkPeriod', () => {
  const valid = [1, 2, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER];
  const invalid: unknown[] = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -0.5, 2 ** 53, '3', null, undefined, 3n, {}];
  for (const period of valid) {
    it(`accepts ${period}`, () => expect(() => checkPeriod(period)).not.toThrow());
  }
  for (const period of invalid) {
    it(`refuses ${typeof period === 'bigint' ? `${period}n` : String(period)} (${typeof period})`, () => {
      expect(() => checkPeriod(period)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_PERIOD' }));
    });
  }
});

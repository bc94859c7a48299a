/**
 * The kernel error factory: codes, "expected X, was Y" messages, chained causes, and hostile values in
 * messages.
 */
import { describe, expect, it } from 'vitest';
import { describeValue, KernelError, kernelError, kernelErrorCodes } from '../../src/kernels/errors.js';

describe('kernelError', () => {
  it('builds a KernelError with the code, an "expected X, was Y" message and the cause', () => {
    const cause = new Error('underlying');
    const error = kernelError('ERR_KERNEL_BAD_PERIOD', 'an integer period >= 1', '0', { cause });
    expect(error).toBeInstanceOf(KernelError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KernelError');
    expect(error.code).toBe('ERR_KERNEL_BAD_PERIOD');
    expect(error.message).toBe('ERR_KERNEL_BAD_PERIOD: expected an integer period >= 1, was 0');
    expect(error.cause).toBe(cause);
  });

  it('every code follows ERR_KERNEL_<WHAT>', () => {
    for (const code of kernelErrorCodes) expect(code).toMatch(/^ERR_KERNEL_[A-Z_]+$/);
  });
});

describe('describeValue never throws and stays short', () => {
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  const cases: { message: string; value: unknown; expected: string }[] = [
    { message: 'a number', value: 1.5, expected: '1.5' },
    { message: 'negative zero', value: -0, expected: '-0' },
    { message: 'NaN', value: Number.NaN, expected: 'NaN' },
    { message: 'a short string, quoted', value: '3', expected: '"3"' },
    { message: 'a long string, cut', value: 'x'.repeat(100), expected: `"${'x'.repeat(40)}..."` },
    { message: 'a bigint', value: 12n, expected: '12n' },
    { message: 'null', value: null, expected: 'null' },
    { message: 'undefined', value: undefined, expected: 'undefined' },
    { message: 'a symbol', value: Symbol('s'), expected: 'symbol' },
    { message: 'a typed array, by class', value: new Float32Array(2), expected: 'a Float32Array' },
    { message: 'a cyclic object', value: cyclic, expected: 'an Object' },
    { message: 'an object without a prototype', value: Object.create(null), expected: 'an object' },
    { message: 'a function', value: () => 1, expected: 'function' },
  ];
  for (const { message, value, expected } of cases) {
    it(message, () => {
      expect(describeValue(value)).toBe(expected);
    });
  }
});

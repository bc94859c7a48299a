/**
 * The Rust backend's loading and its thin napi layer: the addon's own argument checks (errors with
 * Status::InvalidArg and an ERR_KERNEL_* message) and the JS wrapper's handling of addon failures.
 * Agreement with the reference is in moving-average.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeAddonPath } from '../../src/kernels/artifacts.js';
import { kEmaBlockLength } from '../../src/kernels/contract.js';
import { KernelError, loadBackends } from '../../src/kernels/index.js';
import { loadNativeBackend, NativeBackend, type NativeAddon } from '../../src/kernels/native-backend.js';

describe('loading', () => {
  const junk = path.join(tmpdir(), `${process.pid}-octopus-junk.node`);
  writeFileSync(junk, 'not a shared library');
  const stale = path.join(tmpdir(), `${process.pid}-octopus-stale.json`);
  writeFileSync(stale, '{"sma": 1}');
  const cases = [
    { message: 'a missing addon says how to build it', file: path.join(tmpdir(), 'octopus-missing.node'), pattern: /^Rust addon not built .*npm run build:native/ },
    { message: 'a file that is not an addon is reported, not thrown', file: junk, pattern: /^Rust addon failed to load/ },
    { message: 'a module without the kernel exports is stale', file: stale, pattern: /^Rust addon stale/ },
  ];
  for (const { message, file, pattern } of cases) {
    it(message, () => {
      const result = loadNativeBackend(file);
      expect(result.backend).toBeNull();
      expect(result.reason).toMatch(pattern);
    });
  }
});

describe('the JS wrapper around the addon (hand-written stub addon)', () => {
  function stubAddon(failure: Error | null): NativeAddon & { calls: number } {
    const stub = {
      calls: 0,
      emaBlockLength: () => kEmaBlockLength,
      sma: (_input: Float64Array, _period: number, output: Float64Array) => {
        stub.calls++;
        if (failure !== null) throw failure;
        output.fill(7);
      },
      ema: (_input: Float64Array, _period: number, output: Float64Array) => {
        stub.calls++;
        if (failure !== null) throw failure;
        output.fill(8);
      },
    };
    return stub;
  }

  it('checks arguments before calling the addon', () => {
    const addon = stubAddon(null);
    const backend = new NativeBackend(addon);
    expect(() => backend.sma(new Float64Array(3), 0)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_PERIOD' }));
    expect(addon.calls).toBe(0);
  });

  it('answers a period longer than the series itself (all NaN) without calling the addon', () => {
    const addon = stubAddon(null);
    const result = new NativeBackend(addon).ema(new Float64Array(3), 4);
    expect(Array.from(result).every(Number.isNaN)).toBe(true);
    expect(addon.calls).toBe(0);
  });

  it('reports an addon error on checked arguments as ERR_KERNEL_BACKEND_FAILED with the cause', () => {
    const failure = Object.assign(new Error('ERR_KERNEL_BAD_PERIOD: expected ..., was ...'), { code: 'InvalidArg' });
    const backend = new NativeBackend(stubAddon(failure));
    let thrown: unknown;
    try {
      backend.sma(new Float64Array(3), 2);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KernelError);
    expect((thrown as KernelError).code).toBe('ERR_KERNEL_BACKEND_FAILED');
    expect((thrown as KernelError).cause).toBe(failure);
  });
});

const nativeReason = loadBackends().unavailable.native;
const title = nativeReason === undefined ? 'the addon itself' : `the addon itself (skipped: ${nativeReason})`;

describe.skipIf(nativeReason !== undefined)(title, () => {
  const addon = nativeReason === undefined ? (createRequire(import.meta.url)(nativeAddonPath) as NativeAddon) : null;
  const input = Float64Array.from([1, 2, 3, 4]);

  it(`reports its EMA block length (${kEmaBlockLength})`, () => {
    expect(addon!.emaBlockLength()).toBe(kEmaBlockLength);
  });

  const shared = new Float64Array(6);
  const cases: { message: string; call: () => void; prefix: string }[] = [
    { message: 'period 0', call: () => addon!.sma(input, 0, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 1.5', call: () => addon!.ema(input, 1.5, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period NaN', call: () => addon!.sma(input, Number.NaN, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period beyond 2^27', call: () => addon!.sma(input, 2 ** 27 + 1, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'output of the wrong length', call: () => addon!.ema(input, 2, new Float64Array(3)), prefix: 'ERR_KERNEL_BAD_OUTPUT' },
    { message: 'output is the input', call: () => addon!.sma(input, 2, input), prefix: 'ERR_KERNEL_ALIASED_OUTPUT' },
    {
      message: 'output overlaps the input',
      call: () => addon!.ema(shared.subarray(0, 4), 2, shared.subarray(2, 6)),
      prefix: 'ERR_KERNEL_ALIASED_OUTPUT',
    },
  ];
  for (const { message, call, prefix } of cases) {
    it(`${message}: InvalidArg, ${prefix}`, () => {
      expect(call).toThrowError(expect.objectContaining({ code: 'InvalidArg', message: expect.stringMatching(new RegExp(`^${prefix}: expected .+, was .+`)) }));
    });
  }

  it('a Float32Array is refused by napi-rs type checks', () => {
    expect(() => addon!.sma(new Float32Array(4) as unknown as Float64Array, 2, new Float64Array(4))).toThrowError(
      expect.objectContaining({ code: 'InvalidArg' }),
    );
  });

  it('writes into the caller output without allocating a new one', () => {
    const output = new Float64Array(4);
    addon!.sma(input, 2, output);
    expect(Array.from(output)).toEqual([Number.NaN, 1.5, 2.5, 3.5]);
  });
});

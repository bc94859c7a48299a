/**
 * The moving averages' compiled backends. Rust: loading and its thin napi layer (the addon's own argument
 * checks, errors with Status::InvalidArg and an ERR_KERNEL_* message) and the JS wrapper's handling of
 * addon failures. WASM: chunked streaming (results must not depend on where chunks fall), resident
 * series, and loading failures. Agreement on ordinary inputs is in moving-average.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeAddonPath } from '../../../src/kernels/backend.js';
import { kEmaBlockLength, kInputLengthMax } from '../../../src/kernels/contract.js';
import { getWasmBackend, KernelError, loadBackends } from '../../../src/kernels/index.js';
import { ema, sma } from '../../../src/kernels/indicators/moving-average.js';
import {
  kChunkPoints,
  loadNativeMovingAverages,
  loadWasmMovingAverages,
  nativeMovingAverages,
  type NativeMovingAverageAddon,
  type WasmMovingAverages,
} from '../../../src/kernels/indicators/moving-average-backends.js';
import { expectIdentical, makeSeries } from '../support.js';

describe('loading the Rust addon', () => {
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
      const result = loadNativeMovingAverages(file);
      expect(result.backend).toBeNull();
      expect(result.reason).toMatch(pattern);
    });
  }
});

describe('the JS wrapper around the addon (hand-written stub addon)', () => {
  function stubAddon(failure: Error | null): NativeMovingAverageAddon & { calls: number } {
    const stub = {
      calls: 0,
      movingAverageEmaBlockLength: () => kEmaBlockLength,
      movingAverageSma: (_input: Float64Array, _period: number, output: Float64Array) => {
        stub.calls++;
        if (failure !== null) throw failure;
        output.fill(7);
      },
      movingAverageEma: (_input: Float64Array, _period: number, output: Float64Array) => {
        stub.calls++;
        if (failure !== null) throw failure;
        output.fill(8);
      },
    };
    return stub;
  }

  it('checks arguments before calling the addon', () => {
    const addon = stubAddon(null);
    const backend = nativeMovingAverages(addon);
    expect(() => backend.sma(new Float64Array(3), 0)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_PERIOD' }));
    expect(addon.calls).toBe(0);
  });

  it('answers a period longer than the series itself (all NaN) without calling the addon', () => {
    const addon = stubAddon(null);
    const result = nativeMovingAverages(addon).ema(new Float64Array(3), 4);
    expect(Array.from(result).every(Number.isNaN)).toBe(true);
    expect(addon.calls).toBe(0);
  });

  it('reports an addon error on checked arguments as ERR_KERNEL_BACKEND_FAILED with the cause', () => {
    const failure = Object.assign(new Error('ERR_KERNEL_BAD_PERIOD: expected ..., was ...'), { code: 'InvalidArg' });
    const backend = nativeMovingAverages(stubAddon(failure));
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
  const addon = nativeReason === undefined ? (createRequire(import.meta.url)(nativeAddonPath) as NativeMovingAverageAddon) : null;
  const input = Float64Array.from([1, 2, 3, 4]);

  it(`reports its EMA block length (${kEmaBlockLength})`, () => {
    expect(addon!.movingAverageEmaBlockLength()).toBe(kEmaBlockLength);
  });

  const shared = new Float64Array(6);
  const cases: { message: string; call: () => void; prefix: string }[] = [
    { message: 'period 0', call: () => addon!.movingAverageSma(input, 0, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 1.5', call: () => addon!.movingAverageEma(input, 1.5, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period NaN', call: () => addon!.movingAverageSma(input, Number.NaN, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period beyond 2^27', call: () => addon!.movingAverageSma(input, 2 ** 27 + 1, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'output of the wrong length', call: () => addon!.movingAverageEma(input, 2, new Float64Array(3)), prefix: 'ERR_KERNEL_BAD_OUTPUT' },
    { message: 'output is the input', call: () => addon!.movingAverageSma(input, 2, input), prefix: 'ERR_KERNEL_ALIASED_OUTPUT' },
    {
      message: 'output overlaps the input',
      call: () => addon!.movingAverageEma(shared.subarray(0, 4), 2, shared.subarray(2, 6)),
      prefix: 'ERR_KERNEL_ALIASED_OUTPUT',
    },
  ];
  for (const { message, call, prefix } of cases) {
    it(`${message}: InvalidArg, ${prefix}`, () => {
      expect(call).toThrowError(expect.objectContaining({ code: 'InvalidArg', message: expect.stringMatching(new RegExp(`^${prefix}: expected .+, was .+`)) }));
    });
  }

  it('a Float32Array is refused by napi-rs type checks', () => {
    expect(() => addon!.movingAverageSma(new Float32Array(4) as unknown as Float64Array, 2, new Float64Array(4))).toThrowError(
      expect.objectContaining({ code: 'InvalidArg' }),
    );
  });

  it('writes into the caller output without allocating a new one', () => {
    const output = new Float64Array(4);
    addon!.movingAverageSma(input, 2, output);
    expect(Array.from(output)).toEqual([Number.NaN, 1.5, 2.5, 3.5]);
  });
});

describe('loading the WASM module', () => {
  const cases = [
    { message: 'a missing module says how to build it', file: path.join(tmpdir(), 'octopus-missing-module.wasm'), pattern: /not built .*npm run build:asm/ },
    { message: 'a file that is not wasm is reported, not thrown', file: writeJunk('octopus-junk.wasm'), pattern: /failed to load/ },
  ];
  for (const { message, file, pattern } of cases) {
    it(message, () => {
      const result = loadWasmMovingAverages(file);
      expect(result.backend).toBeNull();
      expect(result.reason).toMatch(pattern);
    });
  }
});

function writeJunk(name: string): string {
  const file = path.join(tmpdir(), `${process.pid}-${name}`);
  writeFileSync(file, 'definitely not a wasm module');
  return file;
}

const wasmReason = loadBackends().unavailable.wasm;
const wasmTitle = wasmReason === undefined ? 'wasm streaming' : `wasm streaming (skipped: ${wasmReason})`;

describe.skipIf(wasmReason !== undefined)(wasmTitle, () => {
  const wasm = getWasmBackend() as WasmMovingAverages;

  it(`was built with the EMA block length of the reference (${kEmaBlockLength})`, () => {
    expect(wasm.emaBlockLength()).toBe(kEmaBlockLength);
  });

  // Lengths around one and several chunks; periods around the SMA's switch to chunks of 16 blocks
  // (period > kChunkPoints / 16) and to one piece, a period whose blocks are exactly 4 KiB apart (512),
  // and periods around the EMA's chunk growth (2 * period > kChunkPoints).
  const lengths = [kChunkPoints - 1, kChunkPoints, kChunkPoints + 1, 3 * kChunkPoints + 7];
  const periods = [1, 2, 3, 20, 512, 1023, 1024, 1025, 2000, 5000, kChunkPoints / 2 + 1, kChunkPoints, kChunkPoints + 1];
  for (const length of lengths) {
    it(`length ${length}: every period gives the reference's bits`, () => {
      const input = makeSeries({ length, seed: length });
      for (const period of periods) {
        expectIdentical(wasm.sma(input, period), sma(input, period), `sma period ${period}`);
        expectIdentical(wasm.ema(input, period), ema(input, period), `ema period ${period}`);
      }
    });
  }

  it('EMA gaps at and around chunk boundaries resume exactly (warm-ups and blocks cut by a chunk end)', () => {
    const length = 4 * kChunkPoints + 3;
    for (const period of [2, 5, 16, 17, 300]) {
      for (const shift of [-period - 1, -period, -1, 0, 1, kEmaBlockLength - 1]) {
        const input = makeSeries({ length, seed: period * 100 + shift + 50 });
        for (let chunk = 1; chunk <= 3; chunk++) input[chunk * kChunkPoints + shift] = Number.NaN;
        expectIdentical(wasm.ema(input, period), ema(input, period), `ema period ${period} shift ${shift}`);
        expectIdentical(wasm.sma(input, period), sma(input, period), `sma period ${period} shift ${shift}`);
      }
    }
  });

  it('EMA with gaps so dense that no warm-up finishes inside a chunk still makes progress', () => {
    const input = makeSeries({ length: 3 * kChunkPoints, seed: 3 });
    for (let index = 0; index < input.length; index += 7) input[index] = Number.NaN;
    expectIdentical(wasm.ema(input, 10), ema(input, 10), 'ema period 10, a gap every 7 points');
  });

  it('reuses its memory across calls of different lengths without mixing them up', () => {
    const long = makeSeries({ length: 50_000, seed: 1 });
    const short = makeSeries({ length: 37, seed: 2 });
    expectIdentical(wasm.sma(long, 9), sma(long, 9), 'long first');
    expectIdentical(wasm.sma(short, 9), sma(short, 9), 'then short');
    expectIdentical(wasm.ema(long, 9), ema(long, 9), 'then long again');
  });
});

describe.skipIf(wasmReason !== undefined)(`resident series${wasmReason === undefined ? '' : ` (skipped: ${wasmReason})`}`, () => {
  const wasm = getWasmBackend() as WasmMovingAverages;

  it('runs on data that lives in wasm memory and matches the reference', () => {
    const input = makeSeries({ length: 10_000, seed: 4, badShare: 0.002 });
    const resident = wasm.createResidentSeries(input.length);
    resident.input.set(input);
    expectIdentical(resident.sma(21).slice(), sma(input, 21), 'sma');
    expectIdentical(resident.ema(21).slice(), ema(input, 21), 'ema');
    expect(resident.sma(20_000).every(Number.isNaN), 'period longer than the series').toBe(true);
  });

  it('does not share memory with the backend or other resident series', () => {
    const first = wasm.createResidentSeries(100);
    const second = wasm.createResidentSeries(100);
    first.input.fill(1);
    second.input.fill(2);
    wasm.sma(makeSeries({ length: 5000, seed: 5 }), 3);
    expect(first.sma(3)[99]).toBe(1);
    expect(second.sma(3)[99]).toBe(2);
  });

  const hostile = [
    { message: 'a negative length', length: -1, code: 'ERR_KERNEL_INPUT_TOO_LONG' },
    { message: 'a fractional length', length: 2.5, code: 'ERR_KERNEL_INPUT_TOO_LONG' },
    { message: 'a length beyond kInputLengthMax', length: kInputLengthMax + 1, code: 'ERR_KERNEL_INPUT_TOO_LONG' },
  ];
  for (const { message, length, code } of hostile) {
    it(`refuses ${message}`, () => {
      expect(() => wasm.createResidentSeries(length)).toThrowError(expect.objectContaining({ code }));
    });
  }

  it('refuses a bad period with a typed error', () => {
    const resident = wasm.createResidentSeries(10);
    expect(() => resident.sma(0)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_PERIOD' }));
    expect(() => resident.ema(Number.NaN)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_PERIOD' }));
  });
});

/**
 * The facade: which backend it picks, what it says about it, OCTOPUS_KERNELS, and getBackend.
 * Selection is played out on hand-written stub backends, so these tests do not depend on what is built.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  getBackend,
  kernels,
  KernelError,
  selectKernels,
  type BackendName,
  type KernelBackend,
  type LoadedBackends,
} from '../../src/kernels/index.js';
import { sma } from '../../src/kernels/indicators/moving-average.js';
import { expectIdentical, makeSeries } from './support.js';

function stubBackend(name: BackendName): KernelBackend {
  return {
    name,
    sma: (input, _period, out) => (out ?? new Float64Array(input.length)).fill(1),
    ema: (input, _period, out) => (out ?? new Float64Array(input.length)).fill(2),
  };
}

const nativeMissing = 'Rust addon not built (native/octopus.linux-x64.node missing; run npm run build:native)';
const wasmMissing = 'WASM kernels not built (build/asm/moving-average.wasm missing; run npm run build:asm)';

function loadedWith(...names: BackendName[]): LoadedBackends {
  const backends: Partial<Record<BackendName, KernelBackend>> = {};
  const unavailable: Partial<Record<BackendName, string>> = {};
  for (const name of ['native', 'wasm', 'ts'] as const) {
    if (names.includes(name)) backends[name] = stubBackend(name);
    else if (name === 'native') unavailable.native = nativeMissing;
    else if (name === 'wasm') unavailable.wasm = wasmMissing;
  }
  return { backends, unavailable };
}

describe('selectKernels', () => {
  const cases: {
    message: string;
    preference: string | undefined;
    loaded: LoadedBackends;
    backend: BackendName;
    available: BackendName[];
    reason: string | null;
  }[] = [
    { message: 'everything built: Rust, nothing to report', preference: undefined, loaded: loadedWith('native', 'wasm', 'ts'), backend: 'native', available: ['native', 'wasm', 'ts'], reason: null },
    { message: 'no addon: WASM, and says why', preference: undefined, loaded: loadedWith('wasm', 'ts'), backend: 'wasm', available: ['wasm', 'ts'], reason: `${nativeMissing}; running on WASM` },
    { message: 'nothing built: TS, with both reasons', preference: '', loaded: loadedWith('ts'), backend: 'ts', available: ['ts'], reason: `${nativeMissing}; ${wasmMissing}; running on TS reference` },
    { message: 'forced ts', preference: 'ts', loaded: loadedWith('native', 'wasm', 'ts'), backend: 'ts', available: ['native', 'wasm', 'ts'], reason: 'OCTOPUS_KERNELS=ts; running on TS reference' },
    { message: 'forced wasm, spelled loosely', preference: '  WASM ', loaded: loadedWith('native', 'wasm', 'ts'), backend: 'wasm', available: ['native', 'wasm', 'ts'], reason: 'OCTOPUS_KERNELS=wasm; running on WASM' },
    { message: 'forced wasm without the addon still says the addon is missing', preference: 'wasm', loaded: loadedWith('wasm', 'ts'), backend: 'wasm', available: ['wasm', 'ts'], reason: `${nativeMissing}; OCTOPUS_KERNELS=wasm; running on WASM` },
    { message: 'forced native', preference: 'native', loaded: loadedWith('native', 'ts'), backend: 'native', available: ['native', 'ts'], reason: null },
  ];
  for (const { message, preference, loaded, backend, available, reason } of cases) {
    it(message, () => {
      const selected = selectKernels(preference, loaded);
      expect(selected.backend).toBe(backend);
      expect(selected.name).toBe(backend);
      expect(selected.available).toEqual(available);
      expect(selected.reason).toBe(reason);
      expect(selected.sma(new Float64Array(2), 1)[0]).toBe(1);
      expect(selected.ema(new Float64Array(2), 1)[0]).toBe(2);
    });
  }

  const failures: { message: string; preference: string; loaded: LoadedBackends; code: string; pattern: RegExp }[] = [
    { message: 'an unknown name', preference: 'gpu', loaded: loadedWith('native', 'wasm', 'ts'), code: 'ERR_KERNEL_UNKNOWN_BACKEND', pattern: /expected OCTOPUS_KERNELS to be one of native, wasm, ts \(or unset\), was "gpu"/ },
    { message: 'a name with junk around it', preference: 'native!', loaded: loadedWith('native', 'wasm', 'ts'), code: 'ERR_KERNEL_UNKNOWN_BACKEND', pattern: /was "native!"/ },
    { message: 'native when the addon is not built', preference: 'native', loaded: loadedWith('wasm', 'ts'), code: 'ERR_KERNEL_BACKEND_UNAVAILABLE', pattern: /expected OCTOPUS_KERNELS=native to name an available backend \(wasm, ts\), was Rust addon not built/ },
    { message: 'wasm when the module is not built', preference: 'wasm', loaded: loadedWith('native', 'ts'), code: 'ERR_KERNEL_BACKEND_UNAVAILABLE', pattern: /was WASM kernels not built/ },
  ];
  for (const { message, preference, loaded, code, pattern } of failures) {
    it(`throws ${code} for ${message}`, () => {
      let thrown: unknown;
      try {
        selectKernels(preference, loaded);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KernelError);
      expect((thrown as KernelError).code).toBe(code);
      expect((thrown as KernelError).message).toMatch(pattern);
    });
  }
});

describe('getBackend', () => {
  it('returns the TS reference under "ts"', () => {
    const input = makeSeries({ length: 100, seed: 1 });
    expectIdentical(getBackend('ts').sma(input, 5), sma(input, 5), 'ts');
  });

  it('refuses an unknown name with ERR_KERNEL_UNKNOWN_BACKEND', () => {
    expect(() => getBackend('gpu' as BackendName)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_UNKNOWN_BACKEND' }));
  });
});

describe('the process-wide kernels', () => {
  it('runs on one of the available backends and computes the reference results', () => {
    expect(kernels.available).toContain(kernels.backend);
    expect(kernels.available.at(-1)).toBe('ts');
    const input = makeSeries({ length: 1000, seed: 2 });
    expectIdentical(kernels.sma(input, 10), sma(input, 10), kernels.backend);
  });

  it('makes the import fail for an unknown OCTOPUS_KERNELS (checked in a child process)', () => {
    const indexUrl = new URL('../../src/kernels/index.ts', import.meta.url).href;
    const script = `import(${JSON.stringify(indexUrl)}).then(() => process.exit(0), (error) => { console.log(error.code); process.exit(3); });`;
    let output = '';
    let status = 0;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, OCTOPUS_KERNELS: 'quantum' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      status = (error as { status: number }).status;
      output = (error as { stdout: string }).stdout;
    }
    expect(status).toBe(3);
    expect(output.trim()).toBe('ERR_KERNEL_UNKNOWN_BACKEND');
  });
});

/**
 * The Rust backend: the napi-rs addon built from native/ by scripts/build-native.mjs.
 *
 * The addon borrows the caller's Float64Arrays (no copies) and writes into the output array, so the JS
 * side only checks arguments and allocates the output when the caller gave none.
 */
import { checkArguments, kEmaBlockLength, type KernelBackend } from './contract.js';
import { nativeAddonPath, requireNativeAddon } from './artifacts.js';
import { kernelError } from './errors.js';

/** The functions native/src/lib.rs exports. */
export interface NativeAddon {
  emaBlockLength(): number;
  sma(input: Float64Array, period: number, output: Float64Array): void;
  ema(input: Float64Array, period: number, output: Float64Array): void;
}

export type NativeLoadResult = { backend: NativeBackend; reason: null } | { backend: null; reason: string };

/** Loads the addon at `path`; returns the backend, or the reason it is unavailable (never throws). */
export function loadNativeBackend(path: string = nativeAddonPath): NativeLoadResult {
  const loaded = requireNativeAddon<NativeAddon>(path);
  if (loaded.value === null) return { backend: null, reason: loaded.reason };
  const addon = loaded.value;
  if (typeof addon.sma !== 'function' || typeof addon.ema !== 'function' || typeof addon.emaBlockLength !== 'function') {
    return { backend: null, reason: `Rust addon stale: expected sma, ema and emaBlockLength exports (run npm run build:native)` };
  }
  const blockLength = addon.emaBlockLength();
  if (blockLength !== kEmaBlockLength) {
    return {
      backend: null,
      reason: `Rust addon stale: expected EMA block length ${kEmaBlockLength}, was ${blockLength} (run npm run build:native)`,
    };
  }
  return { backend: new NativeBackend(addon), reason: null };
}

export class NativeBackend implements KernelBackend {
  readonly name = 'native' as const;
  private readonly addon: NativeAddon;

  constructor(addon: NativeAddon) {
    this.addon = addon;
  }

  /** @throws KernelError as KernelBackend.sma; ERR_KERNEL_BACKEND_FAILED if the addon refuses checked arguments. */
  sma(input: Float64Array, period: number, out?: Float64Array): Float64Array {
    const output = checkArguments(input, period, out);
    if (period > input.length) return output.fill(Number.NaN);
    this.invoke(() => this.addon.sma(input, period, output));
    return output;
  }

  /** @throws KernelError as KernelBackend.ema; ERR_KERNEL_BACKEND_FAILED if the addon refuses checked arguments. */
  ema(input: Float64Array, period: number, out?: Float64Array): Float64Array {
    const output = checkArguments(input, period, out);
    if (period > input.length) return output.fill(Number.NaN);
    this.invoke(() => this.addon.ema(input, period, output));
    return output;
  }

  /** The arguments were checked here first, so an addon error is a broken invariant, reported as such. */
  private invoke(kernel: () => void): void {
    try {
      kernel();
    } catch (error) {
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the Rust kernel to accept checked arguments', String(error), {
        cause: error,
      });
    }
  }
}

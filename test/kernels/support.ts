/**
 * Shared helpers for the kernel tests: a seeded series generator and the cross-backend comparison.
 */
import { expect } from 'vitest';
import { getBackend, KernelError, loadBackends, type BackendName, type KernelBackend } from '../../src/kernels/index.js';

/** mulberry32: a tiny seeded PRNG, so every failure reproduces from its seed. Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SeriesShape {
  length: number;
  seed: number;
  /** Share of points replaced by NaN, +Infinity or -Infinity (0 for a clean series). */
  badShare?: number;
  /** A random walk around 100 (prices) by default; 'wild' mixes signs and magnitudes 1e-6..1e9. */
  kind?: 'walk' | 'wild';
}

export function makeSeries({ length, seed, badShare = 0, kind = 'walk' }: SeriesShape): Float64Array {
  const random = seededRandom(seed);
  const series = new Float64Array(length);
  let price = 100;
  for (let index = 0; index < length; index++) {
    if (kind === 'walk') {
      price += random() - 0.5;
      series[index] = price;
    } else {
      const magnitude = 10 ** (random() * 15 - 6);
      series[index] = (random() < 0.5 ? -1 : 1) * magnitude;
    }
    if (badShare > 0 && random() < badShare) {
      const which = random();
      series[index] = which < 0.6 ? Number.NaN : which < 0.8 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
  }
  return series;
}

/** A backend, or the reason it is missing (null when present). */
export function backendOrReason(name: BackendName): { backend: KernelBackend | null; reason: string | null } {
  const reason = loadBackends().unavailable[name];
  return reason === undefined ? { backend: getBackend(name), reason: null } : { backend: null, reason };
}

/**
 * Asserts that `actual` agrees with `expected` point by point: NaN where NaN, equal infinities, and finite
 * values within `relativeTolerance` of the larger magnitude. Reports the first disagreement with its index.
 */
export function expectAgreement(actual: Float64Array, expected: Float64Array, relativeTolerance: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index]!;
    const got = actual[index]!;
    if (Number.isNaN(want) || Number.isNaN(got) || !Number.isFinite(want) || !Number.isFinite(got)) {
      if (!Object.is(got, want)) expect.fail(`${label}: index ${index}: expected ${want}, was ${got}`);
      continue;
    }
    const scale = Math.max(Math.abs(want), Math.abs(got));
    if (Math.abs(got - want) > relativeTolerance * scale) {
      expect.fail(`${label}: index ${index}: expected ${want}, was ${got} (relative ${Math.abs(got - want) / scale})`);
    }
  }
}

/** Asserts bit-identical outputs (NaN payloads aside: every NaN counts as NaN). */
export function expectIdentical(actual: Float64Array, expected: Float64Array, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index]!;
    const got = actual[index]!;
    if (!Object.is(got, want) && !(Number.isNaN(got) && Number.isNaN(want))) {
      expect.fail(`${label}: index ${index}: expected ${want}, was ${got}`);
    }
  }
}

/** The code of the KernelError `call` throws (failing the test for any other error), or 'no error'. */
export function codeOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelError);
    return (error as KernelError).code;
  }
  return 'no error';
}

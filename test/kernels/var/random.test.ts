/**
 * The Monte Carlo random numbers and path kernel: fdlibm exp/log against V8 (which also uses fdlibm, so
 * they agree bit for bit), the xoshiro128** streams (reference output, independence of stream seeding),
 * the Ziggurat normals and Student-t scale (moments, tails), and the WASM and Rust path kernels against the
 * TS reference, bit for bit, on random exposures, horizons, seeds, stream offsets and counts.
 */
import { describe, expect, it } from 'vitest';
import {
  buildZigguratTables,
  monteCarloSumsUnchecked,
  portableExp,
  portableLog,
  RandomStream,
  replayAssetShocks,
  studentConstants,
  studentScale,
} from '../../../src/kernels/var/random.js';
import { exposuresOf } from '../../../src/kernels/var/monte-carlo.js';
import { loadStatsBackends } from '../../../src/kernels/stats/backends.js';
import { expectAgreement, expectIdentical, seededRandom } from '../support.js';

describe('portable exp and log (fdlibm)', () => {
  it('agree with V8 (fdlibm) to the bit on 100,000 arguments each', () => {
    const random = seededRandom(1);
    for (let index = 0; index < 100_000; index++) {
      const x = -random() * 700;
      expect(Object.is(portableExp(x), Math.exp(x)), `exp(${x})`).toBe(true);
      const y = Math.exp((random() - 0.5) * 1400);
      expect(Object.is(portableLog(y), Math.log(y)), `log(${y})`).toBe(true);
    }
  });

  const cases = [
    { message: 'exp(0) = 1', actual: () => portableExp(0), expected: 1 },
    { message: 'exp(-ln 2) = 0.5', actual: () => portableExp(-Math.LN2), expected: 0.5 },
    { message: 'log(1) = 0', actual: () => portableLog(1), expected: 0 },
    { message: 'log(2) = ln 2', actual: () => portableLog(2), expected: Math.LN2 },
    { message: 'log(1 + 1e-7) near 1e-7', actual: () => portableLog(1.0000001), expected: Math.log(1.0000001) },
    { message: 'log(2^-32) for the smallest uniform', actual: () => portableLog(2 ** -33), expected: -33 * Math.LN2 },
  ];
  for (const { message, actual, expected } of cases) {
    it(message, () => {
      expect(Math.abs(actual() - expected)).toBeLessThanOrEqual(Math.abs(expected) * 2.3e-16);
    });
  }
});

describe('streams', () => {
  it('xoshiro128** from a given state reproduces the reference sequence', () => {
    // Blackman and Vigna's reference C code, state {1, 2, 3, 4}: the first outputs are 11520, 0, 5927040, 70819200.
    const stream = new RandomStream();
    Object.assign(stream, { s0: 1, s1: 2, s2: 3, s3: 4 });
    expect([stream.nextUint32(), stream.nextUint32(), stream.nextUint32(), stream.nextUint32()]).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('streams of neighbouring indices and seeds start from unrelated states', () => {
    const first = (seed: number, index: number): number[] => {
      const stream = new RandomStream();
      stream.reset(seed, index);
      return [stream.nextUint32(), stream.nextUint32()];
    };
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) for (let index = 0; index < 500; index++) seen.add(first(seed, index).join(','));
    expect(seen.size).toBe(10_000);
    // Correlation of the first uniform across consecutive stream indices is negligible.
    const xs = Array.from({ length: 20_000 }, (_, index) => first(7, index)[0]! / 2 ** 32 - 0.5);
    let lagged = 0;
    for (let index = 1; index < xs.length; index++) lagged += xs[index]! * xs[index - 1]!;
    expect(Math.abs(lagged / (xs.length - 1) / (1 / 12))).toBeLessThan(0.05);
  });
});

describe('Ziggurat normals', () => {
  it('the tables are monotone and end at the tail start', () => {
    const { width, density, acceptBelow } = buildZigguratTables();
    for (let layer = 2; layer < 1024; layer++) {
      expect(width[layer]!).toBeGreaterThan(width[layer - 1]!);
      expect(density[layer]!).toBeLessThan(density[layer - 1]!);
      expect(acceptBelow[layer]!).toBeLessThan(2 ** 21);
    }
    expect(width[1023]! * 2 ** 21).toBe(4.038849846109504);
  });

  it('have the moments and tail probabilities of N(0, 1) over 2,000,000 draws', () => {
    const stream = new RandomStream();
    stream.reset(123, 0);
    const count = 2_000_000;
    let sum = 0;
    let squares = 0;
    let fourth = 0;
    let beyond233 = 0;
    let beyond309 = 0;
    let beyondR = 0;
    for (let index = 0; index < count; index++) {
      const z = stream.nextNormal();
      sum += z;
      squares += z * z;
      fourth += z ** 4;
      if (z > 2.3263478740408408) beyond233++;
      if (z < -3.090232306167813) beyond309++;
      if (Math.abs(z) > 4.038849846109504) beyondR++;
    }
    // Tolerances: about 4 standard errors of each estimator.
    expect(Math.abs(sum / count)).toBeLessThan(4 / Math.sqrt(count));
    expect(Math.abs(squares / count - 1)).toBeLessThan(4 * Math.sqrt(2 / count));
    expect(Math.abs(fourth / count - 3)).toBeLessThan(4 * Math.sqrt(96 / count));
    expect(Math.abs(beyond233 / count - 0.01)).toBeLessThan(4 * Math.sqrt(0.0099 / count));
    expect(Math.abs(beyond309 / count - 0.001)).toBeLessThan(4 * Math.sqrt(0.000999 / count));
    // P(|Z| > 4.0388) = 5.3714e-5: the exact tail method is exercised.
    expect(Math.abs(beyondR / count - 5.3714e-5)).toBeLessThan(4 * Math.sqrt(5.37e-5 / count));
  });

  it('the Student-t scale has mean square (dof - 2) / dof x E[1/chi2] x dof = 1 (unit variance)', () => {
    const stream = new RandomStream();
    stream.reset(9, 9);
    const constants = studentConstants(6);
    let meanSquare = 0;
    const count = 400_000;
    for (let index = 0; index < count; index++) meanSquare += studentScale(stream, constants) ** 2;
    // E[(dof - 2) / chi2_dof] = (dof - 2) / (dof - 2) = 1.
    expect(Math.abs(meanSquare / count - 1)).toBeLessThan(0.01);
  });
});

describe('the path kernel (reference)', () => {
  it("v = L'x: a stream's P&L equals the sum of its replayed asset P&L", () => {
    const factor = new Float64Array([0.02, 0, 0, 0.006, 0.008, 0, -0.004, 0.002, 0.015]);
    const positions = new Float64Array([1e6, -3e5, 5e5]);
    const exposures = exposuresOf(factor, positions);
    for (const dof of [0, 4.5]) {
      const sums = new Float64Array(3);
      monteCarloSumsUnchecked(exposures, 7, 99, 10, dof, sums);
      for (let offset = 0; offset < 3; offset++) {
        const shocks = replayAssetShocks(factor, 3, 7, 99, 10 + offset, dof);
        const pnl = shocks.reduce((total, shock, i) => total + positions[i]! * shock, 0);
        expect(Math.abs(pnl - sums[offset]!), `dof ${dof} stream ${offset}`).toBeLessThan(1e-9 * Math.abs(sums[offset]!) + 1e-9);
      }
    }
  });

  it('a stream gives the same P&L whatever block it is simulated in', () => {
    const exposures = new Float64Array([1, 2, 3]);
    const whole = new Float64Array(10);
    monteCarloSumsUnchecked(exposures, 3, 5, 0, 0, whole);
    const tail = new Float64Array(4);
    monteCarloSumsUnchecked(exposures, 3, 5, 6, 0, tail);
    expectIdentical(tail, whole.subarray(6), 'streams 6..9');
  });
});

const kernelCases: { assets: number; days: number; seed: number; streamStart: number; count: number; dof: number }[] = [
  { assets: 1, days: 1, seed: 0, streamStart: 0, count: 1, dof: 0 },
  { assets: 1, days: 1, seed: 1, streamStart: 0, count: 3, dof: 0 },
  { assets: 2, days: 3, seed: 42, streamStart: 5, count: 9, dof: 0 },
  { assets: 7, days: 10, seed: 2 ** 32 - 1, streamStart: 2 ** 32 - 13, count: 13, dof: 0 },
  { assets: 100, days: 10, seed: 12345, streamStart: 4096, count: 257, dof: 0 },
  { assets: 33, days: 5, seed: 7, streamStart: 0, count: 130, dof: 5 },
  { assets: 4, days: 2, seed: 8, streamStart: 100, count: 64, dof: 2.5 },
  { assets: 10, days: 20, seed: 9, streamStart: 0, count: 41, dof: 1e6 },
];

for (const name of ['wasm', 'native'] as const) {
  const { backends, unavailable } = loadStatsBackends();
  const backend = backends[name] ?? null;
  const title = backend === null ? `${name} path kernel (skipped: ${unavailable[name]})` : `${name} path kernel against the TS reference`;
  describe.skipIf(backend === null)(title, () => {
    for (const { assets, days, seed, streamStart, count, dof } of kernelCases) {
      it(`${assets} assets, ${days} days, seed ${seed}, streams ${streamStart}+${count}, dof ${dof}: identical bits`, () => {
        const random = seededRandom(seed ^ assets);
        const exposures = new Float64Array(assets).map(() => (random() - 0.3) * 10 ** (random() * 8));
        const expected = new Float64Array(count);
        monteCarloSumsUnchecked(exposures, days, seed, streamStart, dof, expected);
        const actual = new Float64Array(count).fill(Number.NaN);
        backend!.monteCarloSums(exposures, days, seed, streamStart, dof, actual);
        expectAgreement(actual, expected, 1e-10, '1e-10 relative');
        expectIdentical(actual, expected, 'bits');
      });
    }

    it('100,000 streams of the bench shape agree in every bit', () => {
      const exposures = new Float64Array(20).map((_, i) => 1000 * (i + 1));
      const expected = new Float64Array(100_000);
      monteCarloSumsUnchecked(exposures, 2, 31337, 0, 0, expected);
      const actual = new Float64Array(100_000);
      backend!.monteCarloSums(exposures, 2, 31337, 0, 0, actual);
      expectIdentical(actual, expected, 'bits');
    });
  });
}

describe('the whole Monte Carlo pipeline on every backend', () => {
  it('simulateSums + monteCarloEstimate give identical bits on ts, wasm and native', async () => {
    const { simulateSums, monteCarloEstimate } = await import('../../../src/kernels/var/monte-carlo.js');
    const factor = new Float64Array([0.02, 0, 0, 0.006, 0.008, 0, -0.004, 0.002, 0.015]);
    const inputs = {
      positions: new Float64Array([1e6, -3e5, 5e5]),
      factor,
      means: new Float64Array([1e-4, 0, -2e-4]),
      confidence: 0.99,
      horizonDays: 10,
      paths: 30_001,
      seed: 4,
      antithetic: true,
      dof: 6,
    };
    const { backends } = loadStatsBackends();
    const reference = monteCarloEstimate(inputs, simulateSums(inputs, backends.ts!));
    for (const backend of [backends.wasm, backends.native]) {
      if (backend === undefined) continue;
      const estimate = monteCarloEstimate(inputs, simulateSums(inputs, backend));
      expect(Object.is(estimate.valueAtRisk, reference.valueAtRisk), backend.name).toBe(true);
      expect(Object.is(estimate.expectedShortfall, reference.expectedShortfall), backend.name).toBe(true);
      expectIdentical(estimate.componentVar, reference.componentVar, `${backend.name} components`);
    }
  });
});

/**
 * Linear algebra: Cholesky (hand-computed factors, the non-positive-definite error with its pivot index,
 * repair), the symmetric eigen decomposition, nearest positive definite repair (Higham 2002 and
 * eigenvalue clipping), and the WASM and Rust Cholesky against the TS reference, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { cholesky as referenceCholesky, choleskyUnchecked, nearestPositiveDefinite, symmetricEigen } from '../../../src/kernels/stats/linalg.js';
import { loadStatsBackends, tsStatsBackend } from '../../../src/kernels/stats/backends.js';
import { cholesky } from '../../../src/kernels/stats/stats.js';
import { expectAgreement, expectIdentical, seededRandom } from '../support.js';

const matrix = (rows: number[][]): Float64Array => new Float64Array(rows.flat());

/** L L' as a row-major matrix. */
function lowerTimesTranspose(factor: Float64Array, n: number): Float64Array {
  const product = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) product[i * n + j] = product[i * n + j]! + factor[i * n + k]! * factor[j * n + k]!;
  return product;
}

/** A random symmetric positive definite matrix A = B B' + n I / 10. */
function randomSpd(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const b = new Float64Array(n * n).map(() => random() - 0.5);
  const a = lowerTimesTranspose(b, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += b[i * n + k]! * b[j * n + k]!;
      a[i * n + j] = sum + (i === j ? n / 10 : 0);
    }
  }
  return a;
}

describe('Cholesky: hand-computed factors', () => {
  const cases: { message: string; a: number[][]; l: number[][] }[] = [
    { message: '1 x 1', a: [[9]], l: [[3]] },
    { message: '2 x 2', a: [[4, 2], [2, 3]], l: [[2, 0], [1, Math.SQRT2]] },
    {
      // The textbook example (e.g. Wikipedia "Cholesky decomposition"): [[4,12,-16],[12,37,-43],[-16,-43,98]] = L L', L = [[2],[6,1],[-8,5,3]].
      message: '3 x 3 textbook example',
      a: [[4, 12, -16], [12, 37, -43], [-16, -43, 98]],
      l: [[2, 0, 0], [6, 1, 0], [-8, 5, 3]],
    },
  ];
  for (const { message, a, l } of cases) {
    it(message, () => {
      expectAgreement(cholesky(matrix(a), a.length), matrix(l), 1e-15, message);
      expectAgreement(referenceCholesky(matrix(a), a.length), matrix(l), 1e-15, `${message} (reference)`);
    });
  }

  it('reconstructs a random 40 x 40 SPD matrix to 1e-12', () => {
    const a = randomSpd(40, 3);
    expectAgreement(lowerTimesTranspose(cholesky(a, 40), 40), a, 1e-12, 'L L\'');
  });
});

describe('Cholesky: matrices that are not positive definite', () => {
  const cases: { message: string; a: number[][]; pivot: number }[] = [
    { message: 'a negative diagonal', a: [[-1]], pivot: 0 },
    { message: 'a zero variance', a: [[1, 0], [0, 0]], pivot: 1 },
    { message: 'correlation 2 (indefinite)', a: [[1, 2], [2, 1]], pivot: 1 },
    { message: 'perfectly collinear assets (singular)', a: [[1, 1, 0], [1, 1, 0], [0, 0, 1]], pivot: 1 },
    { message: 'pairwise plausible correlations that are jointly impossible', a: [[1, 0.9, 0.7], [0.9, 1, 0.3], [0.7, 0.3, 1]], pivot: 2 },
  ];
  for (const { message, a, pivot } of cases) {
    it(`${message}: ERR_KERNEL_NOT_POSITIVE_DEFINITE at pivot ${pivot}`, () => {
      expect(() => cholesky(matrix(a), a.length)).toThrowError(
        expect.objectContaining({ code: 'ERR_KERNEL_NOT_POSITIVE_DEFINITE', message: expect.stringContaining(`pivot ${pivot} =`) }),
      );
    });
  }

  it('with { repair: true } factors the nearest positive definite matrix instead', () => {
    const a = matrix([[1, 0.9, 0.7], [0.9, 1, 0.3], [0.7, 0.3, 1]]);
    const factor = cholesky(a, 3, { repair: true });
    const repaired = lowerTimesTranspose(factor, 3);
    // Higham repair keeps the variances (the unit diagonal here) and moves the correlations a little.
    for (let i = 0; i < 3; i++) expect(repaired[i * 3 + i]).toBeCloseTo(1, 12);
    for (let k = 0; k < 9; k++) expect(Math.abs(repaired[k]! - a[k]!)).toBeLessThan(0.02);
  });

  const hostile: { message: string; run: () => unknown; code: string }[] = [
    { message: 'an asymmetric matrix', run: () => cholesky(matrix([[1, 0.5], [0.4, 1]]), 2), code: 'ERR_KERNEL_NOT_SYMMETRIC' },
    { message: 'a NaN entry', run: () => cholesky(matrix([[1, Number.NaN], [Number.NaN, 1]]), 2), code: 'ERR_KERNEL_NOT_FINITE' },
    { message: 'a length that is not n x n', run: () => cholesky(new Float64Array(3), 2), code: 'ERR_KERNEL_BAD_DIMENSIONS' },
    { message: 'n = 0', run: () => cholesky(new Float64Array(0), 0), code: 'ERR_KERNEL_BAD_DIMENSIONS' },
    { message: 'a repair flag that is not boolean', run: () => cholesky(matrix([[1]]), 1, { repair: 'yes' as unknown as boolean }), code: 'ERR_KERNEL_BAD_OPTION' },
  ];
  for (const { message, run, code } of hostile) {
    it(`refuses ${message} with ${code}`, () => {
      expect(run).toThrowError(expect.objectContaining({ code }));
    });
  }
});

describe('symmetric eigen decomposition (tred2 / tql2)', () => {
  it('a 2 x 2 with known eigenvalues 1 and 3', () => {
    const { values } = symmetricEigen(matrix([[2, 1], [1, 2]]), 2);
    expectAgreement(values, new Float64Array([1, 3]), 1e-15, 'eigenvalues');
  });

  for (const n of [1, 3, 17, 60]) {
    it(`V diag(values) V' = A and V'V = I for a random symmetric ${n} x ${n}`, () => {
      const random = seededRandom(n);
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = random() - 0.5;
      const { values, vectors } = symmetricEigen(a, n);
      for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let reconstructed = 0;
          let orthogonality = 0;
          for (let k = 0; k < n; k++) {
            reconstructed += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
            orthogonality += vectors[k * n + i]! * vectors[k * n + j]!;
          }
          expect(Math.abs(reconstructed - a[i * n + j]!)).toBeLessThan(1e-12);
          expect(Math.abs(orthogonality - (i === j ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
    });
  }
});

describe('nearest positive definite', () => {
  // Higham (2002), section 4: the nearest correlation matrix to [[1,1,0],[1,1,1],[0,1,1]] (eigenvalues
  // 1 - sqrt 2, 1, 1 + sqrt 2) is, to four places, [[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]].
  it("reproduces Higham's worked example", () => {
    const repaired = nearestPositiveDefinite(matrix([[1, 1, 0], [1, 1, 1], [0, 1, 1]]), 3);
    const expected = matrix([[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]]);
    for (let k = 0; k < 9; k++) expect(Math.abs(repaired[k]! - expected[k]!), `entry ${k}`).toBeLessThan(6e-5);
  });

  it('higham keeps the variances of a covariance and makes it factorable', () => {
    const deviations = [0.02, 0.01, 0.03];
    const correlation = [[1, 0.9, 0.7], [0.9, 1, 0.3], [0.7, 0.3, 1]];
    const covariance = matrix(correlation.map((row, i) => row.map((rho, j) => rho * deviations[i]! * deviations[j]!)));
    const repaired = nearestPositiveDefinite(covariance, 3);
    for (let i = 0; i < 3; i++) expect(repaired[i * 3 + i]).toBe(covariance[i * 3 + i]);
    expect(() => cholesky(repaired, 3)).not.toThrow();
    expect(symmetricEigen(repaired, 3).values[0]!).toBeGreaterThan(0);
  });

  it('clip raises the negative eigenvalues to the floor and leaves the rest', () => {
    const a = matrix([[1, 2], [2, 1]]); // eigenvalues -1 and 3
    const repaired = nearestPositiveDefinite(a, 2, { method: 'clip', eigenvalueFloor: 1e-6 });
    expectAgreement(symmetricEigen(repaired, 2).values, new Float64Array([3e-6, 3]), 1e-9, 'clipped eigenvalues');
  });

  it('leaves a positive definite matrix (nearly) unchanged', () => {
    const a = randomSpd(8, 21);
    expectAgreement(nearestPositiveDefinite(a, 8), a, 1e-9, 'already PD');
  });

  it('falls back to clip when a variance is zero, and refuses a matrix with no positive eigenvalue', () => {
    expect(() => cholesky(nearestPositiveDefinite(matrix([[1, 0], [0, 0]]), 2), 2)).not.toThrow();
    expect(() => nearestPositiveDefinite(matrix([[-1, 0], [0, -2]]), 2)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_NOT_POSITIVE_DEFINITE' }));
  });

  it('refuses bad options', () => {
    const a = matrix([[1]]);
    for (const options of [{ method: 'nope' }, { eigenvalueFloor: 0 }, { eigenvalueFloor: 0.5 }, { iterationsMax: 0 }, { tolerance: 2 }]) {
      expect(() => nearestPositiveDefinite(a, 1, options as never), JSON.stringify(options)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_OPTION' }));
    }
  });
});

for (const name of ['wasm', 'native'] as const) {
  const { backends, unavailable } = loadStatsBackends();
  const backend = backends[name] ?? null;
  const title = backend === null ? `${name} Cholesky (skipped: ${unavailable[name]})` : `${name} Cholesky against the TS reference`;
  describe.skipIf(backend === null)(title, () => {
    for (const n of [1, 2, 3, 5, 16, 61, 150]) {
      it(`random SPD ${n} x ${n}: identical bits`, () => {
        const a = randomSpd(n, 100 + n);
        const expected = new Float64Array(n * n);
        const actual = new Float64Array(n * n);
        expect(choleskyUnchecked(a, n, expected)).toBe(-1);
        expect(backend!.cholesky(a, n, actual)).toBe(-1);
        expectAgreement(actual, expected, 1e-10, '1e-10 relative');
        expectIdentical(actual, expected, 'bits');
      });
    }

    it('a non-PD matrix fails at the same pivot with the same pivot value', () => {
      const a = matrix([[1, 0.9, 0.7], [0.9, 1, 0.3], [0.7, 0.3, 1]]);
      const expected = new Float64Array(9);
      const actual = new Float64Array(9);
      expect(backend!.cholesky(a, 3, actual)).toBe(tsStatsBackend.cholesky(a, 3, expected));
      expectIdentical(actual, expected, 'partial factor and pivot value');
    });
  });
}

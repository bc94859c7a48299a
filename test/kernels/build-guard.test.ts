/**
 * The backend suites skip when a backend is not built, so that a machine without Rust can still run the
 * tests. This guard keeps that from hiding a broken build: `npm test` builds first, so WASM must always
 * be there, and the Rust addon must be there whenever cargo is installed (as in CI).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadBackends } from '../../src/kernels/index.js';

function hasCargo(): boolean {
  try {
    execFileSync('cargo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('kernel build guard', () => {
  it('has the WASM backend built', () => {
    expect(loadBackends().unavailable.wasm).toBeUndefined();
  });

  it.runIf(hasCargo())('has the Rust addon built when cargo is installed', () => {
    expect(loadBackends().unavailable.native).toBeUndefined();
  });
});

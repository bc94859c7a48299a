/**
 * The one assertion helper. An assertion guards an invariant the code itself maintains (a ring header,
 * a book's totals, cash conservation): when it fails the state cannot be trusted, so it throws an
 * `AssertionFailure`, which is never caught on purpose. The actor stops, its supervisor restarts it and
 * the new worker rebuilds its state from snapshot + journal. Expected failures (bad input, a full ring, a
 * venue down) are typed `OctopusError`s instead, never assertions.
 *
 * Style (TigerBeetle): one condition per call, `assert(a); assert(b);` rather than `assert(a && b)`, so a
 * failure names the exact condition.
 */
export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionFailure';
  }
}

/** @throws AssertionFailure when `condition` is false. `message` reads "expected X, was Y". */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionFailure(typeof message === 'string' ? message : message());
}

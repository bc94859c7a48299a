// Reading and writing f64 arrays in linear memory, shared by every kernel module of asm/. The build
// compiles only the top-level asm/*.ts as modules; this folder holds what they import.

/** The f64 at `index` of the array at byte address `base`. */
@inline export function readAt(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

@inline export function writeAt(base: usize, index: i32, value: f64): void {
  store<f64>(base + (<usize>index << 3), value);
}

/** The byte address of element `index` of the array at `base`, for lane loads and stores. */
@inline export function addressOf(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

@inline export function isFiniteValue(value: f64): bool {
  // x - x is 0 for every finite x and NaN for NaN and both infinities.
  return value - value == 0.0;
}

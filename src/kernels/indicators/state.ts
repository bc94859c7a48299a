/**
 * Saving and restoring the state of the streaming indicators (src/kernels/indicators/streaming.ts).
 *
 * A saved state is a plain object of numbers, booleans, strings and arrays, so it survives both
 * `structuredClone` and `JSON.parse(JSON.stringify(state))` unchanged. JSON has no NaN, no infinities and
 * no negative zero, and a window that held a NaN must come back holding a NaN, so those four values are
 * written as the strings 'NaN', 'Infinity', '-Infinity' and '-0' (`SavedNumber`). Every other double
 * round-trips exactly through JSON (JavaScript prints the shortest string that parses back to the same
 * double).
 *
 * Restoring validates everything, because a state may come from outside (a file, a request): a state of
 * another indicator or version, a missing field, a number of the wrong kind or an array of the wrong
 * length throws KernelError ERR_KERNEL_BAD_STATE naming the field.
 */
import { describeValue, kernelError } from '../errors.js';

/** A double as saved: itself when JSON can carry it, else its name. */
export type SavedNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** The version of every saved indicator state; restore refuses any other. */
export const kIndicatorStateVersion = 1;

export function saveNumber(value: number): SavedNumber {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return value;
}

/** values[from..to), saved. */
export function saveNumbers(values: Float64Array, from: number, to: number): SavedNumber[] {
  const saved: SavedNumber[] = [];
  for (let index = from; index < to; index++) saved.push(saveNumber(values[index]!));
  return saved;
}

/** @throws KernelError ERR_KERNEL_BAD_STATE when `saved` is not a SavedNumber. */
export function restoreNumber(saved: unknown, label: string): number {
  if (typeof saved === 'number') return saved;
  switch (saved) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    case '-0':
      return -0;
    default:
      throw badState(`${label} to be a number or one of "NaN", "Infinity", "-Infinity", "-0"`, describeValue(saved));
  }
}

/**
 * Restores an array of exactly `length` saved numbers into `target` starting at `offset`.
 * @throws KernelError ERR_KERNEL_BAD_STATE.
 */
export function restoreNumbersInto(saved: unknown, length: number, target: Float64Array, offset: number, label: string): void {
  if (!Array.isArray(saved)) throw badState(`${label} to be an array`, describeValue(saved));
  if (saved.length !== length) throw badState(`${label} to hold ${length} numbers`, `${saved.length}`);
  for (let index = 0; index < length; index++) {
    target[offset + index] = restoreNumber(saved[index], `${label}[${index}]`);
  }
}

/**
 * The state as a record, after checking that it is an object saved by `kind` at this version.
 * @throws KernelError ERR_KERNEL_BAD_STATE.
 */
export function readState(state: unknown, kind: string): Readonly<Record<string, unknown>> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw badState(`a saved ${kind} state (an object)`, describeValue(state));
  }
  const record = state as Record<string, unknown>;
  if (record.kind !== kind) throw badState(`state.kind "${kind}"`, describeValue(record.kind));
  if (record.version !== kIndicatorStateVersion) {
    throw badState(`state.version ${kIndicatorStateVersion}`, describeValue(record.version));
  }
  return record;
}

/** A nested part of a state (the state of one window inside an indicator). @throws ERR_KERNEL_BAD_STATE. */
export function readPart(record: Readonly<Record<string, unknown>>, key: string, label: string): Readonly<Record<string, unknown>> {
  const value = record[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badState(`${label}.${key} to be an object`, describeValue(value));
  }
  return value as Record<string, unknown>;
}

/** An integer field in [min, max]. @throws KernelError ERR_KERNEL_BAD_STATE. */
export function readInteger(record: Readonly<Record<string, unknown>>, key: string, min: number, max: number, label: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw badState(`${label}.${key} to be an integer in ${min}..${max}`, describeValue(value));
  }
  return value;
}

/** A boolean field. @throws KernelError ERR_KERNEL_BAD_STATE. */
export function readBoolean(record: Readonly<Record<string, unknown>>, key: string, label: string): boolean {
  const value = record[key];
  if (typeof value !== 'boolean') throw badState(`${label}.${key} to be a boolean`, describeValue(value));
  return value;
}

/** A saved-number field. @throws KernelError ERR_KERNEL_BAD_STATE. */
export function readNumber(record: Readonly<Record<string, unknown>>, key: string, label: string): number {
  return restoreNumber(record[key], `${label}.${key}`);
}

/** A finite-number field (a parameter such as the Bollinger multiplier). @throws ERR_KERNEL_BAD_STATE. */
export function readFinite(record: Readonly<Record<string, unknown>>, key: string, label: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badState(`${label}.${key} to be a finite number`, describeValue(value));
  }
  return value;
}

/** The error every malformed state throws: KernelError ERR_KERNEL_BAD_STATE, "expected X, was Y". */
export function badState(expected: string, was: string): Error {
  return kernelError('ERR_KERNEL_BAD_STATE', expected, was);
}

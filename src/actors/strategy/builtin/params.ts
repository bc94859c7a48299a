/** Parameter checks shared by the built-in strategies (typed ERR_STRATEGY_BAD_PARAMS errors). */
import { OctopusError } from '../../../engine/errors.js';

export function integerParam(params: object, name: string, min: number, max: number): number {
  const value = (params as Record<string, unknown>)[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected ${name} an integer in [${min}, ${max}], was ${JSON.stringify(value)}`);
  }
  return value;
}

export function numberParam(params: object, name: string, min: number, max: number): number {
  const value = (params as Record<string, unknown>)[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected ${name} a number in [${min}, ${max}], was ${JSON.stringify(value)}`);
  }
  return value;
}

export function booleanParam(params: object, name: string): boolean {
  const value = (params as Record<string, unknown>)[name];
  if (typeof value !== 'boolean') throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected ${name} true or false, was ${JSON.stringify(value)}`);
  return value;
}

export function ordered(smaller: number, larger: number, what: string): void {
  if (!(smaller < larger)) throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected ${what}, was ${smaller} and ${larger}`);
}

/** A per-symbol state map with a bound (a feed gone wrong cannot grow it without limit). */
export class PerSymbol<T> {
  private readonly states = new Map<string, T>();
  constructor(private readonly create: () => T, private readonly maxSymbols = 10_000) {}

  get(symbol: string): T {
    let state = this.states.get(symbol);
    if (state === undefined) {
      if (this.states.size >= this.maxSymbols) throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected at most ${this.maxSymbols} symbols, was more`);
      this.states.set(symbol, (state = this.create()));
    }
    return state;
  }
}

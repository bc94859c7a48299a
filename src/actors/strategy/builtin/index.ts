/**
 * The built-in strategies, by the name runs and the CLI use (`--strategy sma_cross`), and the one way to
 * build a strategy from a class and parameters (defaults merged, then validated).
 * The table is built on first use, not at import, because signal-fusion.ts (a member of it) imports this
 * module back to build its members.
 */
import { OctopusError } from '../../../engine/errors.js';
import type { Strategy, StrategyClass } from '../strategy-api.js';
import { DonchianBreakout } from './donchian-breakout.js';
import { EmaCross, SmaCross } from './moving-average-cross.js';
import { PairsSpread } from './pairs-spread.js';
import { SignalFusion } from './signal-fusion.js';
import { TimeSeriesMomentum } from './time-series-momentum.js';
import { ZScoreReversion } from './zscore-reversion.js';

let table: Map<string, StrategyClass<object>> | null = null;

export function builtinStrategies(): Map<string, StrategyClass<object>> {
  table ??= new Map<string, StrategyClass<object>>([
    ['sma_cross', SmaCross as unknown as StrategyClass<object>],
    ['ema_cross', EmaCross as unknown as StrategyClass<object>],
    ['zscore_reversion', ZScoreReversion as unknown as StrategyClass<object>],
    ['donchian_breakout', DonchianBreakout as unknown as StrategyClass<object>],
    ['momentum', TimeSeriesMomentum as unknown as StrategyClass<object>],
    ['pairs', PairsSpread as unknown as StrategyClass<object>],
    ['fusion', SignalFusion as unknown as StrategyClass<object>],
  ]);
  return table;
}

/** @throws OctopusError ERR_STRATEGY_UNKNOWN. */
export function builtinStrategy(name: string): StrategyClass<object> {
  const found = builtinStrategies().get(name);
  if (found === undefined) throw new OctopusError('ERR_STRATEGY_UNKNOWN', `expected a built-in strategy (${[...builtinStrategies().keys()].join(', ')}) or a file, was ${JSON.stringify(name)}`);
  return found;
}

/**
 * Merges the class's defaults under `params`, validates, constructs.
 * @throws OctopusError ERR_STRATEGY_BAD_PARAMS (not an object, or the class's validate refused).
 */
export function createStrategy(strategyClass: StrategyClass<object>, params: unknown): Strategy<object> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected params a JSON object, was ${JSON.stringify(params)?.slice(0, 60)}`);
  }
  const merged = { ...strategyClass.defaults, ...params };
  strategyClass.validate?.(merged);
  return new strategyClass(merged);
}

/** A built-in by name. @throws as builtinStrategy and createStrategy. */
export function instantiateStrategy(name: string, params: unknown): Strategy<object> {
  return createStrategy(builtinStrategy(name), params);
}

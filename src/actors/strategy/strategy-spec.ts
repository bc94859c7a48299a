/**
 * The strategy actor's place in the engine: its spec, built from the configuration, and what it changes
 * in the execution actor's options (it subscribes to market data and reports, and the simulated exchange
 * runs in lockstep with it). main.ts calls this once; nothing happens without --strategy.
 */
import { resolve } from 'node:path';
import type { EngineConfig } from '../../config.js';
import type { ActorSpec } from '../../engine/system.js';
import type { ExecutionOptions } from '../execution/execution-core.js';
import { lotSizesOf, sizingFeeRateOf } from '../backtester/simulated-run.js';
import type { StrategyActorOptions } from './strategy-actor.js';

export const kStrategyActorName = 'strategy';

/** Instance names: built-ins by their name, files by their base name; repeats get a numeric suffix. */
export function strategyNames(specs: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return specs.map((spec) => {
    const base = (spec.split('/').pop() ?? spec).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'strategy';
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}

/** The strategy actor's spec, or null without strategies; adds it to `execution`'s subscribers and lockstep. */
export function strategyActorSpec(config: EngineConfig, execution: ExecutionOptions, module: URL, updateSubscriber: string): ActorSpec | null {
  if (config.strategies.length === 0) return null;
  execution.marketDataSubscribers.push(kStrategyActorName);
  execution.reportSubscribers.push(kStrategyActorName);
  if (execution.simulation !== undefined) execution.simulation.lockstep = [kStrategyActorName];
  const names = strategyNames(config.strategies);
  const options: StrategyActorOptions = {
    strategies: config.strategies.map((spec, index) => ({ name: names[index]!, spec, params: config.strategyParams[config.strategyParams.length === 1 ? 0 : index] ?? {} })),
    execution: 'execution',
    startingCash: execution.startingCash,
    lotSizes: [...lotSizesOf(execution)],
    sizingFeeRate: sizingFeeRateOf(execution),
    symbols: [],
    barIntervalMs: config.barIntervalsMs[0] ?? 1_000,
    lockstep: execution.simulation !== undefined,
    updateSubscribers: [updateSubscriber],
    baseDirectory: resolve('.'),
  };
  return { name: kStrategyActorName, module, options };
}

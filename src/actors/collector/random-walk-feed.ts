/**
 * A seeded random-walk trade generator: geometric Brownian motion per symbol, prices on a tick grid,
 * quantities in whole lots. The same seed gives the same sequence of trades (prices, sizes, sides, ids);
 * only the timestamps come from the injected clock. The market-data issue replaces it with a simulated
 * exchange with order books.
 */
import { SeededRandom } from '../../engine/random.js';
import type { Trade } from '../../engine/messages.js';
import { OctopusError } from '../../engine/errors.js';

export interface RandomWalkOptions {
  symbols: readonly string[];
  seed: number;
  /** Starting price for every symbol (each symbol is offset deterministically from it). */
  startPrice: number;
  /** Volatility per trade step, as a fraction (0.0005 = 5 bp). */
  volatilityPerStep: number;
  tickSize: number;
  lotSize: number;
}

export const defaultRandomWalkOptions: Omit<RandomWalkOptions, 'symbols' | 'seed'> = {
  startPrice: 100,
  volatilityPerStep: 0.0005,
  tickSize: 0.01,
  lotSize: 1,
};

export class RandomWalkFeed {
  private readonly random: SeededRandom;
  private readonly prices: Float64Array;
  private nextTradeId = 1;
  private nextSymbol = 0;

  constructor(private readonly options: RandomWalkOptions) {
    if (options.symbols.length === 0) throw new OctopusError('ERR_CONFIG_INVALID', 'expected at least one symbol, was none');
    if (!(options.tickSize > 0) || !(options.lotSize > 0) || !(options.startPrice > 0) || !(options.volatilityPerStep >= 0)) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected positive tick, lot and start price, was ${JSON.stringify(options)}`);
    }
    this.random = new SeededRandom(options.seed);
    this.prices = Float64Array.from(options.symbols, (_, index) => options.startPrice * (1 + index * 0.25));
  }

  /** The next trade, round-robin over symbols so every symbol trades steadily. */
  next(timeMs: number): Trade {
    const index = this.nextSymbol;
    this.nextSymbol = (index + 1) % this.options.symbols.length;
    const { tickSize, lotSize, volatilityPerStep } = this.options;
    const drifted = this.prices[index]! * Math.exp(volatilityPerStep * this.random.nextNormal());
    const price = Math.max(tickSize, Math.round(drifted / tickSize) * tickSize);
    this.prices[index] = drifted;
    const lots = 1 + Math.floor(-Math.log(1 - this.random.nextFloat()) * 20);
    return {
      symbol: this.options.symbols[index]!,
      // Rounded again so that the float is the nearest double to a whole number of ticks.
      price: Number(price.toFixed(decimalsOf(tickSize))),
      qty: lots * lotSize,
      side: this.random.nextFloat() < 0.5 ? 'buy' : 'sell',
      tradeId: this.nextTradeId++,
      timeMs,
    };
  }
}

function decimalsOf(step: number): number {
  const text = String(step);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

import { describe, expect, it } from 'vitest';
import { RandomWalkFeed, defaultRandomWalkOptions } from '../../../src/actors/collector/random-walk-feed.js';
import { SeededRandom } from '../../../src/engine/random.js';

const symbols = ['AAA', 'BBB', 'CCC'];

describe('RandomWalkFeed', () => {
  it('replays exactly for the same seed and differs for another seed', () => {
    const run = (seed: number) => {
      const feed = new RandomWalkFeed({ ...defaultRandomWalkOptions, symbols, seed });
      return Array.from({ length: 1_000 }, (_, index) => feed.next(index));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('produces valid trades: prices on the tick grid, positive whole lots, round-robin symbols', () => {
    const feed = new RandomWalkFeed({ ...defaultRandomWalkOptions, symbols, seed: 1 });
    for (let index = 0; index < 10_000; index++) {
      const trade = feed.next(index);
      expect(trade.symbol).toBe(symbols[index % symbols.length]);
      expect(Number.isFinite(trade.price) && trade.price > 0).toBe(true);
      expect(Math.abs(trade.price * 100 - Math.round(trade.price * 100))).toBeLessThan(1e-6);
      expect(Number.isInteger(trade.qty) && trade.qty >= 1).toBe(true);
      expect(['buy', 'sell']).toContain(trade.side);
      expect(trade.tradeId).toBe(index + 1);
    }
  });

  it.each([
    ['no symbols', { symbols: [] as string[] }],
    ['zero tick', { tickSize: 0 }],
    ['negative start price', { startPrice: -1 }],
    ['NaN volatility', { volatilityPerStep: Number.NaN }],
  ])('rejects %s with ERR_CONFIG_INVALID', (_name, override) => {
    expect(() => new RandomWalkFeed({ ...defaultRandomWalkOptions, symbols, seed: 1, ...override })).toThrowError(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});

describe('SeededRandom', () => {
  it('gives uniform floats in [0, 1) and standard normals with mean ~0 and variance ~1', () => {
    const random = new SeededRandom(123);
    let sum = 0;
    let sumSquares = 0;
    const count = 200_000;
    for (let index = 0; index < count; index++) {
      const uniform = random.nextFloat();
      expect(uniform >= 0 && uniform < 1).toBe(true);
      const normal = random.nextNormal();
      sum += normal;
      sumSquares += normal * normal;
    }
    // Standard error of the mean is 1/sqrt(n) ~ 0.0022; allow 5 standard errors.
    expect(Math.abs(sum / count)).toBeLessThan(0.012);
    expect(Math.abs(sumSquares / count - 1)).toBeLessThan(0.02);
  });
});

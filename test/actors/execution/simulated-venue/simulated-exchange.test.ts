/**
 * The simulated exchange: exact replay for a seed, book invariants after every step, quotes and L2 deltas
 * consistent with the book, statistical sanity of the latent paths and of the traded prices, config checks.
 */
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../../../src/actors/execution/book/matching-engine.js';
import { copyMarketEvent, type MarketEvent } from '../../../../src/actors/collector/market-events.js';
import { SimulatedExchange, type SimulatedExchangeConfig, type SimulatedSymbol } from '../../../../src/actors/execution/simulated-venue/simulated-exchange.js';
import { MarketDataValidator } from '../../../../src/actors/collector/market-data-validator.js';
import type { OctopusError } from '../../../../src/engine/errors.js';

function run(config: SimulatedExchangeConfig, untilMs: number, chunkMs: number): MarketEvent[] {
  const exchange = new SimulatedExchange(config);
  const events: MarketEvent[] = [];
  for (let time = chunkMs; time <= untilMs; time += chunkMs) for (const event of exchange.step(time)) events.push(copyMarketEvent(event));
  return events;
}

function correlationOf(a: number[], b: number[]): number {
  const n = a.length;
  const meanA = a.reduce((sum, value) => sum + value, 0) / n;
  const meanB = b.reduce((sum, value) => sum + value, 0) / n;
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let index = 0; index < n; index++) {
    covariance += (a[index]! - meanA) * (b[index]! - meanB);
    varianceA += (a[index]! - meanA) ** 2;
    varianceB += (b[index]! - meanB) ** 2;
  }
  return covariance / Math.sqrt(varianceA * varianceB);
}

const kSmallUniverse: SimulatedSymbol[] = [
  { symbol: 'A1', sector: 'a', tickSize: 0.01, lotSize: 1, startPrice: 100, annualVolatility: 0.3 },
  { symbol: 'A2', sector: 'a', tickSize: 0.01, lotSize: 1, startPrice: 50, annualVolatility: 0.3 },
  { symbol: 'B1', sector: 'b', tickSize: 0.05, lotSize: 10, startPrice: 80, annualVolatility: 0.3 },
  { symbol: 'B2', sector: 'b', tickSize: 0.01, lotSize: 0.1, startPrice: 20, annualVolatility: 0.3 },
];

describe('SimulatedExchange determinism', () => {
  it('replays the same event stream for the same seed and config, whatever the step() chunking', () => {
    const first = run({ seed: 42 }, 10_000, 1_000);
    const second = run({ seed: 42 }, 10_000, 1_000);
    const rechunked = run({ seed: 42 }, 10_000, 2_500);
    expect(first.length, 'a busy market produces events').toBeGreaterThan(10_000);
    expect(second, 'same seed, same stream').toEqual(first);
    expect(rechunked, 'chunking step() differently changes nothing').toEqual(first);
    expect(run({ seed: 43 }, 10_000, 1_000), 'another seed, another stream').not.toEqual(first);
  });

  it('produces every kind of event with timestamps on the step grid, never going backwards', () => {
    const events = run({ seed: 1 }, 5_000, 500);
    const kinds = new Set(events.map((event) => event.kind));
    expect([...kinds].sort()).toEqual(['book_delta', 'quote', 'trade']);
    let last = 0;
    for (const event of events) {
      expect(event.timeMs % 100, 'on the 100 ms step grid').toBe(0);
      expect(event.timeMs >= last, 'time never goes backwards').toBe(true);
      last = event.timeMs;
    }
  });
});

describe('SimulatedExchange invariants', () => {
  it('produces only data the market-data validator accepts', () => {
    const exchange = new SimulatedExchange({ seed: 5 });
    const validator = new MarketDataValidator({ symbols: exchange.symbols });
    for (let time = 1_000; time <= 10_000; time += 1_000) for (const event of exchange.step(time)) validator.check(event);
    const stats = validator.stats();
    expect(stats.accepted).toBeGreaterThan(10_000);
    expect(stats.rejected, JSON.stringify(validator.quarantined().slice(0, 3))).toBe(0);
  });

  it('keeps quotes within the price bounds when the fair value runs away', () => {
    const exchange = new SimulatedExchange({
      seed: 8, symbols: [{ ...kSmallUniverse[0]!, startPrice: 600_000 }], jumps: { intensityPerHour: 3_600, meanLog: 0.05, stdLog: 0 },
    });
    for (let time = 10_000; time <= 600_000; time += 10_000) exchange.step(time);
    expect(exchange.fairValue('A1')).toBeLessThanOrEqual(671_088.64);
    exchange.engine.book('A1').assertInvariants();
  });

  it('jumps at about the configured intensity', () => {
    const exchange = new SimulatedExchange({
      seed: 8, symbols: kSmallUniverse.slice(0, 1), takers: { ratePerSecond: 0 }, jumps: { intensityPerHour: 360, meanLog: 0, stdLog: 0.05 },
      garch: { alpha: 0, beta: 0 },
    });
    let jumps = 0;
    for (let step = 1; step <= 36_000; step++) {
      exchange.step(step * 100);
      // Diffusive steps are ~4e-5; jumps of N(0, 0.05) exceed 0.005 in 92 % of cases (~331 expected).
      if (Math.abs(exchange.fairReturns()[0]!) > 0.005) jumps += 1;
    }
    expect(jumps, 'about 331 expected').toBeGreaterThan(280);
    expect(jumps).toBeLessThan(390);
  });

  it('keeps trades on the grid, the book uncrossed, quotes equal to the top of book and L2 deltas reproducing snapshot()', () => {
    const exchange = new SimulatedExchange({ seed: 9 });
    const mirror = new Map<string, { bid: Map<number, number>; ask: Map<number, number> }>();
    const lastQuote = new Map<string, MarketEvent>();
    for (const symbol of exchange.symbols) mirror.set(symbol, { bid: new Map(), ask: new Map() });
    for (let time = 200; time <= 20_000; time += 200) {
      for (const event of exchange.step(time)) {
        const book = exchange.engine.book(event.symbol);
        if (event.kind === 'trade') {
          expect(() => book.toTicks(event.price), `trade ${event.price} on ${event.symbol}'s tick grid`).not.toThrow();
          expect(() => book.toLots(event.qty), `trade qty ${event.qty} on the lot grid`).not.toThrow();
        } else if (event.kind === 'book_delta') {
          const side = mirror.get(event.symbol)![event.side === 'buy' ? 'bid' : 'ask'];
          if (event.qty === 0) side.delete(event.price);
          else side.set(event.price, event.qty);
        } else {
          expect(event.bidPrice < event.askPrice, 'quote uncrossed').toBe(true);
          lastQuote.set(event.symbol, { ...event });
        }
      }
      for (const symbol of exchange.symbols) {
        const book = exchange.engine.book(symbol);
        book.assertInvariants();
        const snapshot = exchange.snapshot(symbol);
        const sides = mirror.get(symbol)!;
        const rebuilt = {
          symbol,
          bids: [...sides.bid].sort((a, b) => b[0] - a[0]).map(([price, qty]) => ({ price, qty })),
          asks: [...sides.ask].sort((a, b) => a[0] - b[0]).map(([price, qty]) => ({ price, qty })),
        };
        expect(rebuilt, `${symbol} L2 mirror at ${time}`).toEqual(snapshot);
        const bestBid = snapshot.bids[0];
        const bestAsk = snapshot.asks[0];
        if (bestBid !== undefined && bestAsk !== undefined) {
          expect(bestBid.price < bestAsk.price, `${symbol} uncrossed at ${time}`).toBe(true);
          expect(lastQuote.get(symbol), `${symbol} last quote is the top of book at ${time}`).toEqual({
            kind: 'quote', symbol, bidPrice: bestBid.price, bidQty: bestBid.qty, askPrice: bestAsk.price, askQty: bestAsk.qty,
            timeMs: lastQuote.get(symbol)!.timeMs,
          });
        }
      }
    }
  });

  it('survives another participant trading against its quotes on a shared engine', () => {
    const engine = new MatchingEngine();
    const exchange = new SimulatedExchange({ seed: 4, engine, symbols: kSmallUniverse });
    exchange.step(1_000);
    for (let round = 1; round <= 20; round++) {
      for (const symbol of exchange.symbols) {
        const book = engine.book(symbol);
        // Sweeps the whole ask side: every maker sell quote is filled in a call the exchange does not see.
        book.submitTicks({ account: 'strategy', side: 'buy', type: 'market', qtyLots: 100_000, timeInForce: 'ioc' }, round * 1_000);
      }
      expect(() => exchange.step(1_000 + round * 1_000), `round ${round}`).not.toThrow();
      for (const symbol of exchange.symbols) {
        engine.book(symbol).assertInvariants();
        expect(exchange.snapshot(symbol).asks.length, `${symbol} makers requoted their filled asks in round ${round}`).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('shares an external engine and keeps maker inventories bounded by the skew', () => {
    const engine = new MatchingEngine();
    const exchange = new SimulatedExchange({ seed: 3, engine, symbols: kSmallUniverse });
    expect(exchange.engine).toBe(engine);
    expect(engine.symbols()).toEqual(['A1', 'A2', 'B1', 'B2']);
    for (let time = 10_000; time <= 120_000; time += 10_000) exchange.step(time);
    for (const symbol of exchange.symbols) {
      const inventory = exchange.makerInventoryLots(symbol, 0);
      expect(Math.abs(inventory), `${symbol} maker 0 inventory ${inventory}`).toBeLessThan(2_000);
    }
  });
});

describe('SimulatedExchange statistics', () => {
  it('correlates same-sector returns more than cross-sector ones, and clusters volatility', () => {
    const exchange = new SimulatedExchange({ seed: 11, symbols: kSmallUniverse, takers: { ratePerSecond: 2 }, garch: { alpha: 0.1, beta: 0.85 } });
    const returns: number[][] = kSmallUniverse.map(() => []);
    const mids: number[][] = kSmallUniverse.map(() => []);
    for (let step = 1; step <= 20_000; step++) {
      exchange.step(step * 100);
      const fair = exchange.fairReturns();
      for (let index = 0; index < kSmallUniverse.length; index++) returns[index]!.push(fair[index]!);
      if (step % 50 === 0) {
        for (let index = 0; index < kSmallUniverse.length; index++) {
          const top = exchange.snapshot(kSmallUniverse[index]!.symbol, 1);
          mids[index]!.push(Math.log((top.bids[0]!.price + top.asks[0]!.price) / 2));
        }
      }
    }
    const sameSector = correlationOf(returns[0]!, returns[1]!);
    const crossSector = correlationOf(returns[0]!, returns[2]!);
    expect(sameSector, 'same sector near 0.6').toBeGreaterThan(0.5);
    expect(crossSector, 'cross sector near 0.3').toBeLessThan(0.4);
    expect(sameSector).toBeGreaterThan(crossSector + 0.15);
    const midReturns = mids.map((series) => series.slice(1).map((value, index) => value - series[index]!));
    expect(correlationOf(midReturns[0]!, midReturns[1]!), 'traded mids follow: same sector').toBeGreaterThan(correlationOf(midReturns[0]!, midReturns[2]!));
    const squared = returns[0]!.map((value) => value * value);
    expect(correlationOf(squared.slice(1), squared.slice(0, -1)), 'autocorrelation of squared returns').toBeGreaterThan(0.02);
  });

  it('has a U-shaped seasonality with mean 1 over a session', () => {
    const exchange = new SimulatedExchange({ seed: 1, symbols: kSmallUniverse, sessionMs: 1_000_000 });
    let sum = 0;
    for (let time = 0; time < 1_000_000; time += 100) sum += exchange.seasonality(time);
    expect(sum / 10_000).toBeCloseTo(1, 3);
    expect(exchange.seasonality(0)).toBeGreaterThan(exchange.seasonality(250_000));
    expect(exchange.seasonality(999_900)).toBeGreaterThan(exchange.seasonality(500_000));
  });
});

describe('SimulatedExchange hostile input', () => {
  const cases: Array<[string, unknown]> = [
    ['seed not a whole number', { seed: 1.5 }],
    ['negative seed', { seed: -1 }],
    ['no symbols', { seed: 1, symbols: [] }],
    ['duplicate symbols', { seed: 1, symbols: [kSmallUniverse[0], kSmallUniverse[0]] }],
    ['NaN start price', { seed: 1, symbols: [{ ...kSmallUniverse[0], startPrice: Number.NaN }] }],
    ['start price under 10 ticks', { seed: 1, symbols: [{ ...kSmallUniverse[0], startPrice: 0.05 }] }],
    ['explosive GARCH', { seed: 1, garch: { alpha: 0.5, beta: 0.5 } }],
    ['zero makers', { seed: 1, makers: { count: 0 } }],
    ['negative taker rate', { seed: 1, takers: { ratePerSecond: -1 } }],
    ['maxLots below minLots', { seed: 1, makers: { minLots: 5, maxLots: 2 } }],
    ['correlation of the wrong size', { seed: 1, symbols: kSmallUniverse, correlation: new Float64Array(4) }],
    ['correlation not positive definite', { seed: 1, symbols: kSmallUniverse.slice(0, 2), correlation: Float64Array.from([1, 2, 2, 1]) }],
    ['zero step', { seed: 1, stepMs: 0 }],
  ];
  it.each(cases)('rejects a config with %s (ERR_CONFIG_INVALID)', (_, config) => {
    expect(() => new SimulatedExchange(config as SimulatedExchangeConfig)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }) as OctopusError);
  });

  it.each([
    ['NaN', Number.NaN],
    ['backwards', -1],
    ['beyond maxAdvanceMs', 60_001],
  ])('rejects step(%s) and changes nothing', (_, untilMs) => {
    const exchange = new SimulatedExchange({ seed: 1, symbols: kSmallUniverse });
    expect(() => exchange.step(untilMs)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }) as OctopusError);
    expect(exchange.timeMs).toBe(0);
  });
});

/**
 * The simulated exchange's configuration: the universe of instruments and the model's parameters, their
 * defaults, and the checks that turn a partial config into a complete, valid one. See
 * docs/market-data-sim.md for what every parameter means.
 */
import { OctopusError } from '../../../engine/errors.js';
import type { MatchingEngine } from '../book/matching-engine.js';
import type { OrderBook } from '../book/order-book.js';
import type { BookEvent } from '../book/book-events.js';

export interface SimulatedSymbol {
  symbol: string;
  /** Symbols of one sector share the sector correlation; all others the market correlation. */
  sector: string;
  tickSize: number;
  lotSize: number;
  startPrice: number;
  /** Long-run annualised volatility of the fair value (0.3 = 30 %). */
  annualVolatility: number;
}

export interface GarchParameters {
  /** Weight of the last squared return (ARCH term). */
  alpha: number;
  /** Weight of the last variance (GARCH term); alpha + beta < 1 keeps the long-run variance finite. */
  beta: number;
}

export interface JumpParameters {
  /** Expected jumps per symbol per hour of simulated time (Poisson intensity). */
  intensityPerHour: number;
  /** Mean and standard deviation of a jump's log-return. */
  meanLog: number;
  stdLog: number;
}

export interface MakerParameters {
  /** Market makers per symbol (each its own account). */
  count: number;
  /** Quoted levels per side per maker. */
  levels: number;
  /** Half spread of maker 0's inner quote, in ticks; maker k adds k / 2 ticks. */
  halfSpreadTicks: number;
  levelSpacingTicks: number;
  /** Quote size in lots: uniform in [minLots, maxLots], times (level + 1). */
  minLots: number;
  maxLots: number;
  /** Quotes shift by this many ticks against each lot of inventory (a long maker lowers both sides). */
  inventorySkewTicksPerLot: number;
  maxSkewTicks: number;
  /** Probability per step that a quote still at its target price is canceled and re-entered anyway. */
  refreshProbability: number;
}

export interface TakerParameters {
  /** Mean taker orders per symbol per second at seasonality 1. */
  ratePerSecond: number;
  /** Share of takers sending market orders; the rest send marketable IOC limits. */
  marketOrderShare: number;
  /** How far through the touch a marketable limit is priced, in ticks (uniform in 0..max). */
  maxSlippageTicks: number;
  /** Mean taker size in lots (geometric), capped at maxLots. */
  meanLots: number;
  maxLots: number;
  /** How strongly takers lean towards the fair value: P(buy) = 0.5 + informedShare/2 · tanh(fair - mid in ticks). */
  informedShare: number;
}

export interface SimulatedExchangeConfig {
  seed: number;
  symbols?: readonly SimulatedSymbol[];
  /** Share an existing engine (the execution actor's); books missing from it are added. Default: a new engine. */
  engine?: MatchingEngine;
  /**
   * Called with the events of every book call the exchange makes, before it reads them: with a shared
   * engine, its takers can fill other participants' orders, and their owner must see those fills.
   */
  onBookEvents?: (book: OrderBook, events: readonly BookEvent[], timeMs: number) => void;
  startTimeMs?: number;
  /** Simulation step: fair values move and agents act once per step. Default 100 ms. */
  stepMs?: number;
  /** Length of a trading session (the period of the U-shaped seasonality). Default 6.5 h. */
  sessionMs?: number;
  /** Trading time in a year, to scale annual volatility to a step. Default 252 sessions. */
  tradingMsPerYear?: number;
  marketCorrelation?: number;
  sectorCorrelation?: number;
  /** Full correlation matrix (row-major n × n) overriding the sector/market structure. */
  correlation?: Float64Array;
  garch?: Partial<GarchParameters>;
  jumps?: Partial<JumpParameters>;
  makers?: Partial<MakerParameters>;
  takers?: Partial<TakerParameters>;
  /** U-shape depth: seasonality(u) = (1 + a·(2u - 1)^2) / (1 + a/3), mean 1 over a session. Default 2. */
  seasonalityAmplitude?: number;
  /** Largest advance of one step() call, bounding the events it returns. Default 60 s. */
  maxAdvanceMs?: number;
}

export interface ResolvedConfig {
  seed: number;
  symbols: readonly SimulatedSymbol[];
  startTimeMs: number;
  stepMs: number;
  sessionMs: number;
  tradingMsPerYear: number;
  correlation: Float64Array;
  garch: GarchParameters;
  jumps: JumpParameters;
  makers: MakerParameters;
  takers: TakerParameters;
  seasonalityAmplitude: number;
  maxAdvanceMs: number;
}

const kSessionMs = 6.5 * 3_600_000;

function universe(sector: string, tickers: string[], startPrices: number[], tickSize: number, lotSize: number, annualVolatility: number): SimulatedSymbol[] {
  return tickers.map((symbol, index) => ({ symbol, sector, tickSize, lotSize, startPrice: startPrices[index]!, annualVolatility }));
}

/** Twenty symbols in four sectors; tick and lot sizes differ between sectors. */
export const kDefaultUniverse: readonly SimulatedSymbol[] = [
  ...universe('tech', ['TCHA', 'TCHB', 'TCHC', 'TCHD', 'TCHE'], [182.5, 95.2, 310.75, 48.3, 127.6], 0.01, 1, 0.35),
  ...universe('finance', ['FINA', 'FINB', 'FINC', 'FIND', 'FINE'], [41.2, 66.85, 28.4, 152.1, 88.05], 0.01, 10, 0.25),
  ...universe('energy', ['ENRA', 'ENRB', 'ENRC', 'ENRD', 'ENRE'], [72.35, 105.4, 23.15, 57.9, 39.6], 0.05, 1, 0.4),
  ...universe('health', ['HLTA', 'HLTB', 'HLTC', 'HLTD', 'HLTE'], [245.0, 61.7, 133.25, 19.85, 97.45], 0.05, 5, 0.2),
];

export const kDefaultGarch: GarchParameters = { alpha: 0.05, beta: 0.93 };
export const kDefaultJumps: JumpParameters = { intensityPerHour: 0.5, meanLog: 0, stdLog: 0.004 };
export const kDefaultMakers: MakerParameters = {
  count: 3,
  levels: 3,
  halfSpreadTicks: 1,
  levelSpacingTicks: 1,
  minLots: 1,
  maxLots: 20,
  inventorySkewTicksPerLot: 0.02,
  maxSkewTicks: 3,
  refreshProbability: 0.02,
};
export const kDefaultTakers: TakerParameters = {
  ratePerSecond: 20,
  marketOrderShare: 0.4,
  maxSlippageTicks: 2,
  meanLots: 6,
  maxLots: 100,
  informedShare: 0.5,
};

const kMaxSymbols = 1_024;
const kMaxMakers = 16;
const kMaxLevels = 32;

function invalid(what: string, value: unknown): OctopusError {
  return new OctopusError('ERR_CONFIG_INVALID', `expected ${what}, was ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw invalid(`${name} in [${min}, ${max}]`, value);
  return value;
}

function checkWhole(name: string, value: number, min: number, max: number): number {
  checkRange(name, value, min, max);
  if (!Number.isInteger(value)) throw invalid(`${name} a whole number`, value);
  return value;
}

/** The sector/market correlation matrix: 1 on the diagonal, sector within a sector, market across. */
export function sectorCorrelationMatrix(symbols: readonly SimulatedSymbol[], sector: number, market: number): Float64Array {
  const n = symbols.length;
  const matrix = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      matrix[row * n + column] = row === column ? 1 : symbols[row]!.sector === symbols[column]!.sector ? sector : market;
    }
  }
  return matrix;
}

/**
 * Fills in defaults and checks every parameter.
 * @throws OctopusError ERR_CONFIG_INVALID naming the first bad parameter.
 */
export function resolveConfig(config: SimulatedExchangeConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw invalid('a config object', config);
  checkWhole('seed', config.seed, 0, 2 ** 32 - 1);
  const symbols = config.symbols ?? kDefaultUniverse;
  if (!Array.isArray(symbols) || symbols.length === 0 || symbols.length > kMaxSymbols) throw invalid(`1 to ${kMaxSymbols} symbols`, symbols.length);
  const names = new Set<string>();
  for (const symbol of symbols) {
    if (names.has(symbol.symbol)) throw invalid('distinct symbols', symbol.symbol);
    names.add(symbol.symbol);
    checkRange(`${symbol.symbol} startPrice`, symbol.startPrice, 1e-9, 1e12);
    checkRange(`${symbol.symbol} annualVolatility`, symbol.annualVolatility, 0, 10);
    if (symbol.startPrice / symbol.tickSize < 10) throw invalid(`${symbol.symbol} startPrice at least 10 ticks`, symbol.startPrice);
  }
  const garch = { ...kDefaultGarch, ...config.garch };
  checkRange('garch.alpha', garch.alpha, 0, 1);
  checkRange('garch.beta', garch.beta, 0, 1);
  if (garch.alpha + garch.beta >= 1) throw invalid('garch.alpha + garch.beta < 1', garch.alpha + garch.beta);
  const jumps = { ...kDefaultJumps, ...config.jumps };
  checkRange('jumps.intensityPerHour', jumps.intensityPerHour, 0, 3_600);
  checkRange('jumps.meanLog', jumps.meanLog, -1, 1);
  checkRange('jumps.stdLog', jumps.stdLog, 0, 1);
  const makers = { ...kDefaultMakers, ...config.makers };
  checkWhole('makers.count', makers.count, 1, kMaxMakers);
  checkWhole('makers.levels', makers.levels, 1, kMaxLevels);
  checkRange('makers.halfSpreadTicks', makers.halfSpreadTicks, 0.5, 1_000);
  checkWhole('makers.levelSpacingTicks', makers.levelSpacingTicks, 1, 1_000);
  checkWhole('makers.minLots', makers.minLots, 1, 1_000_000);
  checkWhole('makers.maxLots', makers.maxLots, makers.minLots, 1_000_000);
  checkRange('makers.inventorySkewTicksPerLot', makers.inventorySkewTicksPerLot, 0, 100);
  checkRange('makers.maxSkewTicks', makers.maxSkewTicks, 0, 1_000);
  checkRange('makers.refreshProbability', makers.refreshProbability, 0, 1);
  const takers = { ...kDefaultTakers, ...config.takers };
  checkRange('takers.ratePerSecond', takers.ratePerSecond, 0, 100_000);
  checkRange('takers.marketOrderShare', takers.marketOrderShare, 0, 1);
  checkWhole('takers.maxSlippageTicks', takers.maxSlippageTicks, 0, 1_000);
  checkRange('takers.meanLots', takers.meanLots, 1, 1_000_000);
  checkWhole('takers.maxLots', takers.maxLots, 1, 1_000_000);
  checkRange('takers.informedShare', takers.informedShare, 0, 1);
  const stepMs = checkRange('stepMs', config.stepMs ?? 100, 1, 60_000);
  const sessionMs = checkRange('sessionMs', config.sessionMs ?? kSessionMs, stepMs, 7 * 86_400_000);
  const tradingMsPerYear = checkRange('tradingMsPerYear', config.tradingMsPerYear ?? 252 * kSessionMs, 1, 1e13);
  const n = symbols.length;
  let correlation: Float64Array;
  if (config.correlation !== undefined) {
    if (!(config.correlation instanceof Float64Array) || config.correlation.length !== n * n) throw invalid(`a ${n} x ${n} Float64Array correlation`, config.correlation.length);
    correlation = config.correlation;
  } else {
    const market = checkRange('marketCorrelation', config.marketCorrelation ?? 0.3, -0.5, 0.99);
    const sector = checkRange('sectorCorrelation', config.sectorCorrelation ?? 0.6, -0.5, 0.99);
    correlation = sectorCorrelationMatrix(symbols, sector, market);
  }
  return {
    seed: config.seed,
    symbols,
    startTimeMs: checkRange('startTimeMs', config.startTimeMs ?? 0, -1e15, 1e15),
    stepMs,
    sessionMs,
    tradingMsPerYear,
    correlation,
    garch,
    jumps,
    makers,
    takers,
    seasonalityAmplitude: checkRange('seasonalityAmplitude', config.seasonalityAmplitude ?? 2, 0, 100),
    maxAdvanceMs: checkRange('maxAdvanceMs', config.maxAdvanceMs ?? 60_000, stepMs, 86_400_000),
  };
}

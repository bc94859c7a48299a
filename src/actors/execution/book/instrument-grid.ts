/**
 * The matching engine's decimal boundary. Inside a book every price is a whole number of ticks, every
 * quantity a whole number of lots and every amount of cash a whole number of cash units (one cash unit is
 * tickSize × lotSize of the quote currency, the value of one lot traded one tick), so nothing inside the
 * book is ever rounded. Decimals from the outside are converted here, once, and rejected when they are not
 * on the grid.
 *
 * Why a tolerance: a decimal such as 101.13 is not exactly representable in binary, so 101.13 / 0.01 is
 * 10112.999999999998. The step is held exactly as stepUnits / 10^decimalPlaces; the value is scaled by
 * 10^decimalPlaces, rounded to the nearest multiple of stepUnits, and accepted when it lies within
 * stepUnits × 1e-9 plus a few ulps of its own magnitude of that multiple. The ulp term matters: with a
 * 0.00001 step, 77.86621 is 7786621 steps and float noise there (~1e-14) already equals step × 1e-9, so a
 * tolerance relative to the step alone rejects valid prices (the property test found this). No genuine
 * off-grid decimal comes that close: the nearest one a client can write is a whole digit finer than the
 * step.
 *
 * Going back, `fromSteps` divides an exact integer by a power of ten (the step is held as
 * stepUnits / 10^decimalPlaces), so 10113 ticks of 0.01 come back as the double nearest 101.13, the same
 * double that parsing "101.13" gives, never 101.13000000000001.
 */
import { OctopusError, type ErrorCode } from '../../../engine/errors.js';

/** The static description of a tradable instrument. */
export interface Instrument {
  symbol: string;
  /** Price increment, a positive decimal with at most 12 decimal places (0.01, 0.05, 0.5, 1, 25). */
  tickSize: number;
  /** Quantity increment, a positive decimal with at most 12 decimal places (1, 0.001, 0.00001). */
  lotSize: number;
  /** Highest accepted price, on the tick grid; default kDefaultMaxSteps ticks. */
  maxPrice?: number;
  /** Largest accepted order quantity, on the lot grid; default kDefaultMaxSteps lots. */
  maxQty?: number;
}

/**
 * Default bound on both price (ticks) and order quantity (lots): 2^26 = 67,108,864. The product of the
 * two bounds must stay at or below 2^53 so that a fill's notional (ticks × lots) is an exact integer.
 */
export const kDefaultMaxSteps = 2 ** 26;
const kMaxDecimalPlaces = 12;
const kGridTolerance = 1e-9;
/** A few ulps (2^-50 relative): the rounding of parsing the decimal plus that of scaling it. */
const kRelativeNoise = 2 ** -50;
const kMaxSymbolLength = 32;
/** Bound on a step's integer numerator, so that steps × stepUnits stays exact for any bounded step count. */
const kMaxStepUnits = 2 ** 26;

/** A short, safe rendering of any value for "expected X, was Y" messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value;
}

/** One decimal grid: a step and conversions between decimals and whole numbers of steps. */
export class DecimalGrid {
  /** The step as an exact fraction: step = stepUnits / 10^decimalPlaces. */
  readonly stepUnits: number;
  readonly decimalPlaces: number;
  private readonly powerOfTen: number;

  /** @throws OctopusError ERR_BOOK_BAD_CONFIG when `step` is not a positive decimal with at most 12 places. */
  constructor(
    readonly step: number,
    private readonly what: string,
  ) {
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0) {
      throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected a finite ${what} step > 0, was ${describeValue(step)}`);
    }
    for (let places = 0; places <= kMaxDecimalPlaces; places++) {
      const scaled = step * 10 ** places;
      const whole = Math.round(scaled);
      // An absolute tolerance: a finite decimal step scales to a whole number up to float noise (~1e-16
      // relative), while a step such as 1/3 stays a third off at every scale.
      if (whole >= 1 && whole <= kMaxStepUnits && Math.abs(scaled - whole) <= 1e-6) {
        this.stepUnits = whole;
        this.decimalPlaces = places;
        this.powerOfTen = 10 ** places;
        return;
      }
    }
    throw new OctopusError(
      'ERR_BOOK_BAD_CONFIG',
      `expected a ${what} step with at most ${kMaxDecimalPlaces} decimal places and ${kMaxStepUnits} units, was ${step}`,
    );
  }

  /**
   * The whole number of steps in `value`.
   * @throws OctopusError `valueCode` when value is not a finite number > 0 or is above `maxSteps` steps;
   *   `gridCode` when it is not a whole number of steps.
   */
  toSteps(value: number, maxSteps: number, valueCode: ErrorCode, gridCode: ErrorCode): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new OctopusError(valueCode, `expected a finite ${this.what} > 0, was ${describeValue(value)}`);
    }
    // In units of 10^-decimalPlaces the grid is the multiples of the integer stepUnits.
    const scaled = value * this.powerOfTen;
    const steps = Math.round(scaled / this.stepUnits);
    if (steps > maxSteps) {
      throw new OctopusError(valueCode, `expected a ${this.what} of at most ${this.fromSteps(maxSteps)}, was ${value}`);
    }
    const noise = this.stepUnits * kGridTolerance + Math.abs(scaled) * kRelativeNoise;
    if (Math.abs(scaled - steps * this.stepUnits) > noise) {
      throw new OctopusError(gridCode, `expected a ${this.what} on the ${this.step} grid, was ${value}`);
    }
    if (steps < 1) throw new OctopusError(valueCode, `expected a ${this.what} of at least ${this.step}, was ${value}`);
    return steps;
  }

  /** The decimal value of `steps` steps: the double nearest the exact decimal. */
  fromSteps(steps: number): number {
    return (steps * this.stepUnits) / this.powerOfTen;
  }
}

/** The grids of one instrument: prices in ticks, quantities in lots, cash in cash units. */
export class InstrumentGrid {
  readonly symbol: string;
  readonly price: DecimalGrid;
  readonly qty: DecimalGrid;
  readonly maxPriceTicks: number;
  readonly maxQtyLots: number;

  /** @throws OctopusError ERR_BOOK_BAD_CONFIG on a bad symbol, step or bound. */
  constructor(instrument: Instrument) {
    if (typeof instrument !== 'object' || instrument === null) {
      throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected an instrument object, was ${describeValue(instrument)}`);
    }
    const { symbol } = instrument;
    if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > kMaxSymbolLength) {
      throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected a symbol of 1 to ${kMaxSymbolLength} characters, was ${describeValue(symbol)}`);
    }
    this.symbol = symbol;
    this.price = new DecimalGrid(instrument.tickSize, 'price');
    this.qty = new DecimalGrid(instrument.lotSize, 'quantity');
    this.maxPriceTicks = boundInSteps(this.price, instrument.maxPrice, 'maxPrice');
    this.maxQtyLots = boundInSteps(this.qty, instrument.maxQty, 'maxQty');
    if (this.maxPriceTicks * this.maxQtyLots > Number.MAX_SAFE_INTEGER) {
      throw new OctopusError(
        'ERR_BOOK_BAD_CONFIG',
        `expected maxPrice/tickSize × maxQty/lotSize <= 2^53 (exact notionals), was ${this.maxPriceTicks} × ${this.maxQtyLots}`,
      );
    }
  }

  /**
   * Price -> ticks.
   * @throws OctopusError ERR_ORDER_BAD_PRICE (not finite, <= 0, above maxPrice), ERR_ORDER_BAD_TICK (off the grid).
   */
  toTicks(price: number): number {
    return this.price.toSteps(price, this.maxPriceTicks, 'ERR_ORDER_BAD_PRICE', 'ERR_ORDER_BAD_TICK');
  }

  /**
   * Quantity -> lots.
   * @throws OctopusError ERR_ORDER_BAD_QTY (not finite, <= 0, above maxQty), ERR_ORDER_BAD_LOT (off the grid).
   */
  toLots(qty: number): number {
    return this.qty.toSteps(qty, this.maxQtyLots, 'ERR_ORDER_BAD_QTY', 'ERR_ORDER_BAD_LOT');
  }

  priceOf(ticks: number): number {
    return this.price.fromSteps(ticks);
  }

  qtyOf(lots: number): number {
    return this.qty.fromSteps(lots);
  }

  /** Cash units (tickSize × lotSize each; fees and notionals) -> quote currency. */
  cashOf(cashUnits: number): number {
    return (cashUnits * this.price.stepUnits * this.qty.stepUnits) / (10 ** this.price.decimalPlaces * 10 ** this.qty.decimalPlaces);
  }
}

function boundInSteps(grid: DecimalGrid, bound: number | undefined, name: string): number {
  if (bound === undefined) return kDefaultMaxSteps;
  try {
    return grid.toSteps(bound, Number.MAX_SAFE_INTEGER, 'ERR_BOOK_BAD_CONFIG', 'ERR_BOOK_BAD_CONFIG');
  } catch (error) {
    throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected ${name} to be a positive value on its grid, was ${describeValue(bound)}`, { cause: error });
  }
}

/**
 * A fee in basis points, held as a whole number of hundredths of a basis point so that fee arithmetic stays
 * in integers. Negative fees are rebates.
 * @throws OctopusError ERR_BOOK_BAD_CONFIG when not finite, off the 0.01 bps grid, or beyond ±1000 bps.
 */
export function feeCentiBps(bps: number, name: string): number {
  if (typeof bps !== 'number' || !Number.isFinite(bps) || Math.abs(bps) > 1_000) {
    throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected ${name} between -1000 and 1000 bps, was ${describeValue(bps)}`);
  }
  const centi = Math.round(bps * 100);
  if (Math.abs(bps * 100 - centi) > 1e-6) {
    throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected ${name} on the 0.01 bps grid, was ${bps}`);
  }
  return centi + 0;
}

/**
 * The fee on a notional, both in cash units: ceil(notional × centiBps / 10^6), exactly. Rounding is up,
 * in the venue's favour: a charge rounds up, a rebate (negative) rounds toward zero. The notional is split
 * as whole × 10^6 + rest so that no intermediate product leaves the exact-integer range of a double
 * (notional <= 2^53, |centiBps| <= 10^5).
 */
export function feeCashUnits(notionalCashUnits: number, centiBps: number): number {
  const whole = Math.floor(notionalCashUnits / 1_000_000);
  const rest = notionalCashUnits - whole * 1_000_000;
  // `+ 0` turns a -0 (a zero rebate) into 0, so that events compare equal.
  return whole * centiBps + Math.ceil((rest * centiBps) / 1_000_000) + 0;
}

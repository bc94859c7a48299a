/**
 * Entry checks on orders and replaces: everything that makes a request malformed, as typed errors,
 * checked before the book changes anything (a request that throws leaves no trace, not even a consumed
 * order id). Business outcomes (post-only would take, FOK unfillable, book full) are not errors: the book
 * reports them as events.
 */
import { OctopusError } from '../../../engine/errors.js';
import { describeValue, type InstrumentGrid } from './instrument-grid.js';
import {
  kOrderTypes,
  kSelfTradePreventions,
  kSides,
  kTimesInForce,
  type OrderRequest,
  type ReplaceRequest,
  type TickOrderRequest,
  type TickReplaceRequest,
} from './order-types.js';

const kMaxAccountLength = 128;

/** @throws OctopusError ERR_ORDER_BAD_REQUEST unless `account` is a string of 1 to 128 characters. */
export function checkAccount(account: unknown): void {
  if (typeof account !== 'string' || account.length === 0 || account.length > kMaxAccountLength) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected an account of 1 to ${kMaxAccountLength} characters, was ${describeValue(account)}`);
  }
}

/** @throws OctopusError ERR_ORDER_BAD_REQUEST unless `timestamp` is a finite number. */
export function checkTimestamp(timestamp: unknown): void {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a finite timestamp, was ${describeValue(timestamp)}`);
  }
}

/** @throws OctopusError ERR_ORDER_BAD_PRICE unless a whole number of ticks in [1, maxPriceTicks]. */
export function checkTicks(ticks: unknown, grid: InstrumentGrid, what: string): number {
  if (typeof ticks !== 'number' || !Number.isSafeInteger(ticks) || ticks < 1 || ticks > grid.maxPriceTicks) {
    throw new OctopusError('ERR_ORDER_BAD_PRICE', `expected ${what} in whole ticks from 1 to ${grid.maxPriceTicks}, was ${describeValue(ticks)}`);
  }
  return ticks;
}

/** @throws OctopusError ERR_ORDER_BAD_QTY unless a whole number of lots in [1, maxQtyLots]. */
export function checkLots(lots: unknown, grid: InstrumentGrid): number {
  if (typeof lots !== 'number' || !Number.isSafeInteger(lots) || lots < 1 || lots > grid.maxQtyLots) {
    throw new OctopusError('ERR_ORDER_BAD_QTY', `expected a quantity in whole lots from 1 to ${grid.maxQtyLots}, was ${describeValue(lots)}`);
  }
  return lots;
}

function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string, optional: boolean): void {
  if (optional && value === undefined) return;
  if (!allowed.includes(value as T)) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected ${what} ${allowed.join('|')}, was ${describeValue(value)}`);
  }
}

/**
 * Checks an order in ticks and lots.
 * @throws OctopusError ERR_ORDER_BAD_REQUEST (shape, enums, a price where the type has none, post-only
 *   outside limit gtc/day), ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_QTY.
 */
export function checkTickOrder(request: TickOrderRequest, grid: InstrumentGrid): void {
  if (typeof request !== 'object' || request === null) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected an order object, was ${describeValue(request)}`);
  }
  checkAccount(request.account);
  // Plain comparisons first (this runs on every order; Array.includes showed in the bench profile), the
  // list lookup only to word the error.
  const { side, type, timeInForce: givenTimeInForce, selfTradePrevention } = request;
  if (side !== 'buy' && side !== 'sell') checkOneOf(side, kSides, 'side', false);
  if (type !== 'limit' && type !== 'market' && type !== 'stop' && type !== 'stop_limit') checkOneOf(type, kOrderTypes, 'type', false);
  if (givenTimeInForce !== undefined && givenTimeInForce !== 'gtc' && givenTimeInForce !== 'ioc' && givenTimeInForce !== 'day' && givenTimeInForce !== 'fok') {
    checkOneOf(givenTimeInForce, kTimesInForce, 'timeInForce', true);
  }
  if (selfTradePrevention !== undefined) checkOneOf(selfTradePrevention, kSelfTradePreventions, 'selfTradePrevention', true);
  checkLots(request.qtyLots, grid);
  const limited = request.type === 'limit' || request.type === 'stop_limit';
  const stopped = request.type === 'stop' || request.type === 'stop_limit';
  if (limited) checkTicks(request.priceTicks, grid, 'a limit price');
  else if (request.priceTicks !== undefined) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected no limit price on a ${request.type} order, was ${describeValue(request.priceTicks)}`);
  }
  if (request.protectionPriceTicks !== undefined) {
    if (limited) throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected no protection price on a ${request.type} order (its limit is its protection), was ${describeValue(request.protectionPriceTicks)}`);
    checkTicks(request.protectionPriceTicks, grid, 'a protection price');
  }
  if (stopped) checkTicks(request.stopPriceTicks, grid, 'a stop price');
  else if (request.stopPriceTicks !== undefined) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected no stop price on a ${request.type} order, was ${describeValue(request.stopPriceTicks)}`);
  }
  if (request.postOnly !== undefined && typeof request.postOnly !== 'boolean') {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected postOnly true|false, was ${describeValue(request.postOnly)}`);
  }
  const timeInForce = request.timeInForce ?? 'gtc';
  if (request.postOnly === true && (request.type !== 'limit' || (timeInForce !== 'gtc' && timeInForce !== 'day'))) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected postOnly only on a gtc or day limit order, was a ${timeInForce} ${request.type} order`);
  }
}

/**
 * Converts a decimal order into `into` (reused scratch), checking prices and quantities on their grids;
 * the rest is checked by checkTickOrder.
 * @throws OctopusError ERR_ORDER_BAD_REQUEST, ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_TICK, ERR_ORDER_BAD_QTY, ERR_ORDER_BAD_LOT.
 */
export function toTickOrder(request: OrderRequest, grid: InstrumentGrid, into: TickOrderRequest): TickOrderRequest {
  if (typeof request !== 'object' || request === null) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected an order object, was ${describeValue(request)}`);
  }
  into.account = request.account;
  into.side = request.side;
  into.type = request.type;
  into.qtyLots = grid.toLots(request.qty);
  into.priceTicks = request.price === undefined ? undefined : grid.toTicks(request.price);
  into.stopPriceTicks = request.stopPrice === undefined ? undefined : grid.toTicks(request.stopPrice);
  into.protectionPriceTicks = request.protectionPrice === undefined ? undefined : grid.toTicks(request.protectionPrice);
  into.timeInForce = request.timeInForce;
  into.postOnly = request.postOnly;
  into.selfTradePrevention = request.selfTradePrevention;
  return into;
}

/**
 * Converts a decimal replace into `into` (reused scratch).
 * @throws OctopusError ERR_ORDER_BAD_REQUEST, ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_TICK, ERR_ORDER_BAD_QTY, ERR_ORDER_BAD_LOT.
 */
export function toTickReplace(change: ReplaceRequest, grid: InstrumentGrid, into: TickReplaceRequest): TickReplaceRequest {
  if (typeof change !== 'object' || change === null) {
    throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a replace object, was ${describeValue(change)}`);
  }
  into.qtyLots = change.qty === undefined ? undefined : grid.toLots(change.qty);
  into.priceTicks = change.price === undefined ? undefined : grid.toTicks(change.price);
  into.stopPriceTicks = change.stopPrice === undefined ? undefined : grid.toTicks(change.stopPrice);
  return into;
}

/** Shared by the backtester tests: the shipped series, the vectorbt fixture, a relative comparison. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { readBarCsv, type BarSeries } from '../../../src/actors/backtester/bar-data.js';

export const kFixtureDir = new URL('../../fixtures/backtest/', import.meta.url).pathname;

export interface FixtureTrade {
  entry_bar: number;
  exit_bar: number;
  qty: number;
  entry_price: number;
  exit_price: number;
  entry_fees: number;
  exit_fees: number;
  pnl: number;
  return: number;
  open: boolean;
}

export interface FixtureRun {
  fill: 'market_on_close' | 'next_open';
  fees: number;
  trades: FixtureTrade[];
  equity: number[];
  returns: number[];
  statistics: Record<string, number>;
}

export interface SmaFixture {
  params: { fast: number; slow: number };
  cash: number;
  entries: number[];
  exits: number[];
  runs: FixtureRun[];
}

export function shippedBars(): BarSeries {
  return readBarCsv(`${kFixtureDir}bars.csv`, 'FIXTURE');
}

export function smaFixture(): SmaFixture {
  return JSON.parse(readFileSync(`${kFixtureDir}sma-cross.json`, 'utf8')) as SmaFixture;
}

/** |actual - expected| <= tolerance × max(|expected|, floor): relative, with an absolute floor near zero. */
export function expectClose(actual: number, expected: number, what: string, tolerance = 1e-9, floor = 1e-9): void {
  const scale = Math.max(Math.abs(expected), floor);
  expect(Math.abs(actual - expected) / scale, `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/**
 * A backtest on a seeded simulated-exchange run: the execution core itself (order manager, pre-trade
 * risk, compliance, matching engine, the simulated exchange, its journal in a temporary LMDB directory)
 * under a simulated clock, stepped in lockstep with the strategy exactly as the live engine steps it when
 * a strategy actor runs (SimulationOptions.lockstep): one exchange step, its market data and reports to
 * the strategy, the strategy's commands answered, then the next step. The strategy trades through the
 * same StrategySession as in the strategy actor, so a strategy file gets the same fills here as live on
 * the same seed, start time and configuration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SimulatedClock } from '../../engine/clock.js';
import type { Logger } from '../../engine/logger.js';
import type { ExecutionReports, MarketDataBatch } from '../../engine/messages.js';
import { openStateStore } from '../../store/state-store.js';
import { ExecutionCore, universeFor, type ExecutionOptions } from '../execution/execution-core.js';
import type { SizingSpec } from '../strategy/sizing.js';
import type { FillReport, Strategy } from '../strategy/strategy-api.js';
import { StrategySession } from '../strategy/strategy-session.js';

/** The lockstep participant name the backtest acknowledges as. */
const kParticipant = 'backtest';

export interface SimulatedRunOptions {
  /** The execution options of the engine to reproduce (main.ts engineSpecs builds them from a config). */
  execution: ExecutionOptions;
  strategy: Strategy<object>;
  name: string;
  /** The simulated exchange's start (its journaled sim_start). */
  startTimeMs: number;
  /** Simulated time to run. */
  durationMs: number;
  sizing?: SizingSpec;
  symbols?: readonly string[];
  barIntervalMs?: number;
  logger?: Logger;
}

export interface SimulatedRunResult {
  fills: FillReport[];
  cash: number;
  equity: number;
  positions: Record<string, number>;
  steps: number;
}

type Output = { kind: 'market'; batch: MarketDataBatch } | { kind: 'reports'; reports: ExecutionReports };

/** The engine's sizing fee rate: pre-trade risk bounds a market buy at last × (1 + collar), plus the taker fee. */
export function sizingFeeRateOf(execution: ExecutionOptions): number {
  return (execution.riskLimits?.priceCollar ?? 0.1) + execution.takerFeeBps / 10_000;
}

export function lotSizesOf(execution: ExecutionOptions): Map<string, number> {
  return new Map(universeFor(execution.symbols, execution.tickSize, execution.lotSize).map((symbol) => [symbol.symbol, symbol.lotSize]));
}

export async function runSimulatedBacktest(options: SimulatedRunOptions): Promise<SimulatedRunResult> {
  const directory = mkdtempSync(join(tmpdir(), 'octopus-simulated-run-'));
  const logger = options.logger ?? pino({ level: 'silent' });
  const simulation = options.execution.simulation;
  if (simulation === undefined) throw new Error('expected execution options with a simulated exchange');
  const execution: ExecutionOptions = { ...options.execution, dataDir: directory, simulation: { ...simulation, lockstep: [kParticipant] }, marketDataSubscribers: [], reportSubscribers: [] };
  const store = openStateStore(directory, 'execution.lmdb');
  const clock = new SimulatedClock(options.startTimeMs);
  const outputs: Output[] = [];
  const core = new ExecutionCore(
    execution,
    store,
    { publishMarketData: (batch) => outputs.push({ kind: 'market', batch }), publishReports: (reports) => outputs.push({ kind: 'reports', reports }), congested: () => false },
    clock,
    logger,
  );
  try {
    await core.open();
    const session = new StrategySession({
      name: options.name,
      strategy: options.strategy,
      port: { submit: (body) => core.submit(body), cancel: (body) => core.cancel(body), replace: (body) => core.replace(body) },
      logger,
      startingCash: execution.startingCash,
      lotSizes: lotSizesOf(execution),
      sizingFeeRate: sizingFeeRateOf(execution),
      ...(options.sizing === undefined ? {} : { sizing: options.sizing }),
      ...(options.symbols === undefined ? {} : { symbols: options.symbols }),
      barIntervalMs: options.barIntervalMs ?? 0,
    });
    session.host.start();
    const stepMs = simulation.publishMs;
    let steps = 0;
    for (let elapsed = 0; elapsed < options.durationMs; elapsed += stepMs) {
      clock.advance(stepMs);
      core.tick();
      await drain(core, session, outputs);
      core.acknowledge(kParticipant, session.handledThroughMs);
      steps++;
    }
    session.host.stop();
    const positions: Record<string, number> = {};
    for (const [symbol, qty] of session.host.openPositions()) if (qty !== 0) positions[symbol] = qty;
    return { fills: session.host.fills, cash: session.host.cash, equity: session.host.equity(), positions, steps };
  } finally {
    await core.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Delivers every released output in order, waiting for the strategy's commands, until nothing is left. */
async function drain(core: ExecutionCore, session: StrategySession, outputs: Output[]): Promise<void> {
  for (;;) {
    await core.durable(null);
    // The release runs in the flush's own continuation: let it run before reading the queue.
    await new Promise((resolve) => setImmediate(resolve));
    if (outputs.length === 0) {
      await session.settle();
      if (outputs.length === 0 && core.pendingOutputs === 0) return;
      continue;
    }
    const output = outputs.shift()!;
    if (output.kind === 'market') session.onMarketData(output.batch);
    else session.onReports(output.reports);
  }
}

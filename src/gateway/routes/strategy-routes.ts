/**
 * Strategies and backtests over REST (issue 13, M4 and M10):
 *
 *   GET  /api/v1/strategies                 the strategy actor's strategies: state, P&L, positions, signals, fills
 *   GET  /api/v1/strategies/:name           one of them
 *   POST /api/v1/strategies/:name/start     resume (permission trade)
 *   POST /api/v1/strategies/:name/stop      stop handling data and trading (permission trade)
 *   POST /api/v1/backtests                  a background job: backtest | sweep | walk_forward over bars
 *                                           given inline or read from the warehouse; 202 with the job
 *   GET  /api/v1/backtests/:id              the job, with its result once done
 *
 * Progress of jobs goes to their owner on the private WS `jobs` channel; strategy signals, fills and state
 * changes go to the public `strategies` channel (wireStrategyChannels).
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type, type Static } from '@sinclair/typebox';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type BarsQuery, type StrategyControl, type StrategyStatus } from '../../engine/messages.js';
import type { BarRow } from '../../actors/warehouse/tick-store/tick-store.js';
import type { ActorSystem } from '../../engine/system.js';
import { allocateSeries, type BarSeries } from '../../actors/backtester/bar-data.js';
import type { BacktestJobs, JobRequest } from '../../actors/backtester/backtest-jobs.js';
import type { SizingSpec } from '../../actors/strategy/sizing.js';
import { route, type RouteOptions } from '../http/http.js';
import type { FeedHub } from '../ws/hub.js';

const kMaxInlineBars = 200_000;
/** Strategy status and job records: documented as objects here; their fields are in docs/strategies.md and docs/backtest.md. */
const kLooseObject = Type.Object({}, { additionalProperties: true, description: 'see docs/strategies.md and docs/backtest.md' });

const number = Type.Number();
const barsSchema = Type.Object(
  {
    symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    time: Type.Array(number, { maxItems: kMaxInlineBars }),
    open: Type.Array(number, { maxItems: kMaxInlineBars }),
    high: Type.Array(number, { maxItems: kMaxInlineBars }),
    low: Type.Array(number, { maxItems: kMaxInlineBars }),
    close: Type.Array(number, { maxItems: kMaxInlineBars }),
    volume: Type.Array(number, { maxItems: kMaxInlineBars }),
  },
  { additionalProperties: false },
);

const backtestRequest = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal('backtest'), Type.Literal('sweep'), Type.Literal('walk_forward')])),
    strategy: Type.String({ minLength: 1, maxLength: 64 }),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    bars: Type.Optional(Type.Array(barsSchema, { minItems: 1, maxItems: 16 })),
    warehouse: Type.Optional(
      Type.Object(
        { symbols: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 16 }), interval: Type.Union([Type.Literal('1m'), Type.Literal('5m'), Type.Literal('1h'), Type.Literal('1d')]), from_ms: Type.Integer(), to_ms: Type.Integer() },
        { additionalProperties: false },
      ),
    ),
    fill: Type.Optional(Type.Union([Type.Literal('market_on_close'), Type.Literal('next_open')])),
    fees: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
    cash: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e15 })),
    slippage_ticks: Type.Optional(Type.Number({ minimum: 0, maximum: 1e6 })),
    sizing: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    sweep: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    walk_forward: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

type BacktestBody = Static<typeof backtestRequest>;

function inlineSeries(bars: Static<typeof barsSchema>, index: number): BarSeries {
  const length = bars.time.length;
  for (const key of ['open', 'high', 'low', 'close', 'volume'] as const) {
    if (bars[key].length !== length) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected ${key} of bars[${index}] to have ${length} values like time, was ${bars[key].length}`);
  }
  const series = allocateSeries(bars.symbol ?? `S${index}`, length);
  for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) series[key].set(bars[key]);
  for (let row = 1; row < length; row++) if (!(series.time[row]! > series.time[row - 1]!)) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected bars[${index}].time strictly increasing, was not at ${row}`);
  if (length === 0) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected bars[${index}] to hold at least one bar, was none`);
  return series;
}

function warehouseSeries(symbol: string, rows: readonly BarRow[]): BarSeries {
  if (rows.length === 0) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected stored bars of ${symbol} in the range, was none`);
  const series = allocateSeries(symbol, rows.length);
  rows.forEach((row, index) => {
    series.time[index] = row.startMs;
    series.open[index] = row.open;
    series.high[index] = row.high;
    series.low[index] = row.low;
    series.close[index] = row.close;
    series.volume[index] = row.volume;
  });
  return series;
}

const kIntervalMs: Record<string, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

async function seriesOf(body: BacktestBody, bars: (query: BarsQuery) => Promise<BarRow[]>): Promise<BarSeries[]> {
  if ((body.bars === undefined) === (body.warehouse === undefined)) throw new OctopusError('ERR_BACKTEST_BAD_DATA', 'expected exactly one of bars (inline) or warehouse (stored bars), was ' + (body.bars === undefined ? 'neither' : 'both'));
  if (body.bars !== undefined) return body.bars.map(inlineSeries);
  const source = body.warehouse!;
  const limit = Math.min(kMaxInlineBars, Math.ceil((source.to_ms - source.from_ms) / kIntervalMs[source.interval]!) + 1);
  if (!(limit > 0)) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected from_ms < to_ms, was ${source.from_ms} and ${source.to_ms}`);
  return Promise.all(source.symbols.map(async (symbol) => warehouseSeries(symbol, await bars({ symbol, fromMs: source.from_ms, toMs: source.to_ms, limit, interval: source.interval }))));
}

function jobRequest(body: BacktestBody): JobRequest {
  return {
    kind: body.kind ?? 'backtest',
    strategy: body.strategy,
    params: body.params ?? {},
    fill: body.fill ?? 'market_on_close',
    fees: body.fees ?? 0,
    cash: body.cash ?? 100_000,
    slippageTicks: body.slippage_ticks ?? 0,
    sizing: (body.sizing as SizingSpec | undefined) ?? { kind: 'all_in' },
    ...(body.sweep === undefined ? {} : { sweep: body.sweep as unknown as JobRequest['sweep'] }),
    ...(body.walk_forward === undefined ? {} : { walkForward: body.walk_forward as unknown as JobRequest['walkForward'] }),
  };
}

export interface StrategyRouteDeps {
  /** The strategy actor, or null when the engine runs none. */
  control: ((body: StrategyControl) => Promise<StrategyStatus[]>) | null;
  jobs: BacktestJobs;
  bars: (query: BarsQuery) => Promise<BarRow[]>;
}

export function strategyRoutes(deps: StrategyRouteDeps) {
  const control = async (body: StrategyControl): Promise<StrategyStatus[]> => (deps.control === null ? (body.op === 'list' ? [] : Promise.reject(new OctopusError('ERR_STRATEGY_UNKNOWN', `expected a running strategy, was ${JSON.stringify(body.name)} (the engine runs none: start it with --strategy)`))) : deps.control(body));
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, { method: 'get', path: '/api/v1/strategies', permission: 'read', operationId: 'listStrategies', tag: 'strategies', responses: { 200: Type.Array(kLooseObject) }, errorStatuses: [503], summary: 'Running strategies: state, P&L, positions, signals, fills', handler: async () => ({ status: 200, body: await control({ op: 'list' }) }) });
    route(app, options, {
      method: 'get',
      path: '/api/v1/strategies/:name',
      permission: 'read',
      operationId: 'getStrategy',
      tag: 'strategies',
      responses: { 200: kLooseObject },
      errorStatuses: [404, 503],
      summary: 'One strategy',
      handler: async ({ parameters }) => {
        const found = (await control({ op: 'list' })).find((status) => status.name === parameters[0]);
        if (found === undefined) throw new OctopusError('ERR_STRATEGY_UNKNOWN', `expected a running strategy's name, was ${JSON.stringify(parameters[0])}`);
        return { status: 200, body: found };
      },
    });
    for (const op of ['start', 'stop'] as const) {
      route(app, options, { method: 'post', path: `/api/v1/strategies/:name/${op}`, permission: 'trade', operationId: `${op}Strategy`, tag: 'strategies', responses: { 200: kLooseObject }, errorStatuses: [404, 503], summary: `${op === 'start' ? 'Resume' : 'Stop'} a strategy`, handler: async ({ parameters }) => ({ status: 200, body: (await control({ op, name: parameters[0] }))[0] }) });
    }
    route(app, options, {
      method: 'post',
      path: '/api/v1/backtests',
      permission: 'read',
      operationId: 'submitBacktest',
      tag: 'strategies',
      summary: 'Start a backtest, sweep or walk-forward job in the background',
      bodySchema: backtestRequest,
      responses: { 202: kLooseObject },
      errorStatuses: [404, 413, 503],
      handler: async ({ body, principal }) => {
        const request = body as BacktestBody;
        const job = await deps.jobs.submit(principal!.username, jobRequest(request), await seriesOf(request, deps.bars));
        return { status: 202, body: job };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/backtests',
      permission: 'read',
      operationId: 'listBacktests',
      tag: 'strategies',
      summary: 'Your backtest jobs, newest first (no results: GET one for its result), with headline statistics',
      querySchema: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: '1..500, default 50' })) }),
      responses: { 200: Type.Array(kLooseObject) },
      handler: ({ query, principal }) => ({ status: 200, body: deps.jobs.list(principal!.username, Math.min(500, Number(new URLSearchParams(query).get('limit') ?? 50))) }),
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/backtests/:id/report',
      permission: 'read',
      operationId: 'getBacktestReport',
      tag: 'strategies',
      summary: 'The HTML report of a finished single backtest',
      contentType: 'text/html; charset=utf-8',
      responses: { 200: Type.String() },
      errorStatuses: [404],
      handler: ({ parameters, principal }) => ({ status: 200, body: deps.jobs.htmlReport(principal!.username, parameters[0] ?? '') }),
    });
    route(app, options, { method: 'get', path: '/api/v1/backtests/:id', permission: 'read', operationId: 'getBacktest', tag: 'strategies', responses: { 200: kLooseObject }, errorStatuses: [404], summary: 'A backtest job and, once done, its result', handler: ({ parameters, principal }) => ({ status: 200, body: deps.jobs.get(principal!.username, parameters[0] ?? '') }) });
  };
}

/** Strategy updates to the public `strategies` channel. Job progress goes out through BacktestJobs' callback. */
export function wireStrategyChannels(system: ActorSystem, hub: FeedHub): void {
  system.on(MessageType.StrategyUpdate, (update) => {
    hub.publish('strategies', 'update', update);
  });
}

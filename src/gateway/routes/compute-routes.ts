/**
 * The compute kernels, served (issue 5):
 *   GET  /api/v1/indicators          the indicator catalogue (params, outputs, warm-up, backends)
 *   POST /api/v1/indicators          {"indicator":"rsi","params":{"period":14},"series":[...]}
 *                                    or "ohlcv":{open,high,low,close,volume} -> {"values":[...]} or named arrays
 *   POST /api/v1/risk/var            positions + returns -> VaR, ES, components (Monte Carlo on worker threads)
 *   POST /api/v1/portfolio/optimize  returns or covariance + expected returns -> weights and risk decomposition
 *
 * The schemas here check the shape at the edge (and document it in the OpenAPI document); the caller's
 * role then bounds the request's size (compute-budget.ts: 413 ERR_COMPUTE_OVER_BUDGET, and a smaller
 * body limit checked before the body is read); the request runs on the compute pool (compute-pool.ts:
 * low-priority threads, bounded queue, 503 ERR_COMPUTE_BUSY), where the kernel facades validate every
 * value (lengths, NaN, periods, positive definiteness, feasibility) and throw typed ERR_KERNEL_* /
 * ERR_RISK_* errors, which the route layer turns into HTTP answers.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type } from '@sinclair/typebox';
import { indicators } from '../../kernels/indicators/indicators.js';
import type { Principal } from '../auth/users.js';
import { route, type RouteOptions, type RouteSpec } from '../http/http.js';
import { checkIndicatorBudget, checkOptimizeBudget, checkVarBudget, computeBodyBytes } from './compute-budget.js';
import { sharedComputePool, type ComputePool } from './compute-pool.js';
import type { ComputeKind } from './compute-worker.js';

const numberOrNull = Type.Union([Type.Number(), Type.Null()]);
const series = Type.Array(numberOrNull, { description: 'values in time order; null marks a missing point' });

const indicatorRequest = Type.Object(
  {
    indicator: Type.String({ description: 'e.g. sma, ema, rsi, macd, bollinger, atr, stochastic, adx, cci, obv, vwap, zscore, donchian' }),
    params: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'e.g. {"period": 14}; defaults apply' })),
    series: Type.Optional(series),
    ohlcv: Type.Optional(
      Type.Object(
        { open: Type.Optional(series), high: Type.Optional(series), low: Type.Optional(series), close: Type.Optional(series), volume: Type.Optional(series) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const indicatorResponse = Type.Record(Type.String(), Type.Array(numberOrNull), {
  description: 'one array per output, aligned with the input, null during warm-up: {"values":[...]} or e.g. {"macd":[...],"signal":[...],"histogram":[...]}',
});

const matrix = Type.Array(Type.Array(Type.Number()));

const varRequest = Type.Object(
  {
    positions: Type.Unknown({ description: 'market values per asset: [number] or {asset: number} or [{asset, market_value}|{asset, quantity, price}]' }),
    returns: Type.Optional(matrix),
    prices: Type.Optional(matrix),
    method: Type.Union([Type.Literal('historical'), Type.Literal('parametric'), Type.Literal('monte_carlo')]),
    confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    horizon_days: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: true, description: 'see docs/risk.md for every option (window, paths, seed, distribution, dof, ewma, age weighting)' },
);

const optimizeRequest = Type.Object(
  {
    objective: Type.Union([Type.Literal('min_variance'), Type.Literal('max_sharpe'), Type.Literal('mean_variance'), Type.Literal('risk_parity')]),
    returns: Type.Optional(matrix),
    covariance: Type.Optional(matrix),
    expected_returns: Type.Optional(Type.Array(Type.Number())),
  },
  { additionalProperties: true, description: 'see docs/optimizer.md for constraints, risk_free_rate, target_return, risk_aversion, assets' },
);

/** Compute results are analytics over the caller's floats: JSON numbers (docs/api.md), shapes in docs/risk.md and docs/optimizer.md. */
const computeResult = Type.Object({}, { additionalProperties: true, description: 'see docs/risk.md / docs/optimizer.md' });
const kComputeErrors = [413, 422, 503];

/** The compute routes on the process-wide compute pool (what the engine mounts). */
export function computeRoutes(app: TemplatedApp, options: RouteOptions): void {
  computeRoutesOn(sharedComputePool())(app, options);
}

type Budget = (principal: Principal, body: Record<string, unknown>) => void;

/** Checks the caller's budget, then runs the request on the pool. */
function budgeted(pool: ComputePool, kind: ComputeKind, checkBudget: Budget): RouteSpec['handler'] {
  return async ({ body, principal }) => {
    const request = body as Record<string, unknown>;
    checkBudget(principal!, request);
    return { status: 200, body: await pool.run(principal!.keyId ?? `user:${principal!.username}`, { kind, body: request }) };
  };
}

/** The compute routes on a given pool (tests give a small one). */
export function computeRoutesOn(pool: ComputePool) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'get',
      path: '/api/v1/indicators',
      permission: 'read',
      operationId: 'listIndicators',
      summary: 'The indicator catalogue: parameters, outputs, warm-up and the backend each runs on',
      tag: 'compute',
      responses: { 200: Type.Object({ indicators: Type.Array(Type.Object({}, { additionalProperties: true })) }) },
      handler: () => ({ status: 200, body: { indicators: indicators.catalogue() } }),
    });
    route(app, options, {
      method: 'post',
      path: '/api/v1/indicators',
      permission: 'read',
      operationId: 'computeIndicator',
      summary: 'Compute a technical indicator over a series or OHLCV columns',
      tag: 'compute',
      bodySchema: indicatorRequest,
      maxBodyBytesFor: computeBodyBytes,
      responses: { 200: indicatorResponse },
      errorStatuses: kComputeErrors,
      handler: budgeted(pool, 'indicator', checkIndicatorBudget),
    });
    route(app, options, {
      method: 'post',
      path: '/api/v1/risk/var',
      permission: 'read',
      operationId: 'computeVar',
      summary: 'Value at Risk and Expected Shortfall with component and marginal VaR',
      tag: 'compute',
      bodySchema: varRequest,
      responses: { 200: computeResult },
      errorStatuses: kComputeErrors,
      maxBodyBytesFor: computeBodyBytes,
      handler: budgeted(pool, 'var', checkVarBudget),
    });
    route(app, options, {
      method: 'post',
      path: '/api/v1/portfolio/optimize',
      permission: 'read',
      operationId: 'optimizePortfolio',
      summary: 'Portfolio weights: minimum variance, maximum Sharpe, mean-variance or risk parity',
      tag: 'compute',
      bodySchema: optimizeRequest,
      responses: { 200: computeResult },
      errorStatuses: kComputeErrors,
      maxBodyBytesFor: computeBodyBytes,
      handler: budgeted(pool, 'optimize', checkOptimizeBudget),
    });
  };
}

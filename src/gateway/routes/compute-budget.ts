/**
 * Per-request compute budgets by role, for POST /api/v1/risk/var, /api/v1/portfolio/optimize and
 * /api/v1/indicators. The kernels' own bounds (about a minute of Monte Carlo on two cores) are the
 * ceiling of what can be computed at all; these budgets decide what one caller may ask for in one
 * request, measured in the quantities the cost grows with:
 *
 *   monteCarloNormals   paths x assets x horizon_days            (Monte Carlo VaR: measured ~1 ms per 1e6)
 *   assets              columns of a VaR or optimiser request     (covariance ~ T x N^2, the QP ~ N^3)
 *   matrixValues        rows x columns of returns / prices / covariance
 *   points              indicator input points, every column counted
 *   bodyBytes           the largest request body (parsing it is the one cost paid on the event loop)
 *
 * The figures (docs/security.md) keep a viewer's largest request near 0.1 s of one core, a trader's
 * near 0.25 s, a risk officer's near 2 s; an admin gets the kernels' ceiling. The shape is only counted
 * here; the kernels validate every value afterwards, on the compute pool.
 */
import { OctopusError } from '../../engine/errors.js';
import type { Principal, Role } from '../auth/users.js';

export interface ComputeBudget {
  monteCarloNormals: number;
  assets: number;
  matrixValues: number;
  points: number;
  bodyBytes: number;
}

const kMiB = 1024 * 1024;

export const computeBudgets: Readonly<Record<Role, Readonly<ComputeBudget>>> = {
  viewer: { monteCarloNormals: 1e8, assets: 200, matrixValues: 500_000, points: 100_000, bodyBytes: 1 * kMiB },
  trader: { monteCarloNormals: 2.5e8, assets: 500, matrixValues: 1_000_000, points: 250_000, bodyBytes: 2 * kMiB },
  risk_officer: { monteCarloNormals: 2e9, assets: 2_000, matrixValues: 4_000_000, points: 2_000_000, bodyBytes: 8 * kMiB },
  admin: { monteCarloNormals: 2e10, assets: 2_000, matrixValues: 4_000_000, points: 4_000_000, bodyBytes: 8 * kMiB },
};

/** The kernels' default path count (src/actors/risk/var.ts), assumed when a request names none. */
const kPathsDefault = 100_000;

type Body = Record<string, unknown>;

function matrixShape(value: unknown): { rows: number; columns: number } {
  if (!Array.isArray(value)) return { rows: 0, columns: 0 };
  let columns = 0;
  for (const row of value) if (Array.isArray(row)) columns = Math.max(columns, row.length);
  return { rows: value.length, columns };
}

function countOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  return 0;
}

function refuse(principal: Principal, what: string, limit: number, was: string): never {
  throw new OctopusError('ERR_COMPUTE_OVER_BUDGET', `expected ${what} <= ${limit} for a ${principal.role}, was ${was}`);
}

function checkAssets(principal: Principal, budget: ComputeBudget, assets: number, rows: number, columns: number, field: string): void {
  if (assets > budget.assets) refuse(principal, 'assets', budget.assets, String(assets));
  if (rows * columns > budget.matrixValues) refuse(principal, `${field} values (rows x columns)`, budget.matrixValues, `${rows} x ${columns}`);
}

/** @throws OctopusError ERR_COMPUTE_OVER_BUDGET (413) naming the quantity, the role's limit and the request's value. */
export function checkVarBudget(principal: Principal, body: Body): void {
  const budget = computeBudgets[principal.role];
  const matrix = matrixShape(body.returns ?? body.prices);
  const assets = Math.max(countOf(body.positions), matrix.columns);
  checkAssets(principal, budget, assets, matrix.rows, matrix.columns, body.returns === undefined ? 'prices' : 'returns');
  if (body.method !== 'monte_carlo') return;
  const paths = typeof body.paths === 'number' ? body.paths : kPathsDefault;
  const horizon = typeof body.horizon_days === 'number' ? body.horizon_days : 1;
  const normals = paths * assets * horizon;
  if (!(normals <= budget.monteCarloNormals)) refuse(principal, 'paths x assets x horizon_days', budget.monteCarloNormals, `${paths} x ${assets} x ${horizon}`);
}

/** @throws OctopusError ERR_COMPUTE_OVER_BUDGET. */
export function checkOptimizeBudget(principal: Principal, body: Body): void {
  const budget = computeBudgets[principal.role];
  const returns = matrixShape(body.returns);
  const covariance = matrixShape(body.covariance);
  const assets = Math.max(returns.columns, covariance.columns, covariance.rows, countOf(body.expected_returns));
  checkAssets(principal, budget, assets, Math.max(returns.rows, covariance.rows), assets, body.returns === undefined ? 'covariance' : 'returns');
}

/** @throws OctopusError ERR_COMPUTE_OVER_BUDGET. */
export function checkIndicatorBudget(principal: Principal, body: Body): void {
  const budget = computeBudgets[principal.role];
  let points = countOf(body.series);
  const columns = body.ohlcv;
  if (columns !== null && typeof columns === 'object') for (const column of Object.values(columns)) points += countOf(column);
  if (points > budget.points) refuse(principal, 'indicator input points', budget.points, String(points));
}

/** The largest body a principal may send to a compute route (checked before it is read). */
export function computeBodyBytes(principal: Principal): number {
  return computeBudgets[principal.role].bodyBytes;
}

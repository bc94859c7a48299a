/**
 * Background backtest jobs (POST /api/v1/backtests): a single backtest, a sweep or a walk-forward, run on
 * the piscina pool, with progress reported to a callback (the gateway's `jobs` channel) and the result
 * stored in LMDB (`<data-dir>/backtests.lmdb`); a single backtest also gets its HTML report and JSON
 * saved beside each other in `<data-dir>/backtests/`. Jobs are bounded: at most kMaxRunningJobs run at
 * once and kMaxStoredJobs are kept (the oldest are deleted).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { OctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import { openStateStore, type StateStore } from '../../store/state-store.js';
import { instantiateStrategy } from '../strategy/builtin/index.js';
import type { SizingSpec } from '../strategy/sizing.js';
import { runBarBacktest, type BarFillModel } from './bar-backtest.js';
import type { BarSeries } from './bar-data.js';
import { renderHtmlReport } from './html-report.js';
import { buildReport, type BacktestReport } from './report.js';
import { runSweep, type SweepSpec } from './sweep.js';
import { runWalkForward, type WalkForwardSpec } from './walk-forward.js';

export interface JobRequest {
  kind: 'backtest' | 'sweep' | 'walk_forward';
  strategy: string;
  params: Record<string, unknown>;
  fill: BarFillModel;
  fees: number;
  cash: number;
  slippageTicks: number;
  sizing: SizingSpec;
  sweep?: SweepSpec;
  walkForward?: WalkForwardSpec;
}

export interface JobRecord {
  id: string;
  account: string;
  kind: JobRequest['kind'];
  /** The strategy it ran (absent on jobs stored before it was recorded). */
  strategy?: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  created_ms: number;
  finished_ms: number | null;
  error: { code: string; message: string } | null;
  result: unknown;
  html_report: string | null;
}

/** A job in a list: its state and, for a finished single backtest, the headline statistics. */
export interface JobSummary extends Omit<JobRecord, 'result' | 'html_report'> {
  summary: { final_equity: number; total_return: number; sharpe: number | null; max_drawdown: number; trades: number } | null;
  has_report: boolean;
}

function summarizeJob(job: JobRecord): JobSummary {
  const { result, html_report: htmlReport, ...rest } = job;
  const report = job.kind === 'backtest' && job.status === 'done' ? (result as Partial<BacktestReport> | null) : null;
  const summary =
    report === null || typeof report.final_equity !== 'number'
      ? null
      : { final_equity: report.final_equity, total_return: report.total_return ?? 0, sharpe: report.sharpe ?? null, max_drawdown: report.max_drawdown ?? 0, trades: report.trades ?? 0 };
  return { ...rest, strategy: job.strategy ?? (report?.strategy as string | undefined) ?? '', summary, has_report: htmlReport !== null };
}

export const kMaxRunningJobs = 4;
export const kMaxStoredJobs = 1_000;

export class BacktestJobs {
  private readonly store: StateStore;
  private readonly jobs;
  private running = 0;
  private readonly order: string[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly onUpdate: (job: JobRecord) => void,
    private readonly logger: Logger,
  ) {
    this.store = openStateStore(dataDir, 'backtests.lmdb');
    this.jobs = this.store.database<JobRecord>('jobs');
    for (const { key } of this.jobs.getRange()) this.order.push(key);
  }

  /** The account's jobs, newest first, at most `limit`, without their results (see `summary`). */
  list(account: string, limit: number): JobSummary[] {
    const jobs: JobSummary[] = [];
    for (let index = this.order.length - 1; index >= 0 && jobs.length < limit; index--) {
      const job = this.jobs.get(this.order[index]!);
      if (job !== undefined && job.account === account) jobs.push(summarizeJob(job));
    }
    return jobs;
  }

  /** The HTML report of one of the account's finished single backtests. */
  htmlReport(account: string, id: string): string {
    const job = this.get(account, id);
    if (job.html_report === null) throw new OctopusError('ERR_BACKTEST_NO_REPORT', `expected a finished single backtest with a report, was a ${job.status} ${job.kind}`);
    return readFileSync(job.html_report, 'utf8');
  }

  get(account: string, id: string): JobRecord {
    const job = this.jobs.get(id);
    if (job === undefined || job.account !== account) throw new OctopusError('ERR_BACKTEST_UNKNOWN_JOB', `expected the id of one of your jobs, was ${JSON.stringify(id)}`);
    return job;
  }

  /**
   * Validates, stores and starts a job; returns it queued.
   * @throws OctopusError ERR_BACKTEST_TOO_MANY_JOBS, ERR_STRATEGY_UNKNOWN / ERR_STRATEGY_BAD_PARAMS (checked now).
   */
  async submit(account: string, request: JobRequest, series: BarSeries[]): Promise<JobRecord> {
    if (this.running >= kMaxRunningJobs) throw new OctopusError('ERR_BACKTEST_TOO_MANY_JOBS', `expected fewer than ${kMaxRunningJobs} running jobs, was ${this.running}`);
    if (request.kind === 'backtest') instantiateStrategy(request.strategy, request.params);
    const job: JobRecord = { id: randomUUID(), account, kind: request.kind, strategy: request.strategy, status: 'queued', progress: 0, created_ms: Date.now(), finished_ms: null, error: null, result: null, html_report: null };
    await this.save(job);
    this.running++;
    this.execute(job, request, series).then(
      () => undefined,
      (error: unknown) => this.logger.error({ err: error, job: job.id }, 'backtest job bookkeeping failed'),
    );
    return job;
  }

  private async execute(job: JobRecord, request: JobRequest, series: BarSeries[]): Promise<void> {
    const progress = (done: number, total: number): void => {
      job.progress = total === 0 ? 1 : done / total;
      this.onUpdate({ ...job, result: null });
    };
    job.status = 'running';
    this.onUpdate({ ...job });
    try {
      job.result = await this.compute(job, request, series, progress);
      job.status = 'done';
      job.progress = 1;
    } catch (error) {
      job.status = 'failed';
      job.error = error instanceof OctopusError ? { code: error.code, message: error.message } : { code: 'ERR_INTERNAL', message: String((error as Error)?.message ?? error) };
    } finally {
      this.running--;
      job.finished_ms = Date.now();
      await this.save(job);
      this.onUpdate({ ...job, result: null });
    }
  }

  private async compute(job: JobRecord, request: JobRequest, series: BarSeries[], progress: (done: number, total: number) => void): Promise<unknown> {
    const task = { strategy: request.strategy, series, fill: request.fill, feeRate: request.fees, cash: request.cash, slippageTicks: request.slippageTicks, sizing: request.sizing };
    if (request.kind === 'sweep') {
      if (request.sweep === undefined) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', 'expected a sweep spec, was none');
      return runSweep(task, { ...request.sweep, base: { ...request.params, ...request.sweep.base } }, progress);
    }
    if (request.kind === 'walk_forward') {
      if (request.walkForward === undefined) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', 'expected a walk_forward spec, was none');
      return runWalkForward(task, request.walkForward, progress);
    }
    // One backtest is cheap next to a sweep: it runs here, yielding first so the request is answered.
    await new Promise((resolve) => setImmediate(resolve));
    const run = runBarBacktest({ strategy: instantiateStrategy(request.strategy, request.params), series, fill: request.fill, feeRate: request.fees, cash: request.cash, slippageTicks: request.slippageTicks, sizing: request.sizing, onProgress: progress });
    const report = buildReport(run, { strategy: request.strategy, params: request.params, fill: request.fill, fees: request.fees });
    const directory = join(this.dataDir, 'backtests');
    mkdirSync(directory, { recursive: true });
    job.html_report = join(directory, `${job.id}.html`);
    writeFileSync(job.html_report, renderHtmlReport(report, run));
    writeFileSync(join(directory, `${job.id}.json`), JSON.stringify(report));
    return report;
  }

  private async save(job: JobRecord): Promise<void> {
    if (!this.order.includes(job.id)) this.order.push(job.id);
    await this.jobs.put(job.id, job);
    while (this.order.length > kMaxStoredJobs) await this.jobs.remove(this.order.shift()!);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

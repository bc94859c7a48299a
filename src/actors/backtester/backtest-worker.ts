/** The piscina worker of sweeps and walk-forward folds: one backtest task per call (backtest-task.ts). */
import { errorReply, evaluateTask, type BacktestTask, type WorkerReply } from './backtest-task.js';

export default function runBacktestTask(job: { task: BacktestTask; withEquity: boolean }): WorkerReply {
  try {
    return { ok: true, result: evaluateTask(job.task, job.withEquity) };
  } catch (error) {
    return errorReply(error);
  }
}

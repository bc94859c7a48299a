/**
 * The write side of the QuestDB warehouse: a bounded retry buffer in front of one ILP-over-HTTP sender.
 *
 * Contract (docs/warehouse.md, "Retry and backpressure"):
 * - `push(batch)` accepts a batch into the buffer and resolves when QuestDB acknowledged the HTTP request
 *   that carried it (QuestDB commits one request as one transaction per table). It never drops an
 *   accepted batch: while QuestDB is down the batch stays buffered and is re-sent with exponential
 *   backoff, until it is acknowledged or the sink is closed (then it rejects with ERR_WAREHOUSE_CLOSED).
 * - When the buffer cannot take the batch, `push` rejects at once with ERR_WAREHOUSE_BACKPRESSURE and
 *   nothing of it is kept; the caller slows down and writes it again later (`stats().backlogRows` and
 *   `flush()` tell when there is room).
 * - A re-sent request may have been committed already (the answer was lost); the tables' DEDUP UPSERT
 *   KEYS make that harmless.
 * - A request the server refuses as malformed (HTTP 4xx) would fail forever, so its batches reject with
 *   ERR_WAREHOUSE_BAD_ROW instead of blocking the buffer. Edge validation makes this a bug, not a path.
 *
 * Batches go out when the buffered rows reach `batchRowsMax`, or `flushIntervalMs` after the first one
 * arrived, or at once on `flush()`. One request is in flight at a time, so batches commit in push order.
 */
import { setTimeout as delay } from 'node:timers/promises';

import { Sender } from '@questdb/nodejs-client';

import { octopusError } from '../../../engine/errors.js';

export interface QuestdbSinkOptions {
  /** `Sender.fromConfig` string without auto-flush settings, e.g. `http::addr=127.0.0.1:9000`. */
  readonly ilpConfig: string;
  /** Rows per HTTP request, at least; one batch is never split. Default 5 000. */
  readonly batchRowsMax?: number;
  /** Longest a buffered row waits before it is sent. Default 100 ms. */
  readonly flushIntervalMs?: number;
  /** Most rows buffered (unacknowledged); beyond it `push` rejects with ERR_WAREHOUSE_BACKPRESSURE. Default 200 000. */
  readonly bufferRowsMax?: number;
  /** First and largest pause between two attempts. Defaults 50 ms and 2 000 ms. */
  readonly retryDelayMsMin?: number;
  readonly retryDelayMsMax?: number;
  /** Time allowed for one HTTP request. Default 5 000 ms. */
  readonly requestTimeoutMs?: number;
}

/** One caller's rows: `encode` appends them to the sender's buffer, and may be called once per attempt. */
export interface SinkBatch {
  readonly rowCount: number;
  readonly encode: (sender: Sender) => Promise<void>;
}

interface PendingBatch extends SinkBatch {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface SinkStats {
  rowsWritten: number;
  backlogRows: number;
  retries: number;
  errors: number;
  lastError: string | undefined;
}

const kLimits = {
  batchRowsMax: [1, 100_000],
  flushIntervalMs: [1, 60_000],
  bufferRowsMax: [1, 10_000_000],
  retryDelayMsMin: [1, 60_000],
  retryDelayMsMax: [1, 600_000],
  requestTimeoutMs: [100, 600_000],
} as const;

function bounded(name: keyof typeof kLimits, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  const [min, max] = kLimits[name];
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw octopusError('ERR_WAREHOUSE_BAD_CONFIG', `expected ${name} to be an integer in [${min}, ${max}], was ${chosen}`);
  }
  return chosen;
}

export class QuestdbSink {
  private readonly batchRowsMax: number;
  private readonly flushIntervalMs: number;
  private readonly bufferRowsMax: number;
  private readonly retryDelayMsMin: number;
  private readonly retryDelayMsMax: number;
  private readonly queue: PendingBatch[] = [];
  private readonly counters: SinkStats = { rowsWritten: 0, backlogRows: 0, retries: 0, errors: 0, lastError: undefined };
  private timer: NodeJS.Timeout | undefined = undefined;
  private draining: Promise<void> | undefined = undefined;
  private closed = false;
  private retryDelayMs: number;

  /**
   * Creates the sender without contacting the server (the protocol version is pinned, so the client does
   * not probe /settings), so a sink opens while QuestDB is down and buffers until it is back.
   * Throws ERR_WAREHOUSE_BAD_CONFIG for an option out of bounds or a configuration the client refuses.
   */
  static async open(options: QuestdbSinkOptions): Promise<QuestdbSink> {
    const requestTimeoutMs = bounded('requestTimeoutMs', options.requestTimeoutMs, 5_000);
    // The client's own retry loop is kept short (1 s): this sink retries, counts and backs off itself, and
    // keeps the rows, which the client drops from its buffer when a request fails. retry_timeout=0 is not
    // usable: client 4.2 then fails every request at once with "HTTP request timeout" (found by test).
    const config = `${options.ilpConfig};protocol_version=2;auto_flush=off;retry_timeout=1000;request_timeout=${requestTimeoutMs}`;
    let sender: Sender;
    try {
      sender = await Sender.fromConfig(config);
    } catch (error) {
      throw octopusError('ERR_WAREHOUSE_BAD_CONFIG', `expected a valid ILP configuration, was ${String(error)}`, error);
    }
    return new QuestdbSink(options, sender);
  }

  private constructor(
    options: QuestdbSinkOptions,
    private readonly sender: Sender,
  ) {
    this.batchRowsMax = bounded('batchRowsMax', options.batchRowsMax, 5_000);
    this.flushIntervalMs = bounded('flushIntervalMs', options.flushIntervalMs, 100);
    this.bufferRowsMax = bounded('bufferRowsMax', options.bufferRowsMax, 200_000);
    this.retryDelayMsMin = bounded('retryDelayMsMin', options.retryDelayMsMin, 50);
    this.retryDelayMsMax = bounded('retryDelayMsMax', options.retryDelayMsMax, 2_000);
    if (this.retryDelayMsMax < this.retryDelayMsMin) {
      throw octopusError('ERR_WAREHOUSE_BAD_CONFIG', `expected retryDelayMsMax >= retryDelayMsMin, was ${this.retryDelayMsMax} < ${this.retryDelayMsMin}`);
    }
    this.retryDelayMs = this.retryDelayMsMin;
  }

  /**
   * Buffers `batch` and resolves once QuestDB acknowledged it. Rejects with ERR_WAREHOUSE_BACKPRESSURE
   * (nothing kept) when the buffer is full, ERR_WAREHOUSE_CLOSED when the sink closed before the batch
   * was acknowledged, ERR_WAREHOUSE_BAD_ROW when the server refused it as malformed.
   */
  push(batch: SinkBatch): Promise<void> {
    if (this.closed) return Promise.reject(octopusError('ERR_WAREHOUSE_CLOSED', 'expected an open QuestDB sink, was closed'));
    if (batch.rowCount === 0) return Promise.resolve();
    if (batch.rowCount > this.bufferRowsMax) {
      return Promise.reject(octopusError('ERR_WAREHOUSE_BATCH_TOO_LARGE', `expected at most ${this.bufferRowsMax} rows, was ${batch.rowCount}`));
    }
    if (this.counters.backlogRows + batch.rowCount > this.bufferRowsMax) {
      return Promise.reject(
        octopusError(
          'ERR_WAREHOUSE_BACKPRESSURE',
          `expected room for ${batch.rowCount} rows in the QuestDB buffer, was ${this.counters.backlogRows} of ${this.bufferRowsMax} taken`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...batch, resolve, reject });
      this.counters.backlogRows += batch.rowCount;
      this.schedule();
    });
  }

  /**
   * Sends everything buffered now and resolves when the buffer is empty. Rejects with
   * ERR_WAREHOUSE_UNAVAILABLE after `timeoutMs` if QuestDB has not taken it all; the rows stay buffered.
   */
  async flush(timeoutMs: number): Promise<void> {
    const deadlineMs = performance.now() + timeoutMs;
    while (this.queue.length > 0) {
      this.startDrain();
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) {
        throw octopusError(
          'ERR_WAREHOUSE_UNAVAILABLE',
          `expected QuestDB to take ${this.counters.backlogRows} buffered rows within ${timeoutMs} ms, was ${this.counters.lastError ?? 'still sending'}`,
        );
      }
      await Promise.race([this.draining, delay(Math.min(remainingMs, 50))]);
    }
  }

  stats(): SinkStats {
    return { ...this.counters };
  }

  /** Tries to send the buffer for up to `timeoutMs`, rejects what is left with ERR_WAREHOUSE_CLOSED, closes the sender. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush(timeoutMs);
    } catch {
      // What is left is rejected below, to its writers, who are the ones who can act on it.
    }
    this.closed = true;
    clearTimeout(this.timer);
    await this.draining;
    for (const batch of this.queue.splice(0)) {
      this.counters.backlogRows -= batch.rowCount;
      batch.reject(octopusError('ERR_WAREHOUSE_CLOSED', `expected ${batch.rowCount} rows to reach QuestDB before close, were still buffered`));
    }
    await this.sender.close();
  }

  private schedule(): void {
    if (this.counters.backlogRows >= this.batchRowsMax) {
      this.startDrain();
    } else if (this.timer === undefined && this.draining === undefined) {
      this.timer = setTimeout(() => this.startDrain(), this.flushIntervalMs);
    }
  }

  private startDrain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.draining !== undefined) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Rows pushed during the last request wait for their own trigger.
      if (this.queue.length > 0 && !this.closed) this.schedule();
    });
    // drain() handles every failure itself; this only reports a broken invariant.
    this.draining.catch((error: unknown) => {
      this.counters.errors += 1;
      this.counters.lastError = `drain crashed: ${String(error)}`;
    });
  }

  /** Sends batches from the head of the queue, one request at a time, until it is empty or closed. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const taken = this.takeHead();
      const failure = await this.send(taken);
      if (failure === undefined) {
        this.settle(taken, undefined);
        this.retryDelayMs = this.retryDelayMsMin;
        continue;
      }
      this.counters.errors += 1;
      this.counters.lastError = failure instanceof Error ? failure.message : String(failure);
      if (/statusCode=4\d\d/.test(this.counters.lastError)) {
        this.settle(taken, octopusError('ERR_WAREHOUSE_BAD_ROW', `expected QuestDB to accept the rows, was ${this.counters.lastError}`, failure));
        continue;
      }
      this.counters.retries += 1;
      await delay(this.retryDelayMs);
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryDelayMsMax);
    }
  }

  /** The head batches, at least one, up to batchRowsMax rows; they stay queued until settled. */
  private takeHead(): number {
    let count = 0;
    let rows = 0;
    for (const batch of this.queue) {
      if (count > 0 && rows + batch.rowCount > this.batchRowsMax) break;
      count += 1;
      rows += batch.rowCount;
    }
    return count;
  }

  /** Encodes and sends the first `count` batches as one request; returns the failure, if any. */
  private async send(count: number): Promise<unknown> {
    try {
      this.sender.reset();
      for (let index = 0; index < count; index++) await this.queue[index]!.encode(this.sender);
      await this.sender.flush();
      return undefined;
    } catch (error) {
      this.sender.reset();
      return error ?? new Error('unknown failure');
    }
  }

  private settle(count: number, error: unknown): void {
    for (const batch of this.queue.splice(0, count)) {
      this.counters.backlogRows -= batch.rowCount;
      if (error === undefined) {
        this.counters.rowsWritten += batch.rowCount;
        batch.resolve();
      } else {
        batch.reject(error);
      }
    }
  }
}

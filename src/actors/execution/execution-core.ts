/**
 * M7 execution's state and its rules, without the worker around it (the actor wires it to the rings; the
 * tests drive it directly). It owns the order manager, the built-in simulated exchange, the journal, the
 * audit chain, the snapshots and the closed-order store, all in `<data-dir>/execution.lmdb`.
 *
 * The rules (docs/runtime.md):
 *   Durable before visible. Every state change is journaled, and what it produced (execution reports,
 *     market data, closed orders for the store) waits in `pending` with its journal sequence number. It is
 *     released, in order, only once the journal says that sequence number is on disk. Replies to commands
 *     wait for the same flush; query replies wait until the state they read is durable.
 *   Bounded catch-up. The exchange steps to wall time in slices of at most `maxStepMsPerTick`; a lag
 *     larger than `maxLagMs` (the engine was down, or held back by backpressure) is skipped with a
 *     journaled `sim_resume`: no trading happened while the engine was not running.
 *   Backpressure. The exchange does not step while the sink is congested or too many outputs wait for
 *     the disk: it steps less, and the skipped time is counted.
 *   Snapshots. Every `snapshotEveryRecords` journal records or `snapshotEveryMs`, the whole state goes to
 *     a snapshot; a restart loads the newest valid one and replays only the journal after it.
 *   One owner of the data's identity. Instruments, grids, cash and fees are pinned at the first start; a
 *     restart with others is refused (`ERR_CONFIG_DATA_DIR_CONFLICT`) instead of replaying into a
 *     different engine.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../engine/assert.js';
import type { Clock } from '../../engine/clock.js';
import { OctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import type {
  CanceledOrders,
  CancelAllOrders,
  CancelOrder,
  ExecutionReports,
  KillSwitchState,
  L2Book,
  L3Book,
  MarketDataBatch,
  OrderRecord,
  ReplaceOrder,
  SetKillSwitch,
  SubmitOrder,
  SubmitResult,
} from '../../engine/messages.js';
import { AuditLog, canonicalJson } from '../../store/audit-log.js';
import { Journal, type JournalRecord } from '../../store/journal.js';
import { SnapshotStore } from '../../store/snapshots.js';
import type { StateStore } from '../../store/state-store.js';
import type { RiskLimits } from '../risk/pre-trade.js';
import { assertSameOrder } from './client-order-id.js';
import { LmdbClosedOrders, type ClosedOrderStore } from './closed-orders.js';
import { kCommandKinds, OrderManager, type Command, type ManagerState, type SubmitCommand } from './order-manager.js';
import { kDefaultUniverse, SimulatedExchange, type ExchangeState, type SimulatedSymbol } from './simulated-venue/simulated-exchange.js';

export interface SimulationOptions {
  seed: number;
  /** Mean taker orders per symbol per second (the feed's intensity). */
  takerRatePerSecond: number;
  /** How often the exchange is stepped. */
  publishMs: number;
  /** A lag behind wall time larger than this is skipped (sim_resume) rather than caught up. Default 2 s. */
  maxLagMs?: number;
  /** Simulated time stepped per tick at most while catching up. Default 500 ms. */
  maxStepMsPerTick?: number;
  /**
   * Lockstep with these actors (the strategy actor): the exchange steps exactly one step at a time and
   * not again until each of them has said it handled the market data of the last step that published
   * any (MarketDataProcessed), and a lag is caught up, never skipped. The step schedule then no longer
   * depends on wall-clock jitter, so a strategy's fills are those of a backtest of the same seed.
   */
  lockstep?: string[];
  /** Simulation step in ms (default 100): a smaller step is a busier market (more requotes per second). */
  stepMs?: number;
}

export interface ExecutionOptions {
  /** The built-in simulated exchange trading in these books; undefined = it is not stepped. */
  simulation?: SimulationOptions;
  /** Who receives market data batches (trades, quotes, book deltas). */
  marketDataSubscribers: string[];
  /** Who receives execution reports (changed orders and positions). */
  reportSubscribers: string[];
  /** Session close, milliseconds after UTC midnight: day orders expire then (default 21:00 UTC). */
  sessionCloseUtcMs?: number;
  dataDir: string;
  symbols: string[];
  tickSize: number;
  lotSize: number;
  startingCash: number;
  makerFeeBps: number;
  takerFeeBps: number;
  riskLimits?: RiskLimits;
  restrictedSymbols?: string[];
  /** Snapshot after this many journal records ... */
  snapshotEveryRecords?: number;
  /** ... or this long after the last one, whichever comes first. */
  snapshotEveryMs?: number;
  /** Start over a broken journal chain by truncating it at the last good record (logged and audited). */
  recover?: boolean;
  /** Test hook: delay before a flush counts as durable. */
  durabilityDelayMs?: number;
  /**
   * BENCH ONLY (OCTOPUS_BENCH_NO_JOURNAL=1, src/config.ts): the journal writes nothing and commands are
   * not audited, so an acknowledgement waits for no disk; the order-entry bench's "no journal" ceiling.
   */
  benchNoJournal?: boolean;
}

/** Where released (durable) outputs go, and whether the receivers are keeping up. */
export interface ExecutionSink {
  /** `seq`: the journal record whose state change produced it (already durable). */
  publishMarketData(batch: MarketDataBatch, seq: number): void;
  publishReports(reports: ExecutionReports, seq: number): void;
  /** True while the receivers are behind (the exchange then does not step). */
  congested(): boolean;
}

/** How the state was rebuilt at start. */
export interface RestoreReport {
  snapshotSeq: number | null;
  snapshotStateHash: string | null;
  snapshotsSkipped: number[];
  replayedRecords: number;
  journalSeq: number;
  stateHash: string;
  recoveredRecords: number;
  elapsedMs: number;
}

/** The journaled parameters of the simulated exchange (its `sim_start`). */
interface SimulationStart {
  startTimeMs: number;
  seed: number;
  takerRatePerSecond: number;
  /** The exchange's step (fair values move and agents act once per step); 100 ms when absent. */
  stepMs?: number;
}

const kDefaultStepMs = 100;

interface CoreState {
  manager: ManagerState;
  exchange: { start: SimulationStart; state: ExchangeState } | null;
  lastExpireMs: number;
  stateHash: string;
  /** The audit chain's head when the snapshot was taken: a restart verifies the audit tail from here. */
  audit: { seq: number; hash: string };
}

/** Where the background check of the chains' history stands (it walks what start-up did not). */
export interface HistoryVerification {
  state: 'pending' | 'ok' | 'broken';
  journalVerifiedTo: number;
  auditVerifiedTo: number;
  problem: string | null;
}

/** Records checked per slice of the background verification, between which the actor handles messages. */
const kJournalSlice = 5_000;
const kAuditSlice = 500;
/** The background verification starts this long after the actor is up. */
const kHistoryDelayMs = 2_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** What pins a data dir: replaying into other instruments, grids, cash or fees would give another state. */
type Identity = { format: number } & Pick<ExecutionOptions, 'symbols' | 'tickSize' | 'lotSize' | 'startingCash' | 'makerFeeBps' | 'takerFeeBps'>;

interface PendingOutput {
  seq: number;
  market: MarketDataBatch | null;
  reports: ExecutionReports | null;
  closed: OrderRecord[];
}

const kFormatVersion = 2;
const kDefaultSnapshotEveryRecords = 10_000;
const kDefaultSnapshotEveryMs = 60_000;
const kDefaultMaxLagMs = 2_000;
const kDefaultMaxStepMsPerTick = 500;
/** Outputs waiting for the disk beyond which the exchange stops stepping (the disk is behind). */
const kPendingOutputsMax = 256;
const kDayMs = 86_400_000;

/**
 * The instruments of `symbols`: those of the simulated exchange's default universe keep its sector, grids,
 * start price and volatility; any other symbol trades on the configured grids around 100.
 */
export function universeFor(symbols: readonly string[], tickSize: number, lotSize: number): SimulatedSymbol[] {
  return symbols.map(
    (symbol) => kDefaultUniverse.find((known) => known.symbol === symbol) ?? { symbol, sector: 'other', tickSize, lotSize, startPrice: 100, annualVolatility: 0.3 },
  );
}

/** A copy of an order record that later changes to the live one cannot reach (replies and reports). */
export function copyRecord(record: OrderRecord): OrderRecord {
  return { ...record, history: record.history.map((entry) => ({ ...entry })) };
}

function mergeMarket(first: MarketDataBatch | null, second: MarketDataBatch | null): MarketDataBatch | null {
  if (first === null) return second;
  if (second === null) return first;
  first.trades.push(...second.trades);
  first.quotes.push(...second.quotes);
  first.deltas.push(...second.deltas);
  return first;
}

export class ExecutionCore {
  readonly manager: OrderManager;
  readonly journal: Journal;
  readonly audit: AuditLog;
  private readonly snapshots: SnapshotStore;
  private readonly closedOrders: ClosedOrderStore;
  private exchange: SimulatedExchange | null = null;
  private simulationStart: SimulationStart | null = null;
  private pending: PendingOutput[] = [];
  private pendingHead = 0;
  private lastExpireMs = 0;
  private recordsSinceSnapshot = 0;
  private lastSnapshotMs: number;
  private snapshotting: Promise<void> | null = null;
  private integrityProblem: string | null = null;
  private history: HistoryVerification = { state: 'pending', journalVerifiedTo: 0, auditVerifiedTo: 0, problem: null };
  /** What start-up verified itself (the tails); the background check covers the rest. */
  private verifiedFrom = { journal: 1, audit: 1 };
  /** Closed-order and audit writes in flight (not awaited by a reply): waited for before the store closes. */
  private readonly backgroundWrites = new Set<Promise<unknown>>();
  private restore: RestoreReport | null = null;
  /** Lockstep: the time of the last step that published market data, and each participant's acknowledgement. */
  private lockstepAwaitingMs = Number.NEGATIVE_INFINITY;
  private readonly lockstepAcks = new Map<string, number>();
  /** Called every few thousand records while replaying (the actor beats its heartbeat: a long start is not a hang). */
  onReplayProgress: () => void = () => undefined;
  private readonly counters = { commandsApplied: 0, simSteps: 0, simSkippedMs: 0, simResumes: 0, backpressureTicks: 0, snapshots: 0, lastSnapshotBytes: 0, lastSnapshotMs: 0 };

  constructor(
    private readonly options: ExecutionOptions,
    private readonly store: StateStore,
    private readonly sink: ExecutionSink,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.journal = new Journal(store, 'commands', { durabilityDelayMs: options.durabilityDelayMs ?? 0, benchNoWrites: options.benchNoJournal === true });
    this.audit = new AuditLog(store);
    this.snapshots = new SnapshotStore(store);
    this.closedOrders = new LmdbClosedOrders(store);
    this.manager = this.createManager(this.closedOrders);
    this.lastSnapshotMs = clock.nowMs();
  }

  private createManager(closedOrders: ClosedOrderStore): OrderManager {
    const options = this.options;
    return new OrderManager(
      {
        instruments: universeFor(options.symbols, options.tickSize, options.lotSize).map(({ symbol, tickSize, lotSize }) => ({ symbol, tickSize, lotSize })),
        startingCash: options.startingCash,
        makerFeeBps: options.makerFeeBps,
        takerFeeBps: options.takerFeeBps,
        closedOrders,
        ...(options.riskLimits === undefined ? {} : { riskLimits: options.riskLimits }),
        ...(options.restrictedSymbols === undefined ? {} : { restrictedSymbols: options.restrictedSymbols }),
      },
      () => this.clock.nowMs(),
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Start: identity, snapshot, journal tail.

  /**
   * Rebuilds the state: checks the data dir's identity, loads the newest valid snapshot, replays the
   * journal after it (verifying its chain), then starts (or resumes) the simulated exchange.
   * @throws OctopusError ERR_CONFIG_DATA_DIR_CONFLICT, ERR_STORE_FORMAT, ERR_STORE_CORRUPT (with the
   *   record to recover from; `recover` truncates there instead).
   */
  async open(): Promise<RestoreReport> {
    const started = performance.now();
    this.checkIdentity();
    const load = this.snapshots.latest<CoreState>((snapshot) => this.journal.hashAt(snapshot.seq) === snapshot.journalHash);
    if (load.skipped.length > 0) this.logger.warn({ skipped: load.skipped }, 'snapshots skipped (damaged, or ahead of the journal)');
    const snapshot = load.snapshot;
    if (snapshot !== null) await this.importState(snapshot.state);
    let replayed = 0;
    let recovered = 0;
    try {
      replayed = this.journal.replay((record) => this.replayRecord(record), snapshot?.seq ?? 0, snapshot?.journalHash);
      this.verifyAuditTail(snapshot?.state.audit);
    } catch (error) {
      if (!(error instanceof OctopusError) || error.code !== 'ERR_STORE_CORRUPT' || this.options.recover !== true) throw this.withRecoveryHint(error);
      recovered = await this.recover(error);
      return this.open();
    }
    this.verifiedFrom = { journal: (snapshot?.seq ?? 0) + 1, audit: (snapshot?.state.audit.seq ?? 0) + 1 };
    await this.manager.persistClosed(this.manager.drainOutputs().closed);
    this.restore = {
      snapshotSeq: snapshot?.seq ?? null,
      snapshotStateHash: snapshot?.state.stateHash ?? null,
      snapshotsSkipped: load.skipped,
      replayedRecords: replayed,
      journalSeq: this.journal.lastSeq,
      stateHash: this.stateHash(),
      recoveredRecords: recovered,
      elapsedMs: Math.round(performance.now() - started),
    };
    const freshDataDir = this.journal.lastSeq === 0;
    await this.startSimulation();
    await this.expireMissedSessionClose(freshDataDir);
    return this.restore;
  }

  private withRecoveryHint(error: unknown): unknown {
    if (!(error instanceof OctopusError) || error.code !== 'ERR_STORE_CORRUPT') return error;
    return new OctopusError('ERR_STORE_CORRUPT', `${error.message}; refusing to trade on a broken journal: start with --recover to truncate it at the last good record`, { cause: error });
  }

  /**
   * The audit records after the snapshot's checkpoint (all of them without a snapshot) are checked at
   * start; older ones by the background verification.
   * @throws OctopusError ERR_STORE_CORRUPT naming the first broken audit record.
   */
  private verifyAuditTail(checkpoint: { seq: number; hash: string } | undefined): void {
    let fromSeq = (checkpoint?.seq ?? 0) + 1;
    let previousHash = checkpoint?.hash;
    for (;;) {
      const result = this.audit.verify({ fromSeq, ...(previousHash === undefined ? {} : { previousHash }), maxRecords: 8_192 });
      if (!result.ok) throw new OctopusError('ERR_STORE_CORRUPT', `expected an intact audit chain, was broken at record ${result.firstBrokenSeq}: ${result.reason}`);
      if (result.complete) return;
      this.onReplayProgress();
      fromSeq = result.lastSeq + 1;
      previousHash = result.lastHash;
    }
  }

  /**
   * --recover: keeps each broken chain (journal, audit) up to its last good record, drops the rest, and says
   * so in the audit chain. The state built so far is discarded: the caller opens again from scratch.
   * @returns how many records were removed.
   */
  private async recover(error: OctopusError): Promise<number> {
    let removed = 0;
    const journal = this.journal.verify();
    if (!journal.ok) {
      const lastGood = journal.firstBrokenSeq - 1;
      removed += await this.journal.truncateAfter(lastGood);
      await this.snapshots.removeAfter(lastGood);
      this.logger.error({ lastGood, reason: journal.reason }, 'journal recovered: truncated at the last good record');
    }
    const audit = this.audit.verify();
    if (!audit.ok) {
      removed += await this.audit.truncateAfter(audit.firstBrokenSeq - 1);
      this.logger.error({ lastGood: audit.firstBrokenSeq - 1, reason: audit.reason }, 'audit chain recovered: truncated at the last good record');
    }
    assert(!journal.ok || !audit.ok, () => `expected a broken chain when recovering from: ${error.message}`);
    await this.audit.append({ type: 'recover', journal: journal.ok ? null : { first_broken_seq: journal.firstBrokenSeq, reason: journal.reason }, audit: audit.ok ? null : { first_broken_seq: audit.firstBrokenSeq, reason: audit.reason }, removed }, Math.round(this.clock.nowMs()));
    this.resetState();
    return removed;
  }

  /**
   * Walks, in slices between which the actor goes on handling messages, the part of both chains that
   * start-up did not check (the journal before the snapshot, the audit records before its checkpoint).
   * A break halts trading (typed refusals) and shows on /health; it never kills the actor.
   */
  async verifyHistory(): Promise<HistoryVerification> {
    // Let the engine finish starting first (the other actors start on the same cores), then walk in
    // slices with a timer turn between them, so the check never competes with order handling for long.
    await new Promise((resolve) => setTimeout(resolve, kHistoryDelayMs));
    const journalEnd = this.verifiedFrom.journal - 1;
    const auditEnd = this.verifiedFrom.audit - 1;
    let journalFrom = 1;
    while (journalFrom <= journalEnd) {
      const slice = this.journal.verify({ fromSeq: journalFrom, maxRecords: Math.min(kJournalSlice, journalEnd - journalFrom + 1) });
      if (!slice.ok) return this.historyBroken(`journal record ${slice.firstBrokenSeq}: ${slice.reason}`);
      journalFrom = slice.lastSeq + 1;
      this.history.journalVerifiedTo = slice.lastSeq;
      if (slice.records === 0) break;
      await nextTurn();
    }
    let auditFrom = 1;
    let previousHash: string | undefined;
    while (auditFrom <= auditEnd) {
      const slice = this.audit.verify({ fromSeq: auditFrom, ...(previousHash === undefined ? {} : { previousHash }), maxRecords: Math.min(kAuditSlice, auditEnd - auditFrom + 1) });
      if (!slice.ok) return this.historyBroken(`audit record ${slice.firstBrokenSeq}: ${slice.reason}`);
      auditFrom = slice.lastSeq + 1;
      previousHash = slice.lastHash;
      this.history.auditVerifiedTo = slice.lastSeq;
      if (slice.records === 0) break;
      await nextTurn();
    }
    this.history = { ...this.history, state: 'ok' };
    return this.history;
  }

  private historyBroken(problem: string): HistoryVerification {
    this.history = { ...this.history, state: 'broken', problem };
    this.haltForIntegrity(problem);
    return this.history;
  }

  private resetState(): void {
    (this as { manager: OrderManager }).manager = this.createManager(this.closedOrders);
    this.exchange = null;
    this.simulationStart = null;
    this.lastExpireMs = 0;
  }

  private checkIdentity(): void {
    const meta = this.store.database<Identity>('execution.meta');
    const legacy = this.store.root.openDB({ name: 'journal', encoding: 'msgpack' });
    if (legacy.getKeysCount({ limit: 1 }) > 0) {
      throw new OctopusError('ERR_STORE_FORMAT', `expected a data dir of format ${kFormatVersion}, was one written by Octopus 0.1 (journal without a hash chain) in ${this.options.dataDir}: start with a new --data-dir`);
    }
    const wanted: Identity = {
      format: kFormatVersion,
      symbols: [...this.options.symbols],
      tickSize: this.options.tickSize,
      lotSize: this.options.lotSize,
      startingCash: this.options.startingCash,
      makerFeeBps: this.options.makerFeeBps,
      takerFeeBps: this.options.takerFeeBps,
    };
    const stored = meta.get('identity');
    if (stored === undefined) {
      if (this.journal.lastSeq > 0) throw new OctopusError('ERR_STORE_FORMAT', `expected the identity of the data dir ${this.options.dataDir} next to its journal, was missing`);
      meta.putSync('identity', wanted);
      return;
    }
    const conflicts = (Object.keys(wanted) as (keyof Identity)[]).filter((key) => JSON.stringify(stored[key]) !== JSON.stringify(wanted[key]));
    if (conflicts.length > 0) {
      const detail = conflicts.map((key) => `${key}: data dir ${JSON.stringify(stored[key])}, was ${JSON.stringify(wanted[key])}`).join('; ');
      throw new OctopusError('ERR_CONFIG_DATA_DIR_CONFLICT', `expected the settings this data dir was created with, was different (${detail}): start with those settings or a new --data-dir`);
    }
  }

  private replayRecord(record: JournalRecord): void {
    switch (record.kind) {
      case 'sim_start':
        this.exchange = this.createExchange(record.payload as SimulationStart);
        break;
      case 'sim_step':
        this.requireExchange(record).step((record.payload as { untilMs: number }).untilMs);
        break;
      case 'sim_resume':
        this.requireExchange(record).resume((record.payload as { toMs: number }).toMs);
        break;
      case 'sim_rate':
        this.requireExchange(record).setTakerRate((record.payload as { takerRatePerSecond: number }).takerRatePerSecond);
        break;
      default: {
        if (!kCommandKinds.has(record.kind)) throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${record.seq} to be a known command, was ${JSON.stringify(record.kind)}`);
        const command = { kind: record.kind, command: record.payload } as Command;
        this.manager.apply(command);
        if (command.kind === 'expire_day') this.lastExpireMs = Math.max(this.lastExpireMs, command.command.timeMs);
      }
    }
    this.counters.commandsApplied++;
    if ((record.seq & 0x1fff) === 0) this.onReplayProgress();
    // What a replay produces is history: no reports or market data, but closed orders go to the store.
    const closed = this.manager.drainClosed();
    if (closed.length > 0) this.background(this.manager.persistClosed(closed), 'closed-order store write failed during replay');
  }

  /** Tracks a write nobody awaits; a failure means the disk cannot be trusted (fatal). */
  private background(write: Promise<unknown>, failure: string): void {
    const tracked = write.catch((error: unknown) => this.fatal(failure, error)).finally(() => this.backgroundWrites.delete(tracked));
    this.backgroundWrites.add(tracked);
  }

  /** Resolves once everything applied so far is durable and every background write has landed. */
  async settled(): Promise<void> {
    const waiting = this.journal.whenDurable(this.journal.lastSeq);
    if (waiting !== null) await waiting;
    this.release();
    while (this.backgroundWrites.size > 0) await Promise.all([...this.backgroundWrites]);
  }

  private requireExchange(record: JournalRecord): SimulatedExchange {
    if (this.exchange === null) throw new OctopusError('ERR_STORE_CORRUPT', `expected a sim_start before journal record ${record.seq} (${record.kind}), was none`);
    return this.exchange;
  }

  private createExchange(start: SimulationStart): SimulatedExchange {
    this.simulationStart = { ...start };
    return new SimulatedExchange({
      seed: start.seed,
      engine: this.manager.engine,
      symbols: universeFor(this.options.symbols, this.options.tickSize, this.options.lotSize),
      startTimeMs: start.startTimeMs,
      takers: { ratePerSecond: start.takerRatePerSecond },
      stepMs: start.stepMs ?? kDefaultStepMs,
      onBookEvents: (book, events, timeMs) => this.manager.absorbExternal(book, events, timeMs),
    });
  }

  /** Starts the exchange on a fresh data dir, or brings a restored one up to date with the current flags. */
  private async startSimulation(): Promise<void> {
    const simulation = this.options.simulation;
    if (simulation === undefined) return;
    const nowMs = Math.floor(this.clock.nowMs());
    if (this.exchange === null) {
      const start: SimulationStart = { startTimeMs: nowMs, seed: simulation.seed, takerRatePerSecond: simulation.takerRatePerSecond, stepMs: simulation.stepMs ?? kDefaultStepMs };
      this.exchange = this.createExchange(start);
      await this.journalRecord('sim_start', start, nowMs, null);
      return;
    }
    if (this.simulationStart!.seed !== simulation.seed) {
      throw new OctopusError('ERR_CONFIG_DATA_DIR_CONFLICT', `expected --seed ${this.simulationStart!.seed} (the data dir's simulated exchange), was ${simulation.seed}: start with that seed or a new --data-dir`);
    }
    const stepMs = this.simulationStart!.stepMs ?? kDefaultStepMs;
    if (stepMs !== (simulation.stepMs ?? kDefaultStepMs)) {
      throw new OctopusError('ERR_CONFIG_DATA_DIR_CONFLICT', `expected --sim-step-ms ${stepMs} (the data dir's simulated exchange), was ${simulation.stepMs ?? kDefaultStepMs}: start with that step or a new --data-dir`);
    }
    if (this.exchange.takerRate !== simulation.takerRatePerSecond) {
      this.exchange.setTakerRate(simulation.takerRatePerSecond);
      await this.journalRecord('sim_rate', { takerRatePerSecond: simulation.takerRatePerSecond }, nowMs, null);
    }
    this.resumeIfLagging(nowMs);
  }

  /** A lag beyond maxLagMs is skipped: the exchange did not trade while the engine was down. */
  private resumeIfLagging(nowMs: number): boolean {
    const exchange = this.exchange!;
    const lagMs = nowMs - exchange.timeMs;
    if (lagMs <= (this.options.simulation?.maxLagMs ?? kDefaultMaxLagMs)) return false;
    exchange.resume(nowMs);
    this.counters.simResumes++;
    this.counters.simSkippedMs += lagMs;
    this.journalRecord('sim_resume', { toMs: nowMs, skippedMs: lagMs }, nowMs, null).catch((error: unknown) => this.fatal('journal append failed', error));
    return true;
  }

  /** A session close that passed while the engine was down still expires the day orders entered before it. */
  private async expireMissedSessionClose(freshDataDir: boolean): Promise<void> {
    const previousClose = this.previousSessionClose(this.clock.nowMs());
    if (freshDataDir) this.lastExpireMs = previousClose;
    if (this.lastExpireMs >= previousClose) return;
    const expired = await this.expireDay(previousClose);
    if (expired.length > 0) this.logger.info({ expired: expired.length, closeMs: previousClose }, 'a session close passed while the engine was down: its day orders expired now');
  }

  previousSessionClose(nowMs: number): number {
    const closeMs = this.options.sessionCloseUtcMs ?? 21 * 3_600_000;
    const close = Math.floor(nowMs / kDayMs) * kDayMs + closeMs;
    return close <= nowMs ? close : close - kDayMs;
  }

  // -------------------------------------------------------------------------------------------------
  // Commands. Each applies at once (in inbox order), then waits for its journal flush.

  async submit(body: SubmitOrder): Promise<SubmitResult> {
    this.checkTrading();
    const existing = this.manager.existingForClientId(body.account, body.clientOrderId);
    // An idempotent retry: the same client order id returns the order it created, never a second one.
    if (existing !== undefined) {
      assertSameOrder(existing, body);
      return { order: await this.durable(copyRecord(existing)), created: false };
    }
    const timeMs = Math.round(this.clock.nowMs());
    let command: SubmitCommand;
    try {
      command = this.manager.checkSubmit({ ...body, timeMs });
    } catch (error) {
      this.auditRefusal('submit', body, error, timeMs);
      throw error;
    }
    return { order: await this.commitOrder('submit', command, timeMs, () => this.manager.applySubmit(command)), created: true };
  }

  /** Applies an order command, journals and audits it, and resolves with the order as the command left it. */
  private async commitOrder(kind: 'submit' | 'cancel' | 'replace', command: unknown, timeMs: number, apply: () => OrderRecord): Promise<OrderRecord> {
    const record = copyRecord(apply());
    await this.commit(kind, command, timeMs, { id: record.id, status: record.status, filled_qty: record.filled_qty });
    return record;
  }

  async cancel(body: CancelOrder): Promise<OrderRecord> {
    this.checkTrading();
    const timeMs = Math.round(this.clock.nowMs());
    this.manager.checkCancel(body);
    const command = { ...body, timeMs };
    return this.commitOrder('cancel', command, timeMs, () => this.manager.applyCancel(command));
  }

  async replace(body: ReplaceOrder): Promise<OrderRecord> {
    this.checkTrading();
    const timeMs = Math.round(this.clock.nowMs());
    try {
      this.manager.checkReplace(body);
    } catch (error) {
      this.auditRefusal('replace', body, error, timeMs);
      throw error;
    }
    const command = { ...body, timeMs };
    return this.commitOrder('replace', command, timeMs, () => this.manager.applyReplace(command));
  }

  async cancelAll(body: CancelAllOrders): Promise<CanceledOrders> {
    this.checkTrading();
    const timeMs = Math.round(this.clock.nowMs());
    const canceled = this.manager.applyCancelAll(body.account, timeMs).map(copyRecord);
    await this.commit('cancel_all', { ...body, timeMs }, timeMs, { canceled: canceled.length });
    return { canceled };
  }

  async setKillSwitch(body: SetKillSwitch): Promise<KillSwitchState> {
    const timeMs = Math.round(this.clock.nowMs());
    const command = { active: body.active, ...(body.account === undefined ? {} : { account: body.account }), timeMs };
    const state = this.manager.applyKillSwitch(command);
    await this.commit('kill_switch', command, timeMs, state);
    return state;
  }

  /** Session close at `closeMs`: every day order entered at or before it expires (journaled). */
  async expireDay(closeMs: number): Promise<OrderRecord[]> {
    const expired = this.manager.applyExpireDay(closeMs).map(copyRecord);
    this.lastExpireMs = Math.max(this.lastExpireMs, closeMs);
    await this.commit('expire_day', { timeMs: closeMs }, closeMs, { expired: expired.length });
    return expired;
  }

  /** Refuses to change anything once the journal or the audit chain is known to be broken. */
  private checkTrading(): void {
    if (this.integrityProblem !== null) throw new OctopusError('ERR_STORE_INTEGRITY_HALT', `expected an intact journal and audit chain, was broken (${this.integrityProblem}): trading is halted`);
  }

  /** Journals one applied command and its audit event; resolves once both are durable. */
  private async commit(kind: Command['kind'], command: unknown, timeMs: number, summary: unknown): Promise<void> {
    this.counters.commandsApplied++;
    const journaled = this.journalRecord(kind, command, timeMs, null);
    const audited = this.options.benchNoJournal === true ? null : this.audit.append({ type: kind, command, result: summary }, timeMs);
    try {
      await Promise.all([journaled, audited]);
    } catch (error) {
      this.fatal('journal write failed; restarting from the journal', error);
      throw new OctopusError('ERR_STORE_WRITE_FAILED', `expected the command to be journaled, was a storage failure (${error instanceof Error ? error.message : String(error)}): not acknowledged, try again`, { cause: error });
    }
  }

  /** Refusals change nothing and are not journaled, but a compliance trail keeps them (not awaited). */
  private auditRefusal(kind: string, body: unknown, error: unknown, timeMs: number): void {
    if (!(error instanceof OctopusError)) return;
    this.background(this.audit.append({ type: `${kind}_refused`, command: body, result: { code: error.code, message: error.message } }, timeMs), 'audit write failed');
  }

  /**
   * Appends a journal record for the state change just applied and queues what it produced, released
   * once the record is durable. Must be called synchronously after the change (journal order = apply order).
   */
  private journalRecord(kind: string, payload: unknown, timeMs: number, market: MarketDataBatch | null): Promise<unknown> {
    const appended = this.journal.append(kind, payload, timeMs);
    const outputs = this.manager.drainOutputs();
    const reports = outputs.reports === null ? null : { orders: outputs.reports.orders.map(copyRecord), positions: outputs.reports.positions };
    this.pending.push({ seq: this.journal.lastSeq, market: mergeMarket(market, outputs.market), reports, closed: outputs.closed });
    this.recordsSinceSnapshot++;
    return appended.then(() => this.release());
  }

  /** Sends, in order, every queued output whose record is durable. */
  private release(): void {
    const durable = this.journal.durableSeq;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.seq <= durable) {
      const output = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = undefined as unknown as PendingOutput;
      if (output.market !== null) this.sink.publishMarketData(output.market, output.seq);
      if (output.reports !== null) this.sink.publishReports(output.reports, output.seq);
      if (output.closed.length > 0) this.background(this.manager.persistClosed(output.closed), 'closed-order store write failed');
    }
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    }
  }

  get pendingOutputs(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Resolves with `value` once everything applied so far is durable (query replies). */
  durable<T>(value: T): T | Promise<T> {
    const waiting = this.journal.whenDurable(this.journal.lastSeq);
    return waiting === null ? value : waiting.then(() => value);
  }

  /**
   * Runs `compute` at a moment when everything applied is durable (nothing pending), so that it sees the
   * same state a reader of the journal on disk would: a full-replay comparison needs that.
   */
  atDurablePoint<T>(compute: () => T): Promise<T> {
    const waiting = this.journal.whenDurable(this.journal.lastSeq);
    if (waiting === null) return Promise.resolve(compute());
    return waiting.then(() => this.atDurablePoint(compute));
  }

  private fatal(message: string, error: unknown): void {
    // The state in memory is ahead of the disk and cannot be trusted: crash, restart, replay.
    this.logger.fatal({ err: error }, message);
    setImmediate(() => process.exit(70));
  }

  // -------------------------------------------------------------------------------------------------
  // Queries (answered once what they read is durable).

  /** The L2 book in decimals: {symbol, bids: [[price, qty, orders]], asks: [...]}, best first. */
  bookL2(symbol: string, depth: number): L2Book {
    const book = this.manager.engine.book(symbol);
    const snapshot = book.snapshot(depth);
    const level = (entry: { priceTicks: number; qtyLots: number; orderCount: number }): [number, number, number] => [book.grid.priceOf(entry.priceTicks), book.grid.qtyOf(entry.qtyLots), entry.orderCount];
    return { symbol, bids: snapshot.bids.map(level), asks: snapshot.asks.map(level) };
  }

  /** The L3 book (every order in priority order, owners stripped), at most `depth` levels per side. */
  bookL3(symbol: string, depth: number): L3Book {
    const book = this.manager.engine.book(symbol);
    const snapshot = book.l3Snapshot();
    const level = (entry: { priceTicks: number; orders: { orderId: number; leavesQtyLots: number }[] }) => ({
      price: book.grid.priceOf(entry.priceTicks),
      orders: entry.orders.map((order) => ({ order_id: order.orderId, qty: book.grid.qtyOf(order.leavesQtyLots) })),
    });
    return { symbol, bids: snapshot.bids.slice(0, depth).map(level), asks: snapshot.asks.slice(0, depth).map(level) };
  }

  /** A digest of the whole state: orders, books, balances (the manager's) and the simulated exchange's. */
  stateHash(): string {
    const exchange = this.exchange === null ? null : this.exchange.exportState();
    return createHash('sha256').update(this.manager.stateHash()).update(canonicalJson(exchange)).digest('hex');
  }

  /**
   * The state hash of a full replay of the journal into a scratch engine (tests and operators: it must
   * equal `manager.stateHash()` whatever snapshots were used). Blocks this thread for the replay.
   */
  fullReplayStateHash(): { stateHash: string; journalSeq: number } {
    const scratch = new ExecutionCore(this.options, this.store, { publishMarketData() {}, publishReports() {}, congested: () => false }, this.clock, this.logger);
    (scratch as { manager: OrderManager }).manager = scratch.createManager({ get: () => undefined, getByClientId: () => undefined, list: () => [], put: async () => {}, count: 0 });
    const journalSeq = this.journal.lastSeq;
    let applied = 0;
    this.journal.replay((record) => {
      if (record.seq > journalSeq) return;
      scratch.replayRecord(record);
      applied++;
    });
    assert(applied === journalSeq, `expected a full replay of ${journalSeq} records, was ${applied}`);
    return { stateHash: scratch.stateHash(), journalSeq };
  }

  // -------------------------------------------------------------------------------------------------
  // The simulated exchange and snapshots, driven by the actor's timer.

  /** A lockstep participant handled the market data through `throughMs`. */
  acknowledge(actor: string, throughMs: number): void {
    if (!(this.options.simulation?.lockstep ?? []).includes(actor)) return;
    this.lockstepAcks.set(actor, Math.max(this.lockstepAcks.get(actor) ?? Number.NEGATIVE_INFINITY, throughMs));
  }

  private lockstepHolds(): boolean {
    for (const actor of this.options.simulation?.lockstep ?? []) if ((this.lockstepAcks.get(actor) ?? Number.NEGATIVE_INFINITY) < this.lockstepAwaitingMs) return true;
    return false;
  }

  /** Steps the exchange towards wall time (bounded), unless the receivers or the disk are behind. */
  tick(): void {
    const exchange = this.exchange;
    const simulation = this.options.simulation;
    if (exchange === null || simulation === undefined || this.integrityProblem !== null) return;
    const nowMs = Math.floor(this.clock.nowMs());
    if (simulation.lockstep !== undefined) {
      if (this.lockstepHolds() || this.sink.congested() || this.pendingOutputs > kPendingOutputsMax || nowMs < exchange.timeMs + exchange.config.stepMs) return;
      this.stepAndJournal(exchange.timeMs + exchange.config.stepMs);
      return;
    }
    if (this.sink.congested() || this.pendingOutputs > kPendingOutputsMax) {
      this.counters.backpressureTicks++;
      this.resumeIfLagging(nowMs);
      return;
    }
    if (this.resumeIfLagging(nowMs)) return;
    const untilMs = Math.min(nowMs, exchange.timeMs + (simulation.maxStepMsPerTick ?? kDefaultMaxStepMsPerTick));
    if (untilMs < exchange.timeMs + exchange.config.stepMs) return;
    this.stepAndJournal(untilMs);
  }

  private stepAndJournal(untilMs: number): void {
    const exchange = this.exchange!;
    const events = exchange.step(untilMs);
    this.counters.simSteps++;
    const batch: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
    for (const event of events) {
      if (event.kind === 'trade') batch.trades.push({ symbol: event.symbol, price: event.price, qty: event.qty, side: event.side, tradeId: event.tradeId, timeMs: event.timeMs });
      else if (event.kind === 'quote') batch.quotes.push({ symbol: event.symbol, bidPrice: event.bidPrice, bidQty: event.bidQty, askPrice: event.askPrice, askQty: event.askQty, timeMs: event.timeMs });
      else batch.deltas.push({ symbol: event.symbol, side: event.side, price: event.price, qty: event.qty, timeMs: event.timeMs });
    }
    const published = batch.trades.length + batch.quotes.length + batch.deltas.length > 0;
    if (published) this.lockstepAwaitingMs = untilMs;
    // The step's time only is journaled: the exchange is deterministic, so a replay steps identically.
    this.journalRecord('sim_step', { untilMs }, untilMs, published ? batch : null).catch((error: unknown) =>
      this.fatal('journal append failed', error),
    );
  }

  /** Takes a snapshot when enough records or time have passed since the last one. */
  maybeSnapshot(): void {
    if (this.snapshotting !== null || this.recordsSinceSnapshot === 0) return;
    const byRecords = this.recordsSinceSnapshot >= (this.options.snapshotEveryRecords ?? kDefaultSnapshotEveryRecords);
    const byTime = this.clock.nowMs() - this.lastSnapshotMs >= (this.options.snapshotEveryMs ?? kDefaultSnapshotEveryMs);
    if (byRecords || byTime) void this.snapshot();
  }

  /** Writes a snapshot of the state as of the last journal record (built synchronously, written async). */
  snapshot(): Promise<void> {
    if (this.snapshotting !== null) return this.snapshotting;
    const started = performance.now();
    const seq = this.journal.lastSeq;
    const state: CoreState = {
      manager: this.manager.exportState(),
      exchange: this.exchange === null ? null : { start: this.simulationStart!, state: this.exchange.exportState() },
      lastExpireMs: this.lastExpireMs,
      stateHash: this.stateHash(),
      audit: { seq: this.audit.lastSeq, hash: this.audit.headHash },
    };
    const journalHash = this.journal.headHash;
    this.recordsSinceSnapshot = 0;
    this.lastSnapshotMs = this.clock.nowMs();
    this.snapshotting = this.snapshots.save({ seq, journalHash, timeMs: Math.round(this.lastSnapshotMs), state }).then(
      (bytes) => {
        this.counters.snapshots++;
        this.counters.lastSnapshotBytes = bytes;
        this.counters.lastSnapshotMs = Math.round(performance.now() - started);
        this.snapshotting = null;
      },
      (error: unknown) => {
        this.snapshotting = null;
        this.logger.error({ err: error }, 'snapshot failed; the journal still has everything');
      },
    );
    return this.snapshotting;
  }

  private async importState(state: CoreState): Promise<void> {
    await this.manager.importState(state.manager);
    this.lastExpireMs = state.lastExpireMs;
    if (state.exchange !== null) {
      this.exchange = this.createExchange(state.exchange.start);
      this.exchange.importState(state.exchange.state);
    }
  }

  /** Halts trading (typed refusals) after a background check found the journal or audit chain broken. */
  haltForIntegrity(problem: string): void {
    this.integrityProblem = problem;
    this.logger.fatal({ problem }, 'integrity check failed: trading halted');
  }

  /** Waits until every queued output is released (shutdown), then takes a final snapshot. */
  async close(): Promise<void> {
    await this.settled();
    if (this.recordsSinceSnapshot > 0 && this.integrityProblem === null) await this.snapshot();
    else if (this.snapshotting !== null) await this.snapshotting;
    await this.settled();
  }

  status(): Record<string, unknown> {
    return {
      commands_applied: this.counters.commandsApplied,
      journal_seq: this.journal.lastSeq,
      journal_durable_seq: this.journal.durableSeq,
      journal_flush_seconds: this.journal.flushSeconds.snapshot(),
      pending_outputs: this.pendingOutputs,
      open_orders: this.manager.openOrderCount,
      closed_orders_stored: this.closedOrders.count,
      simulated_time_ms: this.exchange?.timeMs ?? null,
      sim_lag_ms: this.exchange === null ? null : Math.max(0, Math.round(this.clock.nowMs() - this.exchange.timeMs)),
      sim_steps: this.counters.simSteps,
      sim_resumes: this.counters.simResumes,
      sim_skipped_ms: this.counters.simSkippedMs,
      backpressure_ticks: this.counters.backpressureTicks,
      snapshots: this.counters.snapshots,
      last_snapshot_bytes: this.counters.lastSnapshotBytes,
      last_snapshot_ms: this.counters.lastSnapshotMs,
      integrity: this.integrityProblem === null ? 'ok' : this.integrityProblem,
      history_verification: this.history,
      restore: this.restore,
    };
  }
}

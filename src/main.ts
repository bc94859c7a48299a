/**
 * The orchestrator: places the agents (one worker thread each, via the actor system, which supervises
 * and restarts them), wires the first data flow (M1 collector -> M3 realtime -> gateway) and serves
 * the gateway. Later agents join by adding a spec here.
 */
import { extname } from 'node:path';
import type { EngineConfig } from './config.js';
import { kMainEndpointName } from './engine/directory.js';
import type { Logger } from './engine/logger.js';
import { MessageType, type BodyOf, type L2Book, type MarketDataBatch } from './engine/messages.js';
import { ActorSystem, type ActorSpec, type HealthReport } from './engine/system.js';
import { startGateway, type Gateway, type RouteModule } from './gateway/http/server.js';
import { authRoutes } from './gateway/routes/auth-routes.js';
import { computeRoutes } from './gateway/routes/compute-routes.js';
import { orderRoutes, type ExecutionClient, type ExecutionMessage } from './gateway/routes/order-routes.js';
import { alertRoutes } from './gateway/routes/alert-routes.js';
import { universeFor, type ExecutionOptions } from './actors/execution/execution-actor.js';
import type { WarehouseOptions } from './actors/warehouse/warehouse-actor.js';
import { marketRoutes } from './gateway/routes/market-routes.js';
import { BookMirror } from './gateway/ws/book-mirror.js';
import { FeedHub } from './gateway/ws/hub.js';
import { feedRoutes } from './gateway/ws/feed-routes.js';
import { healthSamples, metricsRoutes, type MetricSample } from './gateway/routes/metrics-routes.js';
import { EngineMetrics } from './gateway/metrics/engine-metrics.js';
import { WireFormat } from './gateway/wire/format.js';
import { alpacaRoutes } from './gateway/routes/alpaca-routes.js';
import { webRoutes } from './gateway/routes/web-routes.js';
import { asyncApiRoutes } from './gateway/ws/asyncapi.js';
import { LiveClock } from './engine/clock.js';
import type { Envelope } from './engine/codec.js';
import type { HistogramSnapshot } from './engine/cumulative-histogram.js';
import { kVersion } from './version.js';
import { defaultRiskLimits } from './actors/risk/pre-trade.js';
import { closeRiskWorkers } from './actors/risk/var.js';
import { optimizer } from './kernels/optimizer/optimizer.js';
import { statsKernels } from './kernels/stats/stats.js';
import { indicators } from './kernels/indicators/indicators.js';
import { Authenticator, defaultAuthOptions } from './gateway/auth/authenticator.js';
import { closeComputeWorkers } from './gateway/routes/compute-pool.js';
import { RateLimiter } from './gateway/auth/rate-limiter.js';
import { UserStore } from './gateway/auth/users.js';
import { openStateStore, type StateStore } from './store/state-store.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { ensurePrivateDirectory } from './store/file-modes.js';
import { probeLmdbFiles } from './store/lmdb-probe.js';
import { kernels } from './kernels/index.js';
import type { CollectorOptions } from './actors/collector/collector-actor.js';
import type { RealtimeOptions } from './actors/realtime/realtime-actor.js';
import { kStrategyActorName, strategyActorSpec } from './actors/strategy/strategy-spec.js';
import { BacktestJobs } from './actors/backtester/backtest-jobs.js';
import { closeBacktestPool } from './actors/backtester/backtest-pool.js';
import { strategyRoutes, wireStrategyChannels } from './gateway/routes/strategy-routes.js';

const moduleExtension = extname(new URL(import.meta.url).pathname);

function actorModule(path: string): URL {
  return new URL(`./actors/${path}${moduleExtension}`, import.meta.url);
}

const kVenueDefaults = {
  binance: { wsUrl: 'wss://stream.binance.com:9443', restUrl: 'https://api.binance.com' },
  coinbase: { wsUrl: 'wss://advanced-trade-ws.coinbase.com', restUrl: '' },
} as const;

const kIntervalLabels = new Map<number, string>([
  [1_000, '1s'],
  [60_000, '1m'],
  [300_000, '5m'],
  [900_000, '15m'],
  [3_600_000, '1h'],
  [86_400_000, '1d'],
]);

/**
 * Fans a market-data batch out on the public channels and keeps the gateway's book copy current. JSON
 * frames carry the wire format (decimal strings), binary (FlatBuffers) frames the numbers; every frame
 * carries `emit_ns`, the batch's envelope timestamp (when the execution actor sent it).
 */
function publishMarketData(hub: FeedHub, mirror: BookMirror, wire: WireFormat, batch: MarketDataBatch, emitNs: number): void {
  for (const trade of batch.trades) {
    const binary = { price: trade.price, qty: trade.qty, side: trade.side, trade_id: String(trade.tradeId), time_ms: trade.timeMs };
    hub.publish(`trades:${trade.symbol}`, 'trade', wire.trade(trade), emitNs, binary);
  }
  for (const quote of batch.quotes) {
    const binary = { bid_price: quote.bidPrice, bid_qty: quote.bidQty, ask_price: quote.askPrice, ask_qty: quote.askQty, time_ms: quote.timeMs };
    hub.publish(`quotes:${quote.symbol}`, 'quote', wire.quote(quote), emitNs, binary);
  }
  // One delta frame per symbol per batch: every changed level's new total (qty 0 removes it).
  const deltas = new Map<string, { bids: [number, number][]; asks: [number, number][] }>();
  for (const delta of batch.deltas) {
    mirror.apply(delta.symbol, delta.side, delta.price, delta.qty);
    let frame = deltas.get(delta.symbol);
    if (frame === undefined) deltas.set(delta.symbol, (frame = { bids: [], asks: [] }));
    (delta.side === 'buy' ? frame.bids : frame.asks).push([delta.price, delta.qty]);
  }
  for (const [symbol, frame] of deltas) hub.publish(`book:${symbol}`, 'delta', { bids: wire.levels(symbol, frame.bids), asks: wire.levels(symbol, frame.asks) }, emitNs, frame);
}

/** Seeds the book copy from the execution actor (resting orders replayed from the journal). */
async function seedBookMirror(mirror: BookMirror, symbols: readonly string[], execution: ExecutionClient): Promise<void> {
  for (const symbol of symbols) {
    const book = (await execution(MessageType.BookQuery, { symbol, depth: 10_000, level: 2 })) as L2Book;
    mirror.seed(symbol, book.bids, book.asks);
  }
}

/**
 * Every actor's own status (StatusRequest), polled in the background so that /health and /metrics stay
 * synchronous and cheap: trades seen, warehouse backlog, replay and venue state, ...
 */
function pollActorStatus(system: ActorSystem, logger: Logger, periodMs = 2_000): { details: Map<string, Record<string, unknown>>; stop(): void } {
  const details = new Map<string, Record<string, unknown>>();
  const poll = (): void => {
    for (const name of system.actorNames) {
      system.request(name, MessageType.StatusRequest, { detail: true }, periodMs).then(
        (status) => details.set(name, status.detail),
        (error: unknown) => logger.debug({ err: error, actor: name }, 'status poll failed'),
      );
    }
  };
  poll();
  const timer = setInterval(poll, periodMs);
  timer.unref();
  return { details, stop: () => clearInterval(timer) };
}

export interface EngineHealth extends HealthReport {
  kernels: { backend: string; available: readonly string[] };
  bars_received: number;
  alerts_fired: number;
  market_data_batches: number;
  /** Each actor's domain status, as of the last poll (every 2 s). */
  details: Record<string, Record<string, unknown>>;
}

export interface Engine {
  readonly config: EngineConfig;
  readonly system: ActorSystem;
  readonly gateway: Gateway;
  health(): EngineHealth;
  stop(): Promise<void>;
}

export function engineSpecs(config: EngineConfig): ActorSpec[] {
  const simulated = config.feed === 'simulated' && config.feedTradesPerSecond > 0;
  const collector: CollectorOptions = {
    symbols: config.symbols,
    seed: config.feedSeed,
    tradesPerSecond: config.feed === 'random-walk' ? config.feedTradesPerSecond : 0,
    target: 'realtime',
    ...(config.replayFile === undefined
      ? {}
      : { replay: { file: config.replayFile, speed: config.replaySpeed, subscribers: ['realtime', kMainEndpointName, 'warehouse'] } }),
    ...(config.venue === undefined
      ? {}
      : {
          venue: {
            kind: config.venue,
            wsUrl: config.venueWsUrl ?? kVenueDefaults[config.venue].wsUrl,
            restUrl: config.venueRestUrl ?? kVenueDefaults[config.venue].restUrl,
            symbols: config.venueSymbols,
            subscribers: ['realtime', kMainEndpointName, 'warehouse'],
          },
        }),
  };
  const realtime: RealtimeOptions = {
    barIntervalsMs: config.barIntervalsMs,
    barSubscribers: [kMainEndpointName, 'warehouse'],
    tradeSubscribers: config.feed === 'random-walk' ? ['warehouse'] : [],
    alertSubscribers: [kMainEndpointName],
  };
  const execution: ExecutionOptions = {
    dataDir: config.dataDir,
    symbols: config.symbols,
    tickSize: config.tickSize,
    lotSize: config.lotSize,
    startingCash: config.startingCash,
    makerFeeBps: config.makerFeeBps,
    takerFeeBps: config.takerFeeBps,
    riskLimits: { ...defaultRiskLimits, ordersPerSecond: config.maxOrdersPerSecond },
    ...(config.benchNoJournal ? { benchNoJournal: true } : {}),
    marketDataSubscribers: ['realtime', kMainEndpointName, 'warehouse'],
    reportSubscribers: [kMainEndpointName],
    snapshotEveryRecords: config.snapshotEveryRecords,
    recover: config.recover,
    ...(process.env.OCTOPUS_TEST_DURABILITY_DELAY_MS === undefined ? {} : { durabilityDelayMs: Number(process.env.OCTOPUS_TEST_DURABILITY_DELAY_MS) }),
    ...(simulated
      ? { simulation: { seed: config.feedSeed, takerRatePerSecond: config.feedTradesPerSecond / config.symbols.length, publishMs: 50, stepMs: config.simStepMs } }
      : {}),
  };
  const warehouse: WarehouseOptions = {
    dataDir: config.dataDir,
    ...(config.questdbUrl === undefined ? {} : { questdbUrl: config.questdbUrl }),
  };
  const strategy = strategyActorSpec(config, execution, actorModule('strategy/strategy-actor'), kMainEndpointName);
  return [
    { name: 'collector', module: actorModule('collector/collector-actor'), options: collector },
    { name: 'realtime', module: actorModule('realtime/realtime-actor'), options: realtime },
    { name: 'execution', module: actorModule('execution/execution-actor'), options: execution },
    { name: 'warehouse', module: actorModule('warehouse/warehouse-actor'), options: warehouse },
    ...(strategy === null ? [] : [strategy]),
  ];
}

function logKernelBackends(logger: Logger): void {
  logger.info({ backend: kernels.backend, available: kernels.available }, 'compute kernels loaded');
  if (kernels.reason !== null) logger.warn(kernels.reason);
  for (const [family, reason] of [['statistics', statsKernels.reason], ['optimizer', optimizer.reason]] as const) {
    if (reason !== null) logger.warn({ family }, reason);
  }
  for (const [backend, reason] of Object.entries(indicators.unavailable)) logger.warn({ family: 'indicators', backend }, reason);
}

interface FeedCounters {
  barsReceived: number;
  alertsFired: number;
  marketDataBatches: number;
}

/** Main-thread handlers: what the actors publish goes out on the WebSocket channels (and into /metrics). */
function wireFeed(system: ActorSystem, hub: FeedHub, mirror: BookMirror, wire: WireFormat, metrics: EngineMetrics): FeedCounters {
  const counters: FeedCounters = { barsReceived: 0, alertsFired: 0, marketDataBatches: 0 };
  const clock = new LiveClock();
  const hop = (message: string, envelope: Envelope): void => metrics.ringHop(message, (clock.nowMs() - envelope.tsMs()) / 1_000);
  system.on(MessageType.Bar, (bar) => {
    counters.barsReceived++;
    const label = kIntervalLabels.get(bar.intervalMs);
    if (label !== undefined) hub.publish(`bars:${label}:${bar.symbol}`, 'bar', wire.bar(bar, label));
  });
  system.on(MessageType.MarketDataBatch, (batch, envelope) => {
    counters.marketDataBatches++;
    hop('market_data_batch', envelope);
    publishMarketData(hub, mirror, wire, batch, envelope.tsHigh * 4_294_967_296 + envelope.tsLow);
  });
  system.on(MessageType.ExecutionReports, (reports, envelope) => {
    hop('execution_reports', envelope);
    metrics.orderReports(reports.orders);
    for (const order of reports.orders) hub.publishPrivate(order.account, 'orders', 'order', wire.order(order));
    for (const { account, positions } of reports.positions) hub.publishPrivate(account, 'positions', 'position', positions.map((position) => wire.position(position)));
  });
  system.on(MessageType.AlertFired, (alert) => {
    counters.alertsFired++;
    hub.publishPrivate(alert.account, 'alerts', 'alert', wire.alert(alert));
  });
  return counters;
}

function engineSamples(health: EngineHealth, hub: FeedHub): MetricSample[] {
  return [
    ...healthSamples(health),
    { name: 'octopus_bars_total', help: 'Completed bars received by the gateway.', type: 'counter', value: health.bars_received },
    { name: 'octopus_alerts_fired_total', help: 'Alerts fired.', type: 'counter', value: health.alerts_fired },
    { name: 'octopus_market_data_batches_total', help: 'Market data batches received by the gateway.', type: 'counter', value: health.market_data_batches },
    { name: 'octopus_ws_connections', help: 'Open WebSocket connections.', type: 'gauge', value: hub.connectionCount },
    { name: 'octopus_ws_frames_published_total', help: 'Frames published on WebSocket channels.', type: 'counter', value: hub.stats.framesPublished },
    { name: 'octopus_ws_slow_consumers_closed_total', help: 'Connections closed for falling behind.', type: 'counter', value: hub.stats.slowConsumersClosed },
    { name: 'octopus_ws_errors_sent_total', help: 'Error frames sent to clients.', type: 'counter', value: hub.stats.errorsSent },
    ...detailSamples(health.details),
  ];
}

/**
 * Numeric fields of the actors' polled status, exported as metrics: [actor, field, name, type, help,
 * scale?]. Milliseconds are exported as seconds (Prometheus' base unit; promtool refuses `_ms` names).
 */
const kDetailMetrics: [string, string, string, MetricSample['type'], string, number?][] = [
  ['warehouse', 'rowsWritten', 'octopus_warehouse_rows_written_total', 'counter', 'Rows the tick store acknowledged.'],
  ['warehouse', 'write_failures', 'octopus_warehouse_write_failures_total', 'counter', 'Failed write attempts (retried).'],
  ['warehouse', 'backpressure_holds', 'octopus_warehouse_backpressure_holds_total', 'counter', 'Times the warehouse held its inbox because its buffer was full (backpressure upstream).'],
  ['execution', 'journal_seq', 'octopus_journal_seq', 'gauge', 'Last journal sequence number.'],
  ['execution', 'pending_outputs', 'octopus_execution_pending_outputs', 'gauge', 'State changes applied whose outputs wait for their journal flush.'],
  ['execution', 'open_orders', 'octopus_execution_open_orders', 'gauge', 'Open orders in memory.'],
  ['execution', 'snapshots', 'octopus_execution_snapshots_total', 'counter', 'Snapshots of the execution state written.'],
  ['execution', 'sim_lag_ms', 'octopus_sim_lag_seconds', 'gauge', 'How far the simulated exchange is behind wall time.', 1e-3],
  ['execution', 'sim_skipped_ms', 'octopus_sim_skipped_seconds_total', 'counter', 'Simulated time skipped without trading (downtime or backpressure beyond the lag bound).', 1e-3],
  ['execution', 'backpressure_ticks', 'octopus_sim_backpressure_ticks_total', 'counter', 'Exchange steps not taken because receivers or the disk were behind.'],
  ['collector', 'backpressure_ticks', 'octopus_collector_backpressure_ticks_total', 'counter', 'Collector ticks held back because subscribers were behind.'],
  ['collector', 'replay_holds', 'octopus_collector_replay_holds_total', 'counter', 'Times the CSV replay waited for subscribers.'],
  ['collector', 'venue_disconnects_for_backpressure', 'octopus_collector_venue_disconnects_total', 'counter', 'Venue connections closed because subscribers stayed behind.'],
  ['realtime', 'backpressure_holds', 'octopus_realtime_backpressure_holds_total', 'counter', 'Times realtime held its inbox because a subscriber was behind.'],
];

function detailSamples(details: Record<string, Record<string, unknown>>): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const [actor, field, name, type, help, scale = 1] of kDetailMetrics) {
    const value = details[actor]?.[field];
    if (typeof value === 'number') samples.push({ name, help, type, value: value * scale });
  }
  const warehouse = details.warehouse;
  if (warehouse !== undefined) {
    const backlog = (typeof warehouse.buffered_rows === 'number' ? warehouse.buffered_rows : 0) + (typeof warehouse.backlogRows === 'number' ? warehouse.backlogRows : 0);
    samples.push({ name: 'octopus_warehouse_backlog_rows', help: 'Rows accepted but not yet stored (actor buffer + store retry buffer).', type: 'gauge', value: backlog });
  }
  // Every actor's outbox: bytes waiting for room in a slower actor's inbox, and producer waits.
  for (const [actor, detail] of Object.entries(details)) {
    const outbox = detail.outbox as { queuedBytes?: number; congestionWaits?: number } | undefined;
    if (outbox === undefined) continue;
    samples.push(
      { name: 'octopus_actor_outbox_queued_bytes', help: 'Bytes an actor holds for receivers whose inbox is full (backpressure).', type: 'gauge', value: outbox.queuedBytes ?? 0, labels: { actor } },
      { name: 'octopus_actor_outbox_congestion_waits_total', help: 'Times an actor waited for slower receivers before producing more.', type: 'counter', value: outbox.congestionWaits ?? 0, labels: { actor } },
    );
  }
  return samples;
}

/** The engine's instruments (simulated, with their grids) and the external venue's (no grid here). */
function engineWireFormat(config: EngineConfig): WireFormat {
  return new WireFormat([
    ...universeFor(config.symbols, config.tickSize, config.lotSize).map((symbol) => ({ symbol: symbol.symbol, tickSize: symbol.tickSize, lotSize: symbol.lotSize })),
    ...config.venueSymbols.map((symbol) => ({ symbol, tickSize: null, lotSize: null, venue: config.venue })),
  ]);
}

interface GatewayParts {
  system: ActorSystem;
  authenticator: Authenticator;
  hub: FeedHub;
  execution: ExecutionClient;
  wire: WireFormat;
  metrics: EngineMetrics;
  jobs: BacktestJobs;
}

function gatewayRoutes(config: EngineConfig, parts: GatewayParts): RouteModule[] {
  const { system, authenticator, hub, execution, wire, metrics, jobs } = parts;
  const isKnownSymbol = (symbol: string): boolean => config.symbols.includes(symbol) || config.venueSymbols.includes(symbol);
  hub.setSymbolValidator(isKnownSymbol);
  return [
    webRoutes(),
    authRoutes(authenticator, wire),
    computeRoutes,
    feedRoutes(hub),
    asyncApiRoutes(kVersion),
    orderRoutes(execution, wire),
    alpacaRoutes(execution, wire),
    strategyRoutes({
      control: config.strategies.length === 0 ? null : (body) => system.request(kStrategyActorName, MessageType.StrategyControl, body, 5_000),
      jobs,
      bars: (query) => system.request('warehouse', MessageType.BarsQuery, query, 10_000),
    }),
    marketRoutes(wire, {
      trades: (query) => system.request('warehouse', MessageType.TradesQuery, query, 10_000),
      bars: (query) => system.request('warehouse', MessageType.BarsQuery, query, 10_000),
      book: (query) => execution(MessageType.BookQuery, query),
    }),
    alertRoutes(
      {
        add: (command) => system.request('realtime', MessageType.AddAlert, command, 5_000),
        remove: (command) => system.request('realtime', MessageType.RemoveAlert, command, 5_000),
        list: (command) => system.request('realtime', MessageType.ListAlerts, command, 5_000),
      },
      isKnownSymbol,
      wire,
    ),
    metricsRoutes(metrics),
  ];
}

function engineMetrics(health: () => EngineHealth, hub: () => FeedHub, details: Map<string, Record<string, unknown>>): EngineMetrics {
  return new EngineMetrics(
    { version: kVersion, node: process.version, kernels: kernels.backend },
    () => engineSamples(health(), hub()),
    [
      {
        name: 'octopus_journal_flush_seconds',
        help: 'Journal appends from write to flushed on disk (group commits included), kept by the execution actor.',
        read: () => details.get('execution')?.journal_flush_seconds as HistogramSnapshot | undefined,
      },
    ],
  );
}

/** A broken journal or audit chain halts trading: the engine is then degraded, whatever its actors' states. */
function withIntegrity(health: EngineHealth): EngineHealth {
  const integrity = health.details.execution?.integrity;
  if (health.status === 'ok' && integrity !== undefined && integrity !== 'ok') return { ...health, status: 'degraded' };
  return health;
}

/**
 * Starts the actors, then the gateway.
 * @throws (rejects) OctopusError when an actor cannot start or the port cannot be bound; whatever
 *   started is stopped again first.
 */
export async function startEngine(config: EngineConfig, logger: Logger): Promise<Engine> {
  ensurePrivateDirectory(config.dataDir);
  // One engine per data dir, and no store opened before a child has proven every LMDB file readable.
  const lock = await lockDataDir(config.dataDir);
  let store: StateStore;
  try {
    probeLmdbFiles(config.dataDir);
    store = openStateStore(config.dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const authenticator = new Authenticator(new UserStore(store), store, { ...defaultAuthOptions, logger });
  const security = {
    authenticator,
    principalLimiter: new RateLimiter(config.rateLimitPerPrincipal),
    addressLimiter: new RateLimiter(config.rateLimitPerAddress),
  };
  logKernelBackends(logger);
  if (config.benchNoJournal) logger.warn('OCTOPUS_BENCH_NO_JOURNAL=1: orders are acknowledged WITHOUT the journal or the audit trail (bench only; nothing survives a restart)');
  let system: ActorSystem;
  try {
    system = await ActorSystem.start(engineSpecs(config), { inboxBytes: config.inboxBytes, logger, watchdogMs: config.watchdogMs });
  } catch (error) {
    await store.close();
    await lock.release();
    throw error;
  }
  const statusPoll = pollActorStatus(system, logger);
  const wire = engineWireFormat(config);
  // The closures read `health` and `feedHub`, defined below: both exist before the first scrape.
  const metrics = engineMetrics(() => health(), () => feedHub, statusPoll.details);
  const feedHub = new FeedHub({
    logger,
    maxConnectionsPerAddress: config.wsMaxConnectionsPerAddress,
    maxAnonymousConnections: config.wsMaxAnonymousConnections,
    observeBufferedBytes: (bytes) => metrics.wsBuffered(bytes),
  });
  const mirror = new BookMirror();
  const counters = wireFeed(system, feedHub, mirror, wire, metrics);
  wireStrategyChannels(system, feedHub);
  const jobs = new BacktestJobs(config.dataDir, (job) => feedHub.publishPrivate(job.account, 'jobs', 'job', job), logger);
  const health = (): EngineHealth => withIntegrity({
    ...system.health(),
    kernels: { backend: kernels.backend, available: kernels.available },
    bars_received: counters.barsReceived,
    alerts_fired: counters.alertsFired,
    market_data_batches: counters.marketDataBatches,
    details: Object.fromEntries(statusPoll.details),
  });
  const execution: ExecutionClient = <T extends ExecutionMessage>(type: T, body: BodyOf<T>) => system.request('execution', type, body, 10_000);
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      host: config.host,
      port: config.port,
      logger,
      health,
      security,
      observer: metrics,
      publicMarketData: config.publicMarketData,
      version: kVersion,
      routes: gatewayRoutes(config, { system, authenticator, hub: feedHub, execution, wire, metrics, jobs }),
    });
  } catch (error) {
    statusPoll.stop();
    await system.stop();
    await jobs.close();
    await store.close();
    await lock.release();
    throw error;
  }
  feedHub.setSnapshotProvider('book', (symbol, depth) => mirror.snapshot(symbol, depth));
  feedHub.setBookFormatter((symbol, book) => ({ bids: wire.levels(symbol, book.bids), asks: wire.levels(symbol, book.asks) }));
  feedHub.setInstrumentScale((symbol) => wire.scale(symbol));
  await seedBookMirror(mirror, config.symbols, execution);
  let stopping: Promise<void> | null = null;
  return {
    config,
    system,
    gateway,
    health,
    stop() {
      stopping ??= (async () => {
        statusPoll.stop();
        feedHub.close();
        gateway.close();
        await system.stop();
        await closeRiskWorkers();
        await closeComputeWorkers();
        await closeBacktestPool();
        await jobs.close();
        await authenticator.close();
        await store.close();
        await lock.release();
      })();
      return stopping;
    },
  };
}

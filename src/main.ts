/**
 * The orchestrator: places the agents (one worker thread each, via the actor system, which supervises
 * and restarts them), wires the first data flow (M1 collector -> M3 realtime -> gateway) and serves
 * the gateway. Later agents join by adding a spec here.
 */
import { mkdirSync } from 'node:fs';
import { extname } from 'node:path';
import type { EngineConfig } from './config.js';
import { kMainEndpointName } from './engine/directory.js';
import type { Logger } from './engine/logger.js';
import { MessageType, type MarketDataBatch } from './engine/messages.js';
import { ActorSystem, type ActorSpec, type HealthReport } from './engine/system.js';
import { startGateway, type Gateway, type RouteModule } from './gateway/http/server.js';
import { authRoutes } from './gateway/routes/auth-routes.js';
import { computeRoutes } from './gateway/routes/compute-routes.js';
import { orderRoutes, type ExecutionClient } from './gateway/routes/order-routes.js';
import { alertRoutes } from './gateway/routes/alert-routes.js';
import { universeFor, type ExecutionOptions } from './actors/execution/execution-actor.js';
import type { WarehouseOptions } from './actors/warehouse/warehouse-actor.js';
import { marketRoutes } from './gateway/routes/market-routes.js';
import { BookMirror } from './gateway/ws/book-mirror.js';
import { FeedHub } from './gateway/ws/hub.js';
import { feedRoutes } from './gateway/ws/feed-routes.js';
import { healthSamples, metricsRoutes, type MetricSample } from './gateway/routes/metrics-routes.js';
import { defaultRiskLimits } from './actors/risk/pre-trade.js';
import { closeRiskWorkers } from './actors/risk/var.js';
import { closeOptimizerWorkers } from './actors/portfolio/optimize.js';
import { optimizer } from './kernels/optimizer/optimizer.js';
import { statsKernels } from './kernels/stats/stats.js';
import { indicators } from './kernels/indicators/indicators.js';
import { Authenticator } from './gateway/auth/authenticator.js';
import { RateLimiter } from './gateway/auth/rate-limiter.js';
import { UserStore } from './gateway/auth/users.js';
import { openStateStore, type StateStore } from './store/state-store.js';
import { kernels } from './kernels/index.js';
import type { CollectorOptions } from './actors/collector/collector-actor.js';
import type { RealtimeOptions } from './actors/realtime/realtime-actor.js';

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

/** Fans a market-data batch out on the public channels and keeps the gateway's book copy current. */
function publishMarketData(hub: FeedHub, mirror: BookMirror, batch: MarketDataBatch): void {
  for (const trade of batch.trades) {
    hub.publish(`trades:${trade.symbol}`, 'trade', {
      symbol: trade.symbol,
      price: trade.price,
      qty: trade.qty,
      side: trade.side >= 0 ? 'buy' : 'sell',
      trade_id: String(trade.tradeId),
      time_ms: trade.timeMs,
    });
  }
  for (const quote of batch.quotes) {
    hub.publish(`quotes:${quote.symbol}`, 'quote', {
      symbol: quote.symbol,
      bid_price: quote.bidPrice,
      bid_qty: quote.bidQty,
      ask_price: quote.askPrice,
      ask_qty: quote.askQty,
      time_ms: quote.timeMs,
    });
  }
  // One delta frame per symbol per batch: every changed level's new total (qty 0 removes it).
  const deltas = new Map<string, { bids: [number, number][]; asks: [number, number][] }>();
  for (const delta of batch.deltas) {
    mirror.apply(delta.symbol, delta.side, delta.price, delta.qty);
    let frame = deltas.get(delta.symbol);
    if (frame === undefined) deltas.set(delta.symbol, (frame = { bids: [], asks: [] }));
    (delta.side === 'bid' ? frame.bids : frame.asks).push([delta.price, delta.qty]);
  }
  for (const [symbol, frame] of deltas) hub.publish(`book:${symbol}`, 'delta', frame);
}

/** Seeds the book copy from the execution actor (resting orders replayed from the journal). */
async function seedBookMirror(mirror: BookMirror, symbols: readonly string[], execution: ExecutionClient): Promise<void> {
  for (const symbol of symbols) {
    const { result } = await execution.query({ query: 'book', account: '', symbol, depth: 10_000 });
    const book = result as { bids: number[][]; asks: number[][] };
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
    marketDataSubscribers: ['realtime', kMainEndpointName, 'warehouse'],
    reportSubscribers: [kMainEndpointName],
    ...(simulated
      ? { simulation: { seed: config.feedSeed, takerRatePerSecond: config.feedTradesPerSecond / config.symbols.length, publishMs: 50 } }
      : {}),
  };
  const warehouse: WarehouseOptions = {
    dataDir: config.dataDir,
    ...(config.questdbUrl === undefined ? {} : { questdbUrl: config.questdbUrl }),
  };
  return [
    { name: 'collector', module: actorModule('collector/collector-actor'), options: collector },
    { name: 'realtime', module: actorModule('realtime/realtime-actor'), options: realtime },
    { name: 'execution', module: actorModule('execution/execution-actor'), options: execution },
    { name: 'warehouse', module: actorModule('warehouse/warehouse-actor'), options: warehouse },
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

/** Main-thread handlers: what the actors publish goes out on the WebSocket channels. */
function wireFeed(system: ActorSystem, hub: FeedHub, mirror: BookMirror): FeedCounters {
  const counters: FeedCounters = { barsReceived: 0, alertsFired: 0, marketDataBatches: 0 };
  system.on(MessageType.Bar, (bar) => {
    counters.barsReceived++;
    const label = kIntervalLabels.get(bar.intervalMs);
    if (label !== undefined) hub.publish(`bars:${label}:${bar.symbol}`, 'bar', bar);
  });
  system.on(MessageType.MarketDataBatch, (batch) => {
    counters.marketDataBatches++;
    publishMarketData(hub, mirror, batch);
  });
  system.on(MessageType.ExecutionReports, (reports) => {
    for (const order of reports.orders) hub.publishPrivate(order.account, 'orders', 'order', order);
    for (const { account, positions } of reports.positions) hub.publishPrivate(account, 'positions', 'position', positions);
  });
  system.on(MessageType.AlertFired, (alert) => {
    counters.alertsFired++;
    hub.publishPrivate(alert.account, 'alerts', 'alert', alert);
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
    ...warehouseSamples(health.details.warehouse),
  ];
}

/** The warehouse's write path: rows waiting (in the actor and in the store's retry buffer) and rows lost. */
function warehouseSamples(detail: Record<string, unknown> | undefined): MetricSample[] {
  if (detail === undefined) return [];
  const number = (key: string): number => (typeof detail[key] === 'number' ? (detail[key] as number) : 0);
  return [
    { name: 'octopus_warehouse_backlog_rows', help: 'Rows accepted but not yet stored (actor buffer + store retry buffer).', type: 'gauge', value: number('buffered_rows') + number('backlogRows') },
    { name: 'octopus_warehouse_rows_written_total', help: 'Rows the tick store acknowledged.', type: 'counter', value: number('rowsWritten') },
    { name: 'octopus_warehouse_dropped_rows_total', help: 'Rows dropped because the buffer was full while the store refused writes.', type: 'counter', value: number('dropped_rows') },
    { name: 'octopus_warehouse_write_failures_total', help: 'Failed write attempts (retried).', type: 'counter', value: number('write_failures') },
  ];
}

function gatewayRoutes(config: EngineConfig, system: ActorSystem, authenticator: Authenticator, hub: FeedHub, execution: ExecutionClient, health: () => EngineHealth): RouteModule[] {
  const isKnownSymbol = (symbol: string): boolean => config.symbols.includes(symbol) || config.venueSymbols.includes(symbol);
  const instruments = [
    ...universeFor(config.symbols, config.tickSize, config.lotSize).map((symbol) => ({ symbol: symbol.symbol, tick_size: symbol.tickSize, lot_size: symbol.lotSize })),
    ...config.venueSymbols.map((symbol) => ({ symbol, tick_size: null, lot_size: null, venue: config.venue })),
  ];
  hub.setSymbolValidator(isKnownSymbol);
  return [
    authRoutes(authenticator),
    computeRoutes,
    feedRoutes(hub),
    orderRoutes(execution),
    marketRoutes(instruments, {
      history: (query) => system.request('warehouse', MessageType.HistoryQuery, query, 10_000),
      book: (symbol, depth, level) =>
        system.request('execution', MessageType.ExecutionQuery, { query: level === 3 ? 'book_l3' : 'book', account: '', symbol, depth }, 5_000),
    }),
    alertRoutes((command) => system.request('realtime', MessageType.AlertCommand, command, 5_000), isKnownSymbol),
    metricsRoutes(() => engineSamples(health(), hub)),
  ];
}

/**
 * Starts the actors, then the gateway.
 * @throws (rejects) OctopusError when an actor cannot start or the port cannot be bound; whatever
 *   started is stopped again first.
 */
export async function startEngine(config: EngineConfig, logger: Logger): Promise<Engine> {
  mkdirSync(config.dataDir, { recursive: true });
  const store: StateStore = openStateStore(config.dataDir);
  const authenticator = new Authenticator(new UserStore(store), store);
  const security = {
    authenticator,
    principalLimiter: new RateLimiter(config.rateLimitPerPrincipal),
    addressLimiter: new RateLimiter(config.rateLimitPerAddress),
  };
  logKernelBackends(logger);
  let system: ActorSystem;
  try {
    system = await ActorSystem.start(engineSpecs(config), { inboxBytes: config.inboxBytes, logger });
  } catch (error) {
    await store.close();
    throw error;
  }
  const hub = new FeedHub({ logger });
  const mirror = new BookMirror();
  const counters = wireFeed(system, hub, mirror);
  const statusPoll = pollActorStatus(system, logger);
  const health = (): EngineHealth => ({
    ...system.health(),
    kernels: { backend: kernels.backend, available: kernels.available },
    bars_received: counters.barsReceived,
    alerts_fired: counters.alertsFired,
    market_data_batches: counters.marketDataBatches,
    details: Object.fromEntries(statusPoll.details),
  });
  const execution: ExecutionClient = {
    command: (body) => system.request('execution', MessageType.ExecutionCommand, body, 10_000),
    query: (body) => system.request('execution', MessageType.ExecutionQuery, body, 10_000),
  };
  let gateway: Gateway;
  try {
    gateway = await startGateway({ host: config.host, port: config.port, logger, health, security, routes: gatewayRoutes(config, system, authenticator, hub, execution, health) });
  } catch (error) {
    statusPoll.stop();
    await system.stop();
    await store.close();
    throw error;
  }
  hub.setSnapshotProvider('book', (symbol, depth) => mirror.snapshot(symbol, depth));
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
        hub.close();
        gateway.close();
        await system.stop();
        await closeRiskWorkers();
        await closeOptimizerWorkers();
        await store.close();
      })();
      return stopping;
    },
  };
}

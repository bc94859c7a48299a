/**
 * The wire format's shapes, as TypeBox schemas: what every REST route and JSON WebSocket frame sends.
 * The OpenAPI and AsyncAPI documents are generated from these, the integration tests validate real
 * responses against the served documents, and `format.ts` builds values of exactly these types (its
 * return types are `Static<...>` of them), so code, contract and tests cannot drift apart.
 *
 * Conventions (docs/api.md): snake_case names; prices, quantities and money as decimal strings (prices
 * and quantities with the instrument's decimals, money with the account's fixed decimals); RFC-3339
 * times with an `_ms` epoch companion where latency matters; `side` "buy" | "sell"; book levels
 * [price, qty]. Names follow Alpaca's where the concept is the same.
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** A decimal string: optional minus, digits, optional fraction ("101.25", "-3", "0.00"). */
export const Decimal = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'a decimal number as a string (exact)', examples: ['101.25'] });
const NullableDecimal = Type.Union([Decimal, Type.Null()]);
/** RFC-3339 time in UTC with milliseconds. */
export const Time = Type.String({ format: 'date-time', description: 'RFC-3339 UTC time', examples: ['2026-11-25T14:30:00.123Z'] });
const NullableTime = Type.Union([Time, Type.Null()]);
const EpochMs = Type.Integer({ minimum: 0, description: 'milliseconds since the Unix epoch' });
const Side = Type.Union([Type.Literal('buy'), Type.Literal('sell')]);
const OrderStatus = Type.Union(['new', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'].map((status) => Type.Literal(status)));

function named<T extends TSchema>(id: string, schema: T): T {
  return { ...schema, $id: id } as T;
}

export const OrderHistoryEntrySchema = Type.Object({
  status: Type.Union([OrderStatus, Type.Literal('replaced'), Type.Literal('triggered')]),
  at: Time,
  at_ms: EpochMs,
  reason: Type.Union([Type.String(), Type.Null()]),
  filled_qty: Decimal,
});

export const OrderSchema = named(
  'Order',
  Type.Object({
    id: Type.String({ description: 'the engine order id' }),
    client_order_id: Type.String(),
    symbol: Type.String(),
    asset_class: Type.Literal('us_equity'),
    side: Side,
    type: Type.Union([Type.Literal('market'), Type.Literal('limit'), Type.Literal('stop'), Type.Literal('stop_limit')]),
    order_type: Type.String({ description: 'same as type (Alpaca has both)' }),
    order_class: Type.Literal('simple'),
    time_in_force: Type.Union([Type.Literal('gtc'), Type.Literal('day'), Type.Literal('ioc'), Type.Literal('fok')]),
    post_only: Type.Boolean(),
    extended_hours: Type.Boolean(),
    qty: Decimal,
    filled_qty: Decimal,
    filled_avg_price: NullableDecimal,
    limit_price: NullableDecimal,
    stop_price: NullableDecimal,
    status: OrderStatus,
    reject_reason: Type.Union([Type.String(), Type.Null()]),
    created_at: Time,
    updated_at: Time,
    submitted_at: Time,
    filled_at: NullableTime,
    canceled_at: NullableTime,
    expired_at: NullableTime,
    failed_at: NullableTime,
    created_at_ms: EpochMs,
    updated_at_ms: EpochMs,
    history: Type.Array(OrderHistoryEntrySchema),
  }),
);

export const PositionSchema = named(
  'Position',
  Type.Object({
    asset_id: Type.String(),
    symbol: Type.String(),
    exchange: Type.String(),
    asset_class: Type.Literal('us_equity'),
    side: Type.Union([Type.Literal('long'), Type.Literal('short'), Type.Literal('flat')]),
    qty: Decimal,
    qty_available: Decimal,
    avg_entry_price: Decimal,
    current_price: NullableDecimal,
    market_value: NullableDecimal,
    cost_basis: Decimal,
    unrealized_pl: NullableDecimal,
    unrealized_plpc: NullableDecimal,
    realized_pl: Decimal,
    fees_paid: Decimal,
  }),
);

export const AccountSchema = named(
  'Account',
  Type.Object({
    id: Type.String(),
    account_number: Type.String(),
    status: Type.Literal('ACTIVE'),
    currency: Type.String(),
    cash: Decimal,
    equity: Decimal,
    portfolio_value: Decimal,
    buying_power: Decimal,
    long_market_value: Decimal,
    short_market_value: Decimal,
    realized_pl: Decimal,
    unrealized_pl: Decimal,
    fees_paid: Decimal,
    trading_blocked: Type.Boolean(),
    pattern_day_trader: Type.Boolean(),
  }),
);

export const TradeSchema = named(
  'Trade',
  Type.Object({ symbol: Type.String(), trade_id: Type.String(), price: Decimal, qty: Decimal, side: Side, time: Time, time_ms: EpochMs }),
);

export const QuoteSchema = named(
  'Quote',
  Type.Object({ symbol: Type.String(), bid_price: Decimal, bid_qty: Decimal, ask_price: Decimal, ask_qty: Decimal, time: Time, time_ms: EpochMs }),
);

export const BarSchema = named(
  'Bar',
  Type.Object({
    symbol: Type.String(),
    interval: Type.String({ examples: ['1m'] }),
    time: Time,
    time_ms: EpochMs,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
    vwap: Decimal,
    trade_count: Type.Integer({ minimum: 1 }),
    indicators: Type.Optional(Type.Object({ ema_20: NullableDecimal, rsi_14: NullableDecimal })),
  }),
);

const Level = Type.Tuple([Decimal, Decimal], { description: '[price, qty]' });

export const BookLevelsSchema = named('BookLevels', Type.Object({ bids: Type.Array(Level), asks: Type.Array(Level) }));

export const L2BookSchema = named('L2Book', Type.Object({ symbol: Type.String(), level: Type.Literal(2), bids: Type.Array(Level), asks: Type.Array(Level) }));

const L3Level = Type.Object({ price: Decimal, orders: Type.Array(Type.Object({ order_id: Type.String(), qty: Decimal })) });
export const L3BookSchema = named('L3Book', Type.Object({ symbol: Type.String(), level: Type.Literal(3), bids: Type.Array(L3Level), asks: Type.Array(L3Level) }));

export const InstrumentSchema = named(
  'Instrument',
  Type.Object({
    symbol: Type.String(),
    tick_size: NullableDecimal,
    lot_size: NullableDecimal,
    price_decimals: Type.Integer({ minimum: 0 }),
    qty_decimals: Type.Integer({ minimum: 0 }),
    tradable: Type.Boolean(),
    venue: Type.Union([Type.String(), Type.Null()]),
  }),
);

const AlertCondition = Type.Union([
  Type.Object({ kind: Type.Literal('price_cross'), level: Decimal, direction: Type.Union([Type.Literal('above'), Type.Literal('below')]) }),
  Type.Object({ kind: Type.Literal('pct_move'), percent: Decimal, window_ms: Type.Integer() }),
  Type.Object({ kind: Type.Literal('volume_spike'), multiple: Decimal, lookback: Type.Integer(), interval_ms: Type.Integer() }),
]);

export const AlertRuleSchema = named(
  'AlertRule',
  Type.Object({ id: Type.String(), symbol: Type.String(), condition: AlertCondition, cooldown_ms: Type.Integer({ minimum: 0 }), created_at: Time, created_at_ms: EpochMs }),
);

export const AlertSchema = named(
  'Alert',
  Type.Object({ rule_id: Type.String(), symbol: Type.String(), kind: Type.String(), message: Type.String(), price: Decimal, time: Time, time_ms: EpochMs }),
);

export const KillSwitchSchema = named('KillSwitch', Type.Object({ global: Type.Boolean(), accounts: Type.Array(Type.String()) }));

export const StateHashSchema = named(
  'StateHash',
  Type.Object({ state_hash: Type.String(), journal_seq: Type.Integer({ minimum: 0 }), replay_state_hash: Type.Optional(Type.String({ description: 'with full=true: what a replay of the whole journal reaches (equal to state_hash)' })) }),
);

export const SecurityEventSchema = named(
  'SecurityEvent',
  Type.Object({
    seq: Type.Integer(),
    type: Type.Union([Type.Literal('login_failed'), Type.Literal('login_backoff'), Type.Literal('login_lockout')]),
    username: Type.String(),
    address: Type.String(),
    failures: Type.Integer(),
    subject: Type.Union([Type.Literal('username'), Type.Literal('address'), Type.Null()]),
    blocked_for_ms: Type.Union([Type.Integer(), Type.Null()]),
    time: Time,
    time_ms: EpochMs,
  }),
);

const NextPageToken = Type.Union([Type.String(), Type.Null()], { description: 'pass as page_token for the next (older) page; null on the last page' });

export const OrderPageSchema = named('OrderPage', Type.Object({ orders: Type.Array(Type.Ref('Order')), next_page_token: NextPageToken }));
export const TradePageSchema = named('TradePage', Type.Object({ symbol: Type.String(), trades: Type.Array(Type.Ref('Trade')), next_page_token: NextPageToken }));
export const BarPageSchema = named('BarPage', Type.Object({ symbol: Type.String(), interval: Type.String(), bars: Type.Array(Type.Ref('Bar')), next_page_token: NextPageToken }));
export const CanceledOrdersSchema = named('CanceledOrders', Type.Object({ canceled: Type.Array(Type.Ref('Order')) }));

/** Every named schema, published under components/schemas (refs by $id). */
export const componentSchemas: readonly TSchema[] = [
  OrderSchema,
  PositionSchema,
  AccountSchema,
  TradeSchema,
  QuoteSchema,
  BarSchema,
  BookLevelsSchema,
  L2BookSchema,
  L3BookSchema,
  InstrumentSchema,
  AlertRuleSchema,
  AlertSchema,
  KillSwitchSchema,
  StateHashSchema,
  SecurityEventSchema,
  OrderPageSchema,
  TradePageSchema,
  BarPageSchema,
  CanceledOrdersSchema,
];

/** A reference to a named schema, for route specs (the document resolves it under components). */
export function ref(schema: TSchema): TSchema {
  return Type.Ref(schema.$id!);
}

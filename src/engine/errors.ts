/**
 * The one error registry. Every expected failure in Octopus is an `OctopusError` whose code is declared
 * here, with the HTTP status the gateway answers it with. Messages read "expected X, was Y".
 */

/** Code -> HTTP status. Add new codes here, grouped by area: ERR_<AREA>_<WHAT>. */
export const errorCodes = {
  ERR_RING_BAD_CAPACITY: 500,
  ERR_RING_MESSAGE_TOO_LARGE: 500,
  ERR_RING_FULL: 503,
  ERR_CODEC_UNKNOWN_TYPE: 500,
  ERR_CODEC_MALFORMED: 500,
  ERR_ACTOR_UNKNOWN: 500,
  ERR_ACTOR_TIMEOUT: 504,
  ERR_ACTOR_DEAD: 503,
  ERR_ACTOR_NO_HANDLER: 500,
  ERR_ACTOR_HANDLER_FAILED: 500,
  ERR_ACTOR_TOO_MANY_PENDING: 503,
  ERR_ACTOR_STOPPED: 503,
  ERR_CONFIG_INVALID: 400,
  ERR_CONFIG_PORT_IN_USE: 409,
  ERR_CONFIG_DATA_DIR_CONFLICT: 400,
  ERR_CONFIG_DATA_DIR_IN_USE: 409,
  ERR_STORE_CORRUPT: 500,
  ERR_STORE_UNREADABLE: 500,
  ERR_STORE_INTEGRITY_HALT: 503,
  ERR_STORE_FORMAT: 500,
  ERR_STORE_WRITE_FAILED: 503,
  ERR_ORDER_BAD_REQUEST: 400,
  ERR_ORDER_BAD_PRICE: 400,
  ERR_ORDER_BAD_QTY: 400,
  ERR_ORDER_BAD_TICK: 400,
  ERR_ORDER_BAD_LOT: 400,
  ERR_ORDER_UNKNOWN: 404,
  ERR_ORDER_POST_ONLY_WOULD_TAKE: 422,
  ERR_ORDER_FOK_UNFILLABLE: 422,
  ERR_ORDER_NO_LIQUIDITY: 422,
  ERR_ORDER_SELF_TRADE: 422,
  ERR_ORDER_CLIENT_ID_CONFLICT: 409,
  ERR_BOOK_BAD_CONFIG: 400,
  ERR_BOOK_UNKNOWN_SYMBOL: 404,
  ERR_BOOK_DUPLICATE_SYMBOL: 409,
  ERR_BOOK_TOO_MANY_BOOKS: 503,
  ERR_BOOK_FULL: 503,
  ERR_BOOK_TOO_MANY_LEVELS: 503,
  ERR_KERNEL_BUSY: 503,
  ERR_KERNEL_BAD_PERIOD: 400,
  ERR_KERNEL_BAD_INPUT: 400,
  ERR_KERNEL_INPUT_TOO_LONG: 413,
  ERR_KERNEL_BAD_OUTPUT: 500,
  ERR_KERNEL_ALIASED_OUTPUT: 500,
  ERR_KERNEL_UNKNOWN_BACKEND: 500,
  ERR_KERNEL_BACKEND_UNAVAILABLE: 500,
  ERR_KERNEL_BACKEND_FAILED: 500,
  ERR_KERNEL_BAD_DIMENSIONS: 400,
  ERR_KERNEL_NOT_FINITE: 400,
  ERR_KERNEL_BAD_OPTION: 400,
  ERR_KERNEL_TOO_FEW_OBSERVATIONS: 400,
  ERR_KERNEL_NOT_SYMMETRIC: 400,
  ERR_KERNEL_NOT_POSITIVE_DEFINITE: 422,
  ERR_KERNEL_NO_CONVERGENCE: 422,
  ERR_KERNEL_UNKNOWN_INDICATOR: 400,
  ERR_KERNEL_BAD_PARAM: 400,
  ERR_KERNEL_BAD_STATE: 400,
  ERR_KERNEL_INFEASIBLE: 422,
  ERR_RISK_BAD_REQUEST: 400,
  ERR_RISK_BAD_POSITIONS: 400,
  ERR_RISK_BAD_RETURNS: 400,
  ERR_RISK_BAD_METHOD: 400,
  ERR_RISK_BAD_CONFIDENCE: 400,
  ERR_RISK_BAD_HORIZON: 400,
  ERR_RISK_BAD_PATHS: 400,
  ERR_RISK_TOO_MANY_PATHS: 413,
  ERR_RISK_TOO_LARGE: 413,
  ERR_RISK_BAD_DISTRIBUTION: 400,
  ERR_RISK_BAD_SEED: 400,
  ERR_HTTP_NOT_FOUND: 404,
  ERR_HTTP_METHOD_NOT_ALLOWED: 405,
  ERR_HTTP_BODY_TOO_LARGE: 413,
  ERR_HTTP_MALFORMED_JSON: 400,
  ERR_HTTP_BAD_REQUEST: 400,
  ERR_WS_MALFORMED_JSON: 400,
  ERR_WS_BINARY_FRAME: 400,
  ERR_WS_BAD_REQUEST: 400,
  ERR_WS_UNKNOWN_OP: 400,
  ERR_WS_UNKNOWN_CHANNEL: 400,
  ERR_WS_UNKNOWN_SYMBOL: 404,
  ERR_WS_NOT_SUBSCRIBED: 400,
  ERR_WS_TOO_MANY_SUBSCRIPTIONS: 429,
  ERR_WS_TOO_MANY_CONNECTIONS: 503,
  ERR_WS_TOO_MANY_FROM_ADDRESS: 429,
  ERR_WS_TOO_MANY_ANONYMOUS: 503,
  ERR_AUTH_MISSING: 401,
  ERR_AUTH_INVALID: 401,
  ERR_AUTH_EXPIRED: 401,
  ERR_AUTH_BAD_SIGNATURE: 401,
  ERR_AUTH_STALE_TIMESTAMP: 401,
  ERR_AUTH_REPLAYED: 401,
  ERR_AUTH_FORBIDDEN: 403,
  ERR_AUTH_BAD_USERNAME: 400,
  ERR_AUTH_BAD_ROLE: 400,
  ERR_AUTH_WEAK_PASSWORD: 400,
  ERR_AUTH_USER_EXISTS: 409,
  ERR_AUTH_UNKNOWN_USER: 404,
  ERR_RATE_LIMITED: 429,
  ERR_AUTH_THROTTLED: 429,
  ERR_AUTH_LOCKED: 429,
  ERR_AUTH_BUSY: 503,
  ERR_SECRET_UNREADABLE: 500,
  ERR_COMPUTE_OVER_BUDGET: 413,
  ERR_COMPUTE_BUSY: 503,
  ERR_COMPUTE_TIMEOUT: 503,
  ERR_RISK_KILL_SWITCH: 403,
  ERR_RISK_MAX_QTY: 422,
  ERR_RISK_MAX_NOTIONAL: 422,
  ERR_RISK_PRICE_COLLAR: 422,
  ERR_RISK_NO_REFERENCE_PRICE: 422,
  ERR_RISK_BUYING_POWER: 422,
  ERR_RISK_POSITION_LIMIT: 422,
  ERR_RISK_MAX_OPEN_ORDERS: 422,
  ERR_RISK_ORDER_RATE: 429,
  ERR_COMPLIANCE_RESTRICTED: 422,
  ERR_VENUE_UNREACHABLE: 503,
  ERR_VENUE_SNAPSHOT_FAILED: 502,
  ERR_WAREHOUSE_BAD_SYMBOL: 400,
  ERR_WAREHOUSE_BAD_PRICE: 400,
  ERR_WAREHOUSE_BAD_QTY: 400,
  ERR_WAREHOUSE_BAD_ROW: 400,
  ERR_WAREHOUSE_BAD_TIME: 400,
  ERR_WAREHOUSE_BAD_INTERVAL: 400,
  ERR_WAREHOUSE_BAD_RANGE: 400,
  ERR_WAREHOUSE_BAD_LIMIT: 400,
  ERR_WAREHOUSE_BAD_CONFIG: 500,
  ERR_WAREHOUSE_BATCH_TOO_LARGE: 413,
  ERR_WAREHOUSE_BACKPRESSURE: 503,
  ERR_WAREHOUSE_UNAVAILABLE: 503,
  ERR_WAREHOUSE_QUERY_FAILED: 502,
  ERR_WAREHOUSE_CLOSED: 503,
  ERR_ALERT_BAD_RULE: 400,
  ERR_ALERT_UNKNOWN: 404,
  ERR_ALERT_TOO_MANY: 422,
  ERR_POSITION_UNKNOWN: 404,
  ERR_STRATEGY_UNKNOWN: 404,
  ERR_STRATEGY_BAD_PARAMS: 400,
  ERR_STRATEGY_LOAD_FAILED: 400,
  ERR_STRATEGY_BAD_ORDER: 400,
  ERR_STRATEGY_UNKNOWN_ORDER: 404,
  ERR_STRATEGY_TOO_MANY_ORDERS: 422,
  ERR_STRATEGY_TOO_MANY_TIMERS: 422,
  ERR_BACKTEST_BAD_DATA: 400,
  ERR_BACKTEST_BAD_OPTION: 400,
  ERR_BACKTEST_UNKNOWN_JOB: 404,
  ERR_BACKTEST_NO_REPORT: 404,
  ERR_BACKTEST_TOO_MANY_JOBS: 429,
  ERR_INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class OctopusError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  /** For 429 and 503 answers: whole seconds after which a retry may succeed (the gateway's Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OctopusError';
    this.code = code;
    this.httpStatus = errorCodes[code];
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Alias kept for engine-internal readability; there is one error class. */
export { OctopusError as EngineError };

/** The factory: `octopusError('ERR_RING_FULL', 'expected free space, was full', { cause })`. */
export function octopusError(code: ErrorCode, message: string, cause?: unknown): OctopusError {
  return new OctopusError(code, message, cause === undefined ? undefined : { cause });
}

export function isOctopusError(value: unknown): value is OctopusError {
  return value instanceof OctopusError;
}

/** Turns anything thrown into a plain serialisable description, for logs and cross-thread reports. */
export function describeError(error: unknown): { name: string; message: string; code?: string; stack?: string } {
  if (error instanceof OctopusError) return { name: error.name, message: error.message, code: error.code, stack: error.stack };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'NonError', message: String(error) };
}

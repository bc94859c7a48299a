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
  ERR_KERNEL_BAD_PERIOD: 400,
  ERR_KERNEL_BAD_INPUT: 400,
  ERR_KERNEL_INPUT_TOO_LONG: 413,
  ERR_KERNEL_BAD_OUTPUT: 500,
  ERR_KERNEL_ALIASED_OUTPUT: 500,
  ERR_KERNEL_UNKNOWN_BACKEND: 500,
  ERR_KERNEL_BACKEND_UNAVAILABLE: 500,
  ERR_KERNEL_BACKEND_FAILED: 500,
  ERR_HTTP_NOT_FOUND: 404,
  ERR_HTTP_METHOD_NOT_ALLOWED: 405,
  ERR_HTTP_BODY_TOO_LARGE: 413,
  ERR_HTTP_MALFORMED_JSON: 400,
  ERR_HTTP_BAD_REQUEST: 400,
  ERR_INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class OctopusError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OctopusError';
    this.code = code;
    this.httpStatus = errorCodes[code];
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

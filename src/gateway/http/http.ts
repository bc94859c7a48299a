/**
 * HTTP plumbing for the uWS gateway: JSON responses, typed errors, bounded JSON bodies, and route
 * helpers that keep the uWS contract (STYLE.md rule 8):
 * - `onAborted` is attached before anything asynchronous, and nothing is written after an abort;
 * - `onData` chunks are copied (uWS reuses their memory after the callback returns);
 * - grouped writes are corked;
 * - bodies are bounded (per route; a larger Content-Length or body is answered 413 and the connection
 *   closed) and parsed with a nesting bound (json-text.ts);
 * - every request passes the per-address rate limit; protected routes then authenticate from the
 *   headers (401), check the permission (403) and pass the per-principal rate limit (429 with
 *   Retry-After) before a single body byte is read; a signed API-key request's signature is checked
 *   once its (bounded) body has arrived;
 * - every 429 carries Retry-After; a registered path answers other methods 405 with Allow.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import type { TObject, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { OctopusError, isOctopusError, type ErrorCode } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import type { AuthRequest, Authenticator } from '../auth/authenticator.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { Permission, Principal } from '../auth/users.js';
import { parseJsonText } from './json-text.js';

const statusLines: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  207: '207 Multi-Status',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Entity',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

/** A response that knows whether it may still be written. */
export interface Reply {
  readonly aborted: boolean;
  /** `closeConnection`: close after answering (a refused request whose body is still arriving). */
  json(status: number, body: unknown, headers?: Record<string, string>, closeConnection?: boolean): void;
  /** A text body with its own content type (no JSON encoding). */
  text(status: number, body: string, contentType: string): void;
  error(error: unknown, closeConnection?: boolean): void;
}

export function statusLine(status: number): string {
  return statusLines[status] ?? `${status} Status`;
}

/**
 * The Retry-After of an error answer: the error's own, else 1 s for every 429 (the order-rate bucket of
 * pre-trade risk refills one order in 1/ordersPerSecond <= 1 s, and the request buckets at least as fast).
 */
function retryAfterOf(error: OctopusError): Record<string, string> | undefined {
  const seconds = error.retryAfterSeconds ?? (error.httpStatus === 429 ? 1 : undefined);
  return seconds === undefined ? undefined : { 'retry-after': String(seconds) };
}

function createReply(res: HttpResponse, logger: Logger, observer?: HttpObserver, onAnswer?: (status: number, code?: string) => void): Reply {
  let errorCode: string | undefined;
  let done = false;
  res.onAborted(() => {
    done = true;
  });
  const reply: Reply = {
    get aborted() {
      return done;
    },
    json(status, body, headers, closeConnection = false) {
      if (done) return;
      done = true;
      // undefined = no body (204).
      const text = body === undefined ? '' : JSON.stringify(body);
      res.cork(() => {
        res.writeStatus(statusLine(status));
        if (body !== undefined) res.writeHeader('content-type', 'application/json');
        if (headers !== undefined) for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
        res.end(text, closeConnection);
      });
      onAnswer?.(status, errorCode);
    },
    text(status, body, contentType) {
      if (done) return;
      done = true;
      res.cork(() => {
        res.writeStatus(statusLine(status)).writeHeader('content-type', contentType).end(body);
      });
      onAnswer?.(status);
    },
    error(error, closeConnection = false) {
      if (isOctopusError(error)) {
        if (error.httpStatus === 401) observer?.authFailed(error.code);
        errorCode = error.code;
        reply.json(error.httpStatus, error.toJSON(), retryAfterOf(error), closeConnection);
        return;
      }
      logger.error({ err: error }, 'request failed');
      reply.json(500, new OctopusError('ERR_INTERNAL', 'expected the request to complete, was an internal error').toJSON(), undefined, closeConnection);
    },
  };
  return reply;
}

export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return new OctopusError(code, message).toJSON();
}

/**
 * Reads a body of at most `maxBytes` bytes as UTF-8 text and calls `onBody`, or answers the request
 * itself with ERR_HTTP_BODY_TOO_LARGE (413) and closes the connection (the rest is never read).
 */
function readBody(res: HttpResponse, reply: Reply, maxBytes: number, onBody: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let rejected = false;
  res.onData((chunk, isLast) => {
    if (rejected || reply.aborted) return;
    received += chunk.byteLength;
    if (received > maxBytes) {
      rejected = true;
      reply.json(413, errorBody('ERR_HTTP_BODY_TOO_LARGE', `expected a body of at most ${maxBytes} bytes, was more`), undefined, true);
      return;
    }
    // Copy: uWS reuses the chunk's memory once this callback returns.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (isLast) onBody(Buffer.concat(chunks, received).toString('utf8'));
  });
}

/** What the HTTP layer reports, for /metrics (engine-metrics.ts implements it). */
export interface HttpObserver {
  /** One answered request: the route's template (not the raw URL, so labels stay bounded). */
  request(method: string, route: string, status: number, seconds: number, measure: RouteSpec['measure'], code?: string): void;
  rateLimitRefused(limiter: 'address' | 'principal'): void;
  authFailed(code: string): void;
}

export interface RouteOptions {
  logger: Logger;
  observer?: HttpObserver;
  /** Routes marked `publicMarketData` need no credentials unless this is false (default true). */
  publicMarketData?: boolean;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** Authentication and rate limits; routes that require a permission need it. */
  security?: Security;
}

export interface Security {
  authenticator: Authenticator;
  /** Per authenticated principal (user or API key). */
  principalLimiter: RateLimiter;
  /** Per client address, for every request (authenticated or not). */
  addressLimiter: RateLimiter;
}

/** What a handler returns: a status and a JSON body. Throwing an OctopusError answers with its code. */
export interface RouteResult {
  status: number;
  /** JSON-serialised, unless the route declares a `contentType` (then a string sent as is). */
  body: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  /** The parsed JSON body (undefined for routes without a body). */
  body: unknown;
  query: string;
  parameters: string[];
  /** Present on routes that require a permission. */
  principal: Principal | undefined;
  address: string;
}

export interface RouteSpec {
  method: 'get' | 'post' | 'delete' | 'patch' | 'put';
  path: string;
  /** The permission the caller needs; undefined = public route. */
  permission?: Permission;
  /** A market-data read: public when the gateway runs with public market data (the default). */
  publicMarketData?: boolean;
  /** The OpenAPI operationId (unique, camelCase). */
  operationId: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** OpenAPI tag. */
  tag: string;
  /** Query parameters: an object of optional strings (enums, patterns); unknown ones are refused (400). */
  querySchema?: TObject;
  /** Error statuses this route answers beyond the ones every route may (400, 429, and 401/403 when protected). */
  errorStatuses?: readonly number[];
  /** Extra latency histogram this route feeds (order entry: gateway receive to 2xx). */
  measure?: 'order_ack';
  /** The JSON body's schema: checked before the handler runs (400 ERR_HTTP_BAD_REQUEST), and published. */
  bodySchema?: TSchema;
  /** Largest body this route accepts (default: the gateway's maxBodyBytes); small for small requests. */
  maxBodyBytes?: number;
  /** A smaller bound by caller (compute budgets by role), decided from the headers before reading. */
  maxBodyBytesFor?: (principal: Principal) => number;
  /** A route answering text instead of JSON (its bodies are strings), e.g. text/plain for /metrics. */
  contentType?: string;
  /** Success responses: status -> body schema (undefined = no body, e.g. 204). */
  responses: Record<number, TSchema | undefined>;
  handler: (context: RouteContext) => RouteResult | Promise<RouteResult>;
}

/** Every route registered on each app, in order: the OpenAPI document is generated from these. */
const routesByApp = new WeakMap<TemplatedApp, RouteSpec[]>();

export function registeredRoutes(app: TemplatedApp): readonly RouteSpec[] {
  return routesByApp.get(app) ?? [];
}

/** Largest number of schema violations listed in one error message. */
const kSchemaErrorsListed = 3;

function bodyValidator(schema: TSchema | undefined): ((body: unknown) => void) | undefined {
  if (schema === undefined) return undefined;
  const compiled = TypeCompiler.Compile(schema);
  return (body) => {
    if (compiled.Check(body)) return;
    const problems: string[] = [];
    for (const error of compiled.Errors(body)) {
      problems.push(`${error.path === '' ? 'the body' : error.path}: ${error.message.toLowerCase()}, was ${describeForError(error.value)}`);
      if (problems.length >= kSchemaErrorsListed) break;
    }
    throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected a body matching the schema; ${problems.join('; ')}`);
  };
}

function describeForError(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function run(reply: Reply, handler: () => RouteResult | Promise<RouteResult>, contentType: string | undefined): void {
  const answer = (result: RouteResult): void => {
    if (contentType === undefined) reply.json(result.status, result.body, result.headers);
    else reply.text(result.status, String(result.body), contentType);
  };
  try {
    const result = handler();
    if (result instanceof Promise) result.then(answer, (error: unknown) => reply.error(error));
    else answer(result);
  } catch (error) {
    reply.error(error);
  }
}

function takeOrRefuse(limiter: RateLimiter, key: string, name: 'address' | 'principal', observer: HttpObserver | undefined): void {
  const decision = limiter.take(key);
  if (!decision.allowed) {
    observer?.rateLimitRefused(name);
    throw new OctopusError('ERR_RATE_LIMITED', `expected fewer requests, was over the limit; retry after ${decision.retryAfterSeconds} s`, {
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  }
}

/** Whether a route needs no credentials: no permission, or market data on a gateway that serves it publicly. */
export function isPublic(spec: RouteSpec, options: Pick<RouteOptions, 'publicMarketData'>): boolean {
  return spec.permission === undefined || (spec.publicMarketData === true && options.publicMarketData !== false);
}

function checkPermission(spec: RouteSpec, principal: Principal): void {
  if (principal.permissions.includes(spec.permission!)) return;
  throw new OctopusError(
    'ERR_AUTH_FORBIDDEN',
    `expected a caller with the ${spec.permission} permission, was ${principal.role}${principal.via === 'api_key' ? ` via key ${principal.keyId}` : ''} with ${principal.permissions.join(', ')}`,
  );
}

/**
 * Everything decided from the request line and headers, synchronously, before any body byte is read:
 * the address limit, and for a protected route the credentials (a token completely; a key up to its
 * signature), the permission and, for tokens, the principal limit. A request refused here never has
 * its body buffered.
 * @throws OctopusError 401/403/429 codes.
 */
function admitHeaders(spec: RouteSpec, options: RouteOptions, request: AuthRequest, address: string): Principal | undefined {
  const security = options.security;
  if (security !== undefined) takeOrRefuse(security.addressLimiter, address, 'address', options.observer);
  if (isPublic(spec, options)) return undefined;
  if (security === undefined) throw new OctopusError('ERR_INTERNAL', `expected security for protected route ${spec.path}, was none`);
  const principal = security.authenticator.authenticateHeaders(request);
  checkPermission(spec, principal);
  // A key's bucket is charged only once its signature is proven, or anyone who knows a key id could drain it.
  if (principal.via === 'jwt') takeOrRefuse(security.principalLimiter, `user:${principal.username}`, 'principal', options.observer);
  return principal;
}

/** The signature of a key request, over the body now read; then the key's rate limit. */
function admitSignedBody(options: RouteOptions, request: AuthRequest, principal: Principal | undefined): void {
  if (principal?.via !== 'api_key') return;
  options.security!.authenticator.authenticate(request);
  takeOrRefuse(options.security!.principalLimiter, principal.keyId!, 'principal', options.observer);
}

function parseBody(text: string): unknown {
  const parsed = parseJsonText(text);
  if (parsed.ok) return parsed.value;
  throw new OctopusError(parsed.reason === 'too_deep' ? 'ERR_HTTP_BAD_REQUEST' : 'ERR_HTTP_MALFORMED_JSON', parsed.message);
}

function declaredLength(req: HttpRequest): number | undefined {
  const text = req.getHeader('content-length');
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/** The facts every route needs from `req`, read at once: `req` is invalid after the uWS callback returns. */
/**
 * The credentials of a request, read from uWS synchronously (its HttpRequest is gone after the first
 * await). `authorization` overrides the header (a WebSocket upgrade may carry its token in the query).
 */
export function authRequestOf(req: HttpRequest, method: string, query: string, authorization = req.getHeader('authorization')): AuthRequest {
  return {
    method,
    pathWithQuery: req.getUrl() + (query === '' ? '' : `?${query}`),
    authorization,
    keyId: req.getHeader('x-octopus-key'),
    timestamp: req.getHeader('x-octopus-timestamp'),
    signature: req.getHeader('x-octopus-signature'),
    alpacaKeyId: req.getHeader('apca-api-key-id'),
    alpacaSecret: req.getHeader('apca-api-secret-key'),
    body: '',
  };
}

function readRequest(req: HttpRequest, res: HttpResponse, path: string) {
  const query = req.getQuery() ?? '';
  const request = authRequestOf(req, req.getMethod().toUpperCase(), query);
  return { query, request, rawParameters: rawParameterList(req, path), address: Buffer.from(res.getRemoteAddressAsText()).toString(), length: declaredLength(req) };
}

/**
 * Registers one route: rate limits, authentication and permission from the headers, then (for a body
 * route) a bounded body, the key signature, depth-checked JSON, the schema, and the handler.
 */
export function route(app: TemplatedApp, options: RouteOptions, spec: RouteSpec): void {
  let routes = routesByApp.get(app);
  if (routes === undefined) routesByApp.set(app, (routes = []));
  routes.push(spec);
  const validate = bodyValidator(spec.bodySchema);
  const validateQuery = queryValidator(spec.querySchema);
  const maxBodyBytes = Math.min(spec.maxBodyBytes ?? options.maxBodyBytes, options.maxBodyBytes);
  const hasBody = spec.method !== 'get' && spec.method !== 'delete';
  type Register = (path: string, handler: (res: HttpResponse, req: HttpRequest) => void) => TemplatedApp;
  // uWS names the DELETE registration `del` (delete is a reserved word in older JS).
  const registration = spec.method === 'delete' ? 'del' : spec.method;
  const register = (app as unknown as Record<string, Register>)[registration]!.bind(app);
  const method = spec.method.toUpperCase();
  register(spec.path, (res: HttpResponse, req: HttpRequest) => {
    const receivedMs = performance.now();
    const observer = options.observer;
    const onAnswer = observer === undefined ? undefined : (status: number, code?: string) => observer.request(method, spec.path, status, (performance.now() - receivedMs) / 1_000, spec.measure, code);
    const reply = createReply(res, options.logger, observer, onAnswer);
    const { query, request, rawParameters, address, length } = readRequest(req, res, spec.path);
    let principal: Principal | undefined;
    let parameters: string[];
    let bodyBytesMax = maxBodyBytes;
    try {
      principal = admitHeaders(spec, options, request, address);
      parameters = rawParameters.map(decodePathParameter);
      validateQuery?.(query);
      if (principal !== undefined && spec.maxBodyBytesFor !== undefined) bodyBytesMax = Math.min(bodyBytesMax, spec.maxBodyBytesFor(principal));
      if (hasBody && length !== undefined && length > bodyBytesMax) {
        throw new OctopusError('ERR_HTTP_BODY_TOO_LARGE', `expected a body of at most ${bodyBytesMax} bytes, was ${length}`);
      }
    } catch (error) {
      // A body may still be arriving: close instead of reading it.
      reply.error(error, hasBody && length !== 0);
      return;
    }
    const proceed = (bodyText: string | undefined): void => {
      run(reply, () => {
        // Every key request's signature is checked here, over the body or over '' for body-less routes.
        request.body = bodyText ?? '';
        admitSignedBody(options, request, principal);
        let body: unknown;
        if (bodyText !== undefined) {
          body = parseBody(bodyText);
          validate?.(body);
        }
        return spec.handler({ body, query, parameters, principal, address });
      }, spec.contentType);
    };
    if (hasBody) readBody(res, reply, bodyBytesMax, proceed);
    else proceed(undefined);
  });
}

/**
 * The query string's checker: every parameter once, each declared by the route's schema and matching
 * it (enums, patterns); the handler then converts the strings it needs.
 * @throws OctopusError ERR_HTTP_BAD_REQUEST naming the first parameter that does not fit.
 */
function queryValidator(schema: TObject | undefined): ((query: string) => void) | undefined {
  if (schema === undefined) return undefined;
  const compiled = TypeCompiler.Compile(schema);
  const known = Object.keys(schema.properties);
  return (query) => {
    const values: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(query)) {
      if (!known.includes(name)) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected query parameters among ${known.join(', ') || '(none)'}, was ${JSON.stringify(name.slice(0, 40))}`);
      if (Object.hasOwn(values, name)) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected the query parameter ${name} once, was repeated`);
      values[name] = value;
    }
    if (compiled.Check(values)) return;
    const first = compiled.Errors(values).First()!;
    throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected query parameter ${first.path.slice(1)} to match ${describeSchema(first.schema)}, was ${describeForError(first.value)}`);
  };
}

function describeSchema(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).map((option) => JSON.stringify(option.const)).join(' | ');
  return typeof schema.pattern === 'string' ? `/${schema.pattern}/` : (schema.description ?? 'its schema');
}

/** Registers `POST path` with a bounded JSON body and no authentication (tests of the plumbing). */
export function postJson(app: TemplatedApp, path: string, options: RouteOptions, handler: (body: unknown, request: RouteContext) => RouteResult | Promise<RouteResult>): void {
  route(app, options, {
    method: 'post',
    path,
    operationId: `test${path.replace(/[^A-Za-z0-9]/g, '')}`,
    summary: `Test route ${path}`,
    tag: 'test',
    responses: { 200: undefined },
    handler: (context) => handler(context.body, context),
  });
}

/** Answers every other method on `path` with 405 and `Allow`. */
export function methodNotAllowed(app: TemplatedApp, path: string, allowed: string, options: RouteOptions): void {
  app.any(path, (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    reply.json(405, errorBody('ERR_HTTP_METHOD_NOT_ALLOWED', `expected ${allowed}, was ${req.getMethod().toUpperCase()}`), { allow: allowed });
  });
}

/** The catch-all: 405 with `Allow` on every registered path for the methods it lacks, 404 elsewhere. */
export function notFound(app: TemplatedApp, options: RouteOptions): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const spec of registeredRoutes(app)) {
    let methods = methodsByPath.get(spec.path);
    if (methods === undefined) methodsByPath.set(spec.path, (methods = new Set()));
    methods.add(spec.method.toUpperCase());
  }
  // uWS prefers a method's own handler to `any` on the same pattern, so these only see the other methods.
  for (const [path, methods] of methodsByPath) methodNotAllowed(app, path, [...methods].join(', '), options);
  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    reply.json(404, errorBody('ERR_HTTP_NOT_FOUND', `expected a known route, was ${req.getMethod().toUpperCase()} ${req.getUrl().slice(0, 200)}`));
  });
}

function rawParameterList(req: HttpRequest, path: string): string[] {
  const count = path.split('/').filter((part) => part.startsWith(':')).length;
  return Array.from({ length: count }, (_, index) => req.getParameter(index) ?? '');
}

/**
 * A path parameter, percent-decoded once here (handlers get decoded values).
 * @throws OctopusError ERR_HTTP_BAD_REQUEST for malformed percent-encoding (`%ZZ`, a cut UTF-8 sequence).
 */
export function decodePathParameter(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected a percent-encoded UTF-8 path segment, was ${JSON.stringify(raw.slice(0, 64))}`);
  }
}

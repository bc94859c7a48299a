/**
 * HTTP plumbing for the uWS gateway: JSON responses, typed errors, bounded JSON bodies, and route
 * helpers that keep the uWS contract (STYLE.md rule 8):
 * - `onAborted` is attached before anything asynchronous, and nothing is written after an abort;
 * - `onData` chunks are copied (uWS reuses their memory after the callback returns);
 * - grouped writes are corked;
 * - bodies are bounded: a body over the limit is answered 413 and the rest is ignored;
 * - every request passes the per-address rate limit; protected routes then authenticate (401), pass the
 *   per-principal rate limit (429 with Retry-After) and check the permission (403).
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { OctopusError, isOctopusError, type ErrorCode } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import type { AuthRequest, Authenticator } from '../auth/authenticator.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { Permission, Principal } from '../auth/users.js';

const statusLines: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
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
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  error(error: unknown): void;
}

export function statusLine(status: number): string {
  return statusLines[status] ?? `${status} Status`;
}

function createReply(res: HttpResponse, logger: Logger): Reply {
  let done = false;
  res.onAborted(() => {
    done = true;
  });
  const reply: Reply = {
    get aborted() {
      return done;
    },
    json(status, body, headers) {
      if (done) return;
      done = true;
      const text = JSON.stringify(body);
      res.cork(() => {
        res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json');
        if (headers !== undefined) for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
        res.end(text);
      });
    },
    error(error) {
      if (isOctopusError(error)) {
        const retryAfter = (error as Partial<RateLimitedError>).retryAfterSeconds;
        reply.json(error.httpStatus, error.toJSON(), retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) });
        return;
      }
      logger.error({ err: error }, 'request failed');
      reply.json(500, new OctopusError('ERR_INTERNAL', 'expected the request to complete, was an internal error').toJSON());
    },
  };
  return reply;
}

export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return new OctopusError(code, message).toJSON();
}

/**
 * Reads a body of at most `maxBytes` bytes as UTF-8 text and calls `onBody`, or answers the request
 * itself with ERR_HTTP_BODY_TOO_LARGE (413).
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
      reply.json(413, errorBody('ERR_HTTP_BODY_TOO_LARGE', `expected a body of at most ${maxBytes} bytes, was more`));
      return;
    }
    // Copy: uWS reuses the chunk's memory once this callback returns.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (isLast) onBody(Buffer.concat(chunks, received).toString('utf8'));
  });
}

export interface RouteOptions {
  logger: Logger;
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
  body: unknown;
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
  /** One line for the OpenAPI document. */
  summary?: string;
  /** The JSON body's schema: checked before the handler runs (400 ERR_HTTP_BAD_REQUEST), and published. */
  bodySchema?: TSchema;
  /** The success response's schema and status, for the OpenAPI document. */
  responseSchema?: TSchema;
  responseStatus?: number;
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

function run(reply: Reply, handler: () => RouteResult | Promise<RouteResult>): void {
  try {
    const result = handler();
    if (result instanceof Promise) {
      result.then(
        (value) => reply.json(value.status, value.body),
        (error: unknown) => reply.error(error),
      );
    } else {
      reply.json(result.status, result.body);
    }
  } catch (error) {
    reply.error(error);
  }
}

async function admit(spec: RouteSpec, options: RouteOptions, request: AuthRequest, address: string): Promise<Principal | undefined> {
  const security = options.security;
  if (security !== undefined) {
    const decision = security.addressLimiter.take(address);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  }
  if (spec.permission === undefined) return undefined;
  if (security === undefined) throw new OctopusError('ERR_INTERNAL', `expected security for protected route ${spec.path}, was none`);
  const principal = await security.authenticator.authenticate(request);
  const decision = security.principalLimiter.take(principal.keyId ?? `user:${principal.username}`);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  if (!principal.permissions.includes(spec.permission)) {
    throw new OctopusError(
      'ERR_AUTH_FORBIDDEN',
      `expected a caller with the ${spec.permission} permission, was ${principal.role}${principal.via === 'api_key' ? ` via key ${principal.keyId}` : ''} with ${principal.permissions.join(', ')}`,
    );
  }
  return principal;
}

class RateLimitedError extends OctopusError {
  constructor(readonly retryAfterSeconds: number) {
    super('ERR_RATE_LIMITED', `expected fewer requests, was over the limit; retry after ${retryAfterSeconds} s`);
  }
}

function rateLimited(retryAfterSeconds: number): RateLimitedError {
  return new RateLimitedError(retryAfterSeconds);
}

/** Registers one route: rate limits, authentication and permission, bounded JSON body, schema, handler. */
export function route(app: TemplatedApp, options: RouteOptions, spec: RouteSpec): void {
  let routes = routesByApp.get(app);
  if (routes === undefined) routesByApp.set(app, (routes = []));
  routes.push(spec);
  const validate = bodyValidator(spec.bodySchema);
  type Register = (path: string, handler: (res: HttpResponse, req: HttpRequest) => void) => TemplatedApp;
  // uWS names the DELETE registration `del` (delete is a reserved word in older JS).
  const registration = spec.method === 'delete' ? 'del' : spec.method;
  const register = (app as unknown as Record<string, Register>)[registration]!.bind(app);
  register(spec.path, (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    // Everything needed from `req` is read now: it is invalid after this callback returns.
    const query = req.getQuery() ?? '';
    const parameters = parameterList(req, spec.path);
    const address = Buffer.from(res.getRemoteAddressAsText()).toString();
    const request: AuthRequest = {
      method: req.getMethod().toUpperCase(),
      pathWithQuery: req.getUrl() + (query === '' ? '' : `?${query}`),
      authorization: req.getHeader('authorization'),
      keyId: req.getHeader('x-octopus-key'),
      timestamp: req.getHeader('x-octopus-timestamp'),
      signature: req.getHeader('x-octopus-signature'),
      body: '',
    };
    const proceed = (bodyText: string | undefined): void => {
      run(reply, async () => {
        request.body = bodyText ?? '';
        const principal = await admit(spec, options, request, address);
        let body: unknown;
        if (bodyText !== undefined) {
          try {
            body = JSON.parse(bodyText);
          } catch (error) {
            throw new OctopusError('ERR_HTTP_MALFORMED_JSON', `expected a JSON body, was unparseable (${(error as Error).message})`);
          }
          validate?.(body);
        }
        return spec.handler({ body, query, parameters, principal, address });
      });
    };
    if (spec.method === 'get' || spec.method === 'delete') proceed(undefined);
    else readBody(res, reply, options.maxBodyBytes, proceed);
  });
}

/** Registers `POST path` with a bounded JSON body and no authentication (public routes, tests). */
export function postJson(app: TemplatedApp, path: string, options: RouteOptions, handler: (body: unknown, request: RouteContext) => RouteResult | Promise<RouteResult>): void {
  route(app, options, { method: 'post', path, handler: (context) => handler(context.body, context) });
}

/** Registers a public `GET path`. */
export function getJson(app: TemplatedApp, path: string, options: RouteOptions, handler: (request: RouteContext) => RouteResult | Promise<RouteResult>): void {
  route(app, options, { method: 'get', path, handler });
}

/** Answers every other method on `path` with 405. */
export function methodNotAllowed(app: TemplatedApp, path: string, allowed: string, options: RouteOptions): void {
  app.any(path, (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    reply.json(405, errorBody('ERR_HTTP_METHOD_NOT_ALLOWED', `expected ${allowed}, was ${req.getMethod().toUpperCase()}`));
  });
}

/** The catch-all 404. */
export function notFound(app: TemplatedApp, options: RouteOptions): void {
  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    reply.json(404, errorBody('ERR_HTTP_NOT_FOUND', `expected a known route, was ${req.getMethod().toUpperCase()} ${req.getUrl()}`));
  });
}

function parameterList(req: HttpRequest, path: string): string[] {
  const count = path.split('/').filter((part) => part.startsWith(':')).length;
  return Array.from({ length: count }, (_, index) => req.getParameter(index) ?? '');
}

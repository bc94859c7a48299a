/**
 * HTTP plumbing for the uWS gateway: JSON responses, typed errors, bounded JSON bodies, and route
 * helpers that keep the uWS contract (STYLE.md rule 8):
 * - `onAborted` is attached before anything asynchronous, and nothing is written after an abort;
 * - `onData` chunks are copied (uWS reuses their memory after the callback returns);
 * - grouped writes are corked;
 * - bodies are bounded: a body over the limit is answered 413 and the rest is ignored.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { OctopusError, isOctopusError, type ErrorCode } from '../engine/errors.js';
import type { Logger } from '../engine/logger.js';

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
  json(status: number, body: unknown): void;
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
    json(status, body) {
      if (done) return;
      done = true;
      const text = JSON.stringify(body);
      res.cork(() => {
        res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json').end(text);
      });
    },
    error(error) {
      if (isOctopusError(error)) {
        reply.json(error.httpStatus, error.toJSON());
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
 * Reads a JSON body of at most `maxBytes` bytes. Calls `onBody` with the parsed value, or answers the
 * request itself with ERR_HTTP_BODY_TOO_LARGE (413) or ERR_HTTP_MALFORMED_JSON (400).
 */
function readJsonBody(res: HttpResponse, reply: Reply, maxBytes: number, onBody: (value: unknown) => void): void {
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
    if (!isLast) return;
    const text = Buffer.concat(chunks, received).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      reply.json(400, errorBody('ERR_HTTP_MALFORMED_JSON', `expected a JSON body, was unparseable (${(error as Error).message})`));
      return;
    }
    onBody(value);
  });
}

export interface RouteOptions {
  logger: Logger;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
}

/** What a handler returns: a status and a JSON body. Throwing an OctopusError answers with its code. */
export interface RouteResult {
  status: number;
  body: unknown;
}

export type JsonHandler = (body: unknown, request: { query: string; parameters: string[] }) => RouteResult | Promise<RouteResult>;

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

/** Registers `POST path` with a bounded JSON body. */
export function postJson(app: TemplatedApp, path: string, options: RouteOptions, handler: JsonHandler): void {
  app.post(path, (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    // Everything needed from `req` is read now: it is invalid after this callback returns.
    const request = { query: req.getQuery() ?? '', parameters: parameterList(req, path) };
    readJsonBody(res, reply, options.maxBodyBytes, (body) => run(reply, () => handler(body, request)));
  });
}

/** Registers `GET path`. */
export function getJson(app: TemplatedApp, path: string, options: RouteOptions, handler: (request: { query: string; parameters: string[] }) => RouteResult | Promise<RouteResult>): void {
  app.get(path, (res: HttpResponse, req: HttpRequest) => {
    const reply = createReply(res, options.logger);
    const request = { query: req.getQuery() ?? '', parameters: parameterList(req, path) };
    run(reply, () => handler(request));
  });
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

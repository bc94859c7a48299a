/**
 * The HTTP/WebSocket gateway on uWebSockets.js. This first cut serves `GET /health`; the market-data and
 * order-entry work add REST routes and WS channels here.
 *
 * uWS contract (STYLE.md rule 8): every response handler attaches `onAborted` before anything async,
 * corks grouped writes, and never touches `res` after it was aborted or ended.
 */
import uws from '@trufflesuite/uws-js-unofficial';
import type { HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { OctopusError, type ErrorCode } from '../engine/errors.js';
import type { Logger } from '../engine/logger.js';

export interface GatewayOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** The health document; `status` decides the HTTP code (503 while stopping). */
  health: () => { status: string };
}

export interface Gateway {
  readonly port: number;
  close(): void;
}

const statusLines: Record<number, string> = {
  200: '200 OK',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

function sendJson(res: HttpResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.cork(() => {
    res.writeStatus(statusLines[status] ?? `${status} Status`).writeHeader('content-type', 'application/json').end(text);
  });
}

function sendError(res: HttpResponse, code: ErrorCode, message: string): void {
  const error = new OctopusError(code, message);
  sendJson(res, error.httpStatus, error.toJSON());
}

function routes(app: TemplatedApp, options: GatewayOptions): void {
  app.get('/health', (res) => {
    res.onAborted(() => {});
    try {
      const report = options.health();
      sendJson(res, report.status === 'stopping' ? 503 : 200, report);
    } catch (error) {
      options.logger.error({ err: error }, 'health report failed');
      sendError(res, 'ERR_INTERNAL', 'expected a health report, was an internal error');
    }
  });
  app.any('/health', (res, req) => {
    res.onAborted(() => {});
    sendError(res, 'ERR_HTTP_METHOD_NOT_ALLOWED', `expected GET, was ${req.getMethod().toUpperCase()}`);
  });
  app.any('/*', (res, req) => {
    res.onAborted(() => {});
    sendError(res, 'ERR_HTTP_NOT_FOUND', `expected a known route, was ${req.getMethod().toUpperCase()} ${req.getUrl()}`);
  });
}

/**
 * Starts listening.
 * @throws (rejects) OctopusError ERR_CONFIG_INVALID when the port cannot be bound.
 */
export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const app = uws.App();
  routes(app, options);
  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (token: us_listen_socket | false) => {
      if (token === false) {
        reject(new OctopusError('ERR_CONFIG_INVALID', `expected to listen on ${options.host}:${options.port}, was refused (port in use?)`));
        return;
      }
      const port = uws.us_socket_local_port(token as never);
      options.logger.info({ host: options.host, port }, 'gateway listening');
      let closed = false;
      resolve({
        port,
        close() {
          if (closed) return;
          closed = true;
          uws.us_listen_socket_close(token);
        },
      });
    });
  });
}

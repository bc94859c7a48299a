/**
 * The HTTP/WebSocket gateway on uWebSockets.js. It serves `GET /health` and whatever route modules the
 * engine mounts (each a function that registers its routes); the market-data and order-entry work add
 * REST routes and WS channels the same way. See http.ts for the uWS contract every route keeps.
 */
import uws from '@trufflesuite/uws-js-unofficial';
import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { OctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import { getJson, methodNotAllowed, notFound, type RouteOptions, type Security } from './http.js';
import { openApiRoutes } from './openapi.js';

export type RouteModule = (app: TemplatedApp, options: RouteOptions) => void;

export interface GatewayOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** The health document; `status` decides the HTTP code (503 while stopping). */
  health: () => { status: string };
  /** Extra route modules, registered before the catch-all 404. */
  routes?: RouteModule[];
  /** Largest accepted request body (default 8 MiB: big enough for a long price series). */
  maxBodyBytes?: number;
  /** Authentication and rate limits for protected routes. */
  security?: Security;
}

export interface Gateway {
  readonly port: number;
  close(): void;
}

export const kDefaultMaxBodyBytes = 8 * 1024 * 1024;

/**
 * Starts listening.
 * @throws (rejects) OctopusError ERR_CONFIG_INVALID when the port cannot be bound.
 */
export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const app = uws.App();
  const routeOptions: RouteOptions = {
    logger: options.logger,
    maxBodyBytes: options.maxBodyBytes ?? kDefaultMaxBodyBytes,
    ...(options.security === undefined ? {} : { security: options.security }),
  };
  getJson(app, '/health', routeOptions, () => {
    const report = options.health();
    return { status: report.status === 'stopping' ? 503 : 200, body: report };
  });
  methodNotAllowed(app, '/health', 'GET', routeOptions);
  for (const register of options.routes ?? []) register(app, routeOptions);
  openApiRoutes(app, routeOptions);
  notFound(app, routeOptions);
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

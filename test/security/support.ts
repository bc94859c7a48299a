/** Helpers of the hostile-client suite: engines that must refuse to start, the CLI, requests from chosen addresses. */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { startGateway, type Gateway, type RouteModule } from '../../src/gateway/http/server.js';
import { authRoutes } from '../../src/gateway/routes/auth-routes.js';
import type { Authenticator } from '../../src/gateway/auth/authenticator.js';
import { RateLimiter } from '../../src/gateway/auth/rate-limiter.js';
import { eventually } from '../support/eventually.js';

const binary = new URL('../../bin/octopus.js', import.meta.url).pathname;

/** Runs `octopus start` expecting it to exit by itself; resolves with its exit code and output. */
export async function startExpectingExit(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [binary, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, QUESTDB_URL: '' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

/** Runs an `octopus` command to completion. */
export function octopus(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [binary, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

/** One HTTP request from a chosen loopback source address (127.0.0.0/8), so tests can be several clients. */
export function requestFrom(
  localAddress: string,
  port: number,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, localAddress, headers: options.headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, json: text === '' ? null : JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/**
 * Sends a request's head and only `sentBodyBytes` of a body declared as `declaredBytes`, then waits for
 * the answer and for the server to close the connection. A server that read bodies before
 * authenticating would wait for the rest and never answer.
 */
export async function sendPartialBody(port: number, head: string[], declaredBytes: number, sentBodyBytes: number): Promise<{ head: string; body: any }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.write([...head, `Content-Length: ${declaredBytes}`, '', ''].join('\r\n'));
  socket.write(Buffer.alloc(sentBodyBytes, 0x20));
  try {
    await eventually(() => {
      if (!closed) throw new Error(`expected the server to answer and close, was open with ${JSON.stringify(text.slice(0, 200))}`);
    });
  } finally {
    socket.destroy();
  }
  const [responseHead = '', responseBody = ''] = text.split('\r\n\r\n');
  return { head: responseHead, body: responseBody === '' ? null : JSON.parse(responseBody) };
}

/** An in-process gateway on a free port with the auth routes, generous request limits and `routes`. */
export function startSecuredGateway(authenticator: Authenticator, routes: RouteModule[]): Promise<Gateway> {
  return startGateway({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    health: () => ({ status: 'ok' }),
    security: { authenticator, principalLimiter: new RateLimiter({ ratePerSecond: 1_000, burst: 1_000 }), addressLimiter: new RateLimiter({ ratePerSecond: 1_000, burst: 1_000 }) },
    routes: [authRoutes(authenticator), ...routes],
  });
}

/** Logs in from 127.0.0.1 and returns the token. */
export async function tokenFor(port: number, username: string, password: string): Promise<string> {
  const response = await requestFrom('127.0.0.1', port, 'POST', '/api/v1/auth/token', { body: JSON.stringify({ username, password }) });
  if (response.status !== 200) throw new Error(`expected a token for ${username}, was ${response.status} ${JSON.stringify(response.json)}`);
  return response.json.access_token as string;
}

/** The answers with `status`, each checked to carry `code` and `Retry-After: 1`. */
export function retryLaterAnswers(answers: readonly RawResponse[], status: number, code: string): RawResponse[] {
  const refused = answers.filter((answer) => answer.status === status);
  for (const answer of refused) {
    if (answer.json?.error?.code !== code || answer.headers['retry-after'] !== '1') {
      throw new Error(`expected ${status} answers to be ${code} with Retry-After: 1, was ${JSON.stringify(answer.json)} and ${String(answer.headers['retry-after'])}`);
    }
  }
  return refused;
}

/**
 * The REST client: openapi-fetch over the types generated from the engine's OpenAPI document
 * (api-types.ts, `npm run generate -w sdk`; test/sdk checks them against a live engine), so every path,
 * query parameter, body and answer is typed: `client.GET('/api/v1/orders', { params: { query: { status: 'open' } } })`.
 * Credentials: a bearer token (from `login`), or an API key that signs each request.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './api-types.js';
import { signedHeaders, type ApiKey } from './signing.js';

export type OctopusClient = Client<paths> & {
  /** Exchanges a username and password for a token that later requests carry. */
  login(username: string, password: string): Promise<void>;
};

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  apiKey?: ApiKey;
  fetch?: typeof fetch;
}

/** Thrown for a non-2xx answer by `unwrap`: the engine's typed error. */
export class OctopusApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'OctopusApiError';
  }
}

/** The data of a successful answer, or an OctopusApiError with the engine's code. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const body = result.error as { error?: { code?: string; message?: string } } | undefined;
    throw new OctopusApiError(result.response.status, body?.error?.code ?? 'ERR_HTTP', body?.error?.message ?? `HTTP ${result.response.status}`);
  }
  return result.data;
}

export function createOctopusClient(options: ClientOptions): OctopusClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) });
  let token = options.token ?? '';
  const credentials: Middleware = {
    async onRequest({ request }) {
      if (options.apiKey !== undefined) {
        const url = new URL(request.url);
        const body = request.body === null ? '' : await request.clone().text();
        for (const [name, value] of Object.entries(await signedHeaders(options.apiKey, request.method, url.pathname + url.search, body))) request.headers.set(name, value);
      } else if (token !== '') {
        request.headers.set('authorization', `Bearer ${token}`);
      }
      return request;
    },
  };
  client.use(credentials);
  return Object.assign(client, {
    async login(username: string, password: string): Promise<void> {
      token = unwrap(await client.POST('/api/v1/auth/token', { body: { username, password } })).access_token;
    },
  });
}

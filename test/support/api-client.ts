/**
 * A small REST client for integration tests: JSON in and out, bearer token or API-key headers, status
 * kept. Every answer is validated against the engine's served OpenAPI document (contract.ts), so the
 * system tests check the contract on every call they make.
 */
import { spawnSync } from 'node:child_process';
import { Contract } from './contract.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
}

/** One contract per engine base URL (a restarted engine on another port loads its own). */
const contracts = new Map<string, Promise<Contract>>();

export function contractOf(base: string): Promise<Contract> {
  let contract = contracts.get(base);
  if (contract === undefined) contracts.set(base, (contract = Contract.load(base)));
  return contract;
}

export class ApiClient {
  constructor(
    readonly base: string,
    private token = '',
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  get accessToken(): string {
    return this.token;
  }

  async login(username: string, password: string): Promise<this> {
    const response = await this.call('POST', '/api/v1/auth/token', { username, password });
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${JSON.stringify(response.json)}`);
    this.token = response.json.access_token as string;
    return this;
  }

  async call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const response = await fetch(this.base + path, {
      method,
      headers: { ...(this.token === '' ? {} : { authorization: `Bearer ${this.token}` }), ...this.extraHeaders },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const json = text === '' ? null : contentType.startsWith('application/json') ? JSON.parse(text) : text;
    // 404 and 405 of unknown paths are outside the document (they are the catch-all's).
    const contract = await contractOf(this.base);
    if (contract.operationOf(method, path) !== undefined) contract.validate(method, path, response.status, json, contentType.split(';')[0]);
    return { status: response.status, headers: response.headers, json };
  }
}

const binary = new URL('../../bin/octopus.js', import.meta.url).pathname;

/** Adds users with the CLI (as an operator would). */
export function addUsers(dataDir: string, users: Array<[username: string, role: string, password: string]>): void {
  for (const [username, role, password] of users) {
    const result = spawnSync(process.execPath, [binary, 'user', 'add', username, '--role', role, '--password', password, '--data-dir', dataDir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`user add ${username} failed: ${result.stderr}`);
  }
}

/** Creates an API key with the CLI; returns its id and secret. */
export function addApiKey(dataDir: string, username: string, readOnly = false): { keyId: string; secret: string } {
  const result = spawnSync(process.execPath, [binary, 'key', 'add', username, ...(readOnly ? ['--read-only'] : []), '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`key add ${username} failed: ${result.stderr}`);
  const keyId = /key_id: (\S+)/.exec(result.stdout)?.[1];
  const secret = /secret: (\S+)/.exec(result.stdout)?.[1];
  if (keyId === undefined || secret === undefined) throw new Error(`expected key_id and secret from key add, was ${result.stdout}`);
  return { keyId, secret };
}

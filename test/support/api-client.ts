/** A small REST client for integration tests: JSON in and out, bearer token, status kept. */
import { spawnSync } from 'node:child_process';

export interface ApiResponse {
  status: number;
  json: any;
}

export class ApiClient {
  constructor(
    readonly base: string,
    private token = '',
  ) {}

  async login(username: string, password: string): Promise<this> {
    const response = await this.call('POST', '/api/v1/auth/token', { username, password });
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${JSON.stringify(response.json)}`);
    this.token = response.json.access_token as string;
    return this;
  }

  async call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const response = await fetch(this.base + path, {
      method,
      headers: this.token === '' ? {} : { authorization: `Bearer ${this.token}` },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? null : JSON.parse(text) };
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

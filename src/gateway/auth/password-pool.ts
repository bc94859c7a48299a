/**
 * Password verification on a small bounded pool of its own (default one thread, 16 queued checks).
 * A login flood then costs at most that pool: JWT and API-key checks (synchronous HMACs on the event
 * loop) never wait behind scrypt, and a full queue answers 503 ERR_AUTH_BUSY at once instead of letting
 * checks pile up.
 */
import { OctopusError } from '../../engine/errors.js';
import { createGatewayPool } from '../worker-pool.js';
import { verifyPassword } from './passwords.js';
import type { PasswordTask } from './password-worker.js';
import type { Piscina } from 'piscina';

export interface PasswordVerifier {
  /** @throws (rejects with) OctopusError ERR_AUTH_BUSY when too many checks are waiting. */
  verify(password: string, stored: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface PasswordPoolOptions {
  threads: number;
  maxQueue: number;
}

export const defaultPasswordPoolOptions: PasswordPoolOptions = { threads: 1, maxQueue: 16 };

/** Verifies on libuv's pool, on the calling thread's behalf: for the CLI and unit tests only. */
export const inlinePasswordVerifier: PasswordVerifier = { verify: verifyPassword, close: async () => undefined };

export function createPasswordPool(options: PasswordPoolOptions = defaultPasswordPoolOptions): PasswordVerifier {
  let pool: Piscina | null = null;
  return {
    async verify(password, stored) {
      // Created on first use: a CLI command or a test that never logs in starts no thread.
      pool ??= createGatewayPool({ worker: './password-worker', base: import.meta.url, threads: options.threads, maxQueue: options.maxQueue });
      if (pool.queueSize >= options.maxQueue) {
        throw new OctopusError('ERR_AUTH_BUSY', `expected fewer than ${options.maxQueue} password checks waiting, was ${pool.queueSize}`, { retryAfterSeconds: 1 });
      }
      const task: PasswordTask = { password, stored };
      return (await pool.run(task)) as boolean;
    },
    async close() {
      const running = pool;
      pool = null;
      if (running !== null) await running.destroy();
    },
  };
}

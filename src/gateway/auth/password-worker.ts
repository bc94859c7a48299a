/**
 * The password pool's worker (password-pool.ts): one scrypt verification on this thread, synchronously,
 * so it neither blocks the event loop nor occupies libuv's shared thread pool.
 */
import { lowerThreadPriority } from '../worker-pool.js';
import { verifyPasswordSync } from './passwords.js';

// A flood of logins must not take CPU from order entry: hashing yields to the other threads.
lowerThreadPriority(10);

export interface PasswordTask {
  password: string;
  stored: string;
}

export default function verify(task: PasswordTask): boolean {
  return verifyPasswordSync(task.password, task.stored);
}

/**
 * Starts a worker thread from a module URL, whether the module is compiled JavaScript (dist/) or
 * TypeScript run from source (tests, `tsx`). Node cannot load a .ts worker entry by itself and does not
 * pass `--import` loaders to workers, so a .ts entry is started through a tiny bootstrap that registers
 * tsx's loader inside the worker first.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

let tsxApiUrl: string | undefined;

export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  tsxApiUrl ??= import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApiUrl)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((error) => { setImmediate(() => { throw error; }); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Starts `bin/octopus.js start` as a real child process on a free port and waits until it serves. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EngineProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const binary = new URL('../../bin/octopus.js', import.meta.url);

export function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'octopus-test-'));
}

/** What the benches add: environment variables and node flags (e.g. --cpu-prof) for the engine process. */
export interface EngineProcessExtras {
  env?: Record<string, string>;
  nodeArgs?: string[];
}

export async function startEngineProcess(args: string[] = [], timeoutMs = 60_000, dataDir = temporaryDataDir(), extras: EngineProcessExtras = {}): Promise<EngineProcess> {
  const child = spawn(process.execPath, [...(extras.nodeArgs ?? []), binary.pathname, 'start', '--port', '0', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The engine reads QUESTDB_URL as "store ticks in QuestDB"; tests that want that pass --questdb-url.
    env: { ...process.env, OCTOPUS_LOG_LEVEL: 'info', QUESTDB_URL: '', ...extras.env },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = (): void => {
      const match = /"port":(\d+),"dataDir"/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited with ${code} before serving:\n${output}`));
    });
  });
  return {
    child,
    port,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/**
 * Processes for the end-to-end suites (order-entry, ws-fanout, feed-latency, ingest): the engine
 * (test/support/engine-process.ts, `bin/octopus.js start`), the load generator (`bin/octopus.js loadtest
 * ... --json`, the command a desk runs, src/loadtest/), and the baseline servers in bench/workers/. Each is
 * its own process, so a server never shares an event loop or a core budget with what measures it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

const kBinary = new URL('../bin/octopus.js', import.meta.url).pathname;
const kOutputMaxChars = 64 * 1024;
/** Linux's USER_HZ: /proc stat times are in these ticks. */
const kClockTicksPerS = 100;

/** Keeps the last `kOutputMaxChars` of a stream, for error messages. */
function tail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-kOutputMaxChars);
  };
  child.stderr?.on('data', keep);
  return () => text;
}

/**
 * Runs `octopus loadtest <args> --json --quiet` in its own process and resolves with its JSON result.
 * @throws (rejects) Error when it exits non-zero (ws exits 1 on gaps: pass `allowFailure` to read those) or prints no JSON.
 */
export async function runLoadtest<T>(args: string[], options: { timeoutMs: number; allowFailure?: boolean }): Promise<T> {
  const child = spawn(process.execPath, [kBinary, 'loadtest', ...args, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const line = stdout.trim().split('\n').pop() ?? '';
  if ((code !== 0 && !(options.allowFailure === true && code === 1)) || !line.startsWith('{')) {
    throw new Error(`expected octopus loadtest ${args.join(' ')} to print a JSON result, was exit code ${code}:\n${stderr()}${stdout.slice(-2_000)}`);
  }
  return JSON.parse(line) as T;
}

export interface BenchServer {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts `bench/workers/<script>` (TypeScript, through tsx) as its own process; it must print
 * `listening <port>` on stdout once it serves.
 */
export async function startBenchServer(script: string, args: string[], timeoutMs = 30_000): Promise<BenchServer> {
  const entry = new URL(`./workers/${script}`, import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child);
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`expected ${script} to listen within ${timeoutMs} ms:\n${stderr()}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\d+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`expected ${script} to serve, was exit code ${code}:\n${stderr()}`));
    });
  });
  return {
    child,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * CPU time (user + system, seconds) of a process so far, from /proc; with `mainThreadOnly` only its main
 * thread (whose task id is the pid), e.g. the engine's gateway without its actor workers.
 */
export function cpuSeconds(pid: number, mainThreadOnly = false): number {
  const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th field, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / kClockTicksPerS;
}

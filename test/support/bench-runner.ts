/** Runs `node --import tsx bench/run.ts ...` as users run it, as a child process with a deadline. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const kRepositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runBench(args: string[], environment: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', ...args],
      { cwd: kRepositoryRoot, env: { ...process.env, ...environment }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr });
        } else if (typeof error.code === 'number') {
          resolve({ exitCode: error.code, stdout, stderr });
        } else {
          reject(new Error(`expected bench/run.ts ${args.join(' ')} to exit by itself, was ${error.message}\n${stderr}`, { cause: error }));
        }
      },
    );
  });
}

// Vitest globalSetup: makes `npm test` self-contained by starting a local QuestDB when none answers at
// QUESTDB_URL, and stopping it afterwards. A server that was already up (CI's .ci/run starts one, a
// developer may keep one running) is used as is and left running.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { isQuestdbUp, questdbUrl } from './support/questdb.js';

const kScriptPath = fileURLToPath(new URL('../scripts/questdb.sh', import.meta.url));
// Every step is bounded so that a broken machine fails the run instead of hanging it. A cold fetch
// downloads about 30 MB through Maven; the script bounds `wait` itself at 90 s, this is the backstop.
const kStepTimeoutMs = {
  fetch: 10 * 60_000,
  start: 30_000,
  wait: 120_000,
  stop: 60_000,
} as const;

type Step = keyof typeof kStepTimeoutMs;

/** Runs `bash scripts/questdb.sh <step>`, its output going to ours; rejects on failure or timeout. */
function runStep(step: Step, environment: NodeJS.ProcessEnv): Promise<void> {
  const timeoutMs = kStepTimeoutMs[step];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [kScriptPath, step], {
      env: environment,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    child.once('error', (error) => {
      reject(new Error(`expected to run scripts/questdb.sh ${step}, was ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const how = signal === null ? `exit code ${code}` : `signal ${signal} (limit ${timeoutMs} ms)`;
      reject(new Error(`expected scripts/questdb.sh ${step} to succeed, was ${how}`));
    });
  });
}

/**
 * The script's environment: the HTTP port follows QUESTDB_URL, so that a developer who moved the
 * server to another port gets it started there. Only a loopback URL can be started locally.
 * Throws when QUESTDB_URL names another host, since starting a local server would not make it answer.
 */
function scriptEnvironment(): NodeJS.ProcessEnv {
  const url = new URL(questdbUrl());
  const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (!loopbackHosts.has(url.hostname)) {
    throw new Error(`expected QuestDB at ${url.origin} to be up, was down, and it is not local to start`);
  }
  return { ...process.env, QUESTDB_HTTP_PORT: url.port === '' ? '9000' : url.port };
}

export default async function setup(): Promise<() => Promise<void>> {
  if (await isQuestdbUp()) {
    return async () => {};
  }
  const environment = scriptEnvironment();
  await runStep('fetch', environment);
  await runStep('start', environment);
  try {
    await runStep('wait', environment);
  } catch (waitError) {
    // Leave nothing behind when the server started but never answered, and report both failures.
    try {
      await runStep('stop', environment);
    } catch (stopError) {
      throw new AggregateError([waitError, stopError], 'expected QuestDB to answer and then stop, was neither');
    }
    throw waitError;
  }
  return async () => {
    await runStep('stop', environment);
  };
}

/**
 * The `octopus` command.
 *
 *   octopus start [--port N] [--host H] [--data-dir DIR] [--feed-rate N] [--seed N] ...
 *   octopus help
 */
import { loadConfig, settings } from './config.js';
import { isOctopusError } from './engine/errors.js';
import { rootLogger } from './engine/logger.js';
import { startEngine } from './actors/orchestrator/engine.js';

const usage = `usage: octopus <command> [options]

commands:
  start     start the engine (actors, simulated feed, gateway)
  help      show this text

options for start (flags override environment variables):
${settings.map((setting) => `  ${(setting.flag + ' <value>').padEnd(26)} ${setting.env.padEnd(24)} ${setting.help}`).join('\n')}
`;

const kDuplicateSignalWindowMs = 500;

async function start(args: string[]): Promise<void> {
  const config = loadConfig(args);
  const engine = await startEngine(config, rootLogger);
  rootLogger.info({ port: engine.gateway.port, dataDir: config.dataDir }, `octopus running: GET http://${config.host}:${engine.gateway.port}/health`);
  let firstSignalMs = -1;
  const shutdown = (signal: NodeJS.Signals): void => {
    const nowMs = performance.now();
    if (firstSignalMs >= 0) {
      // Ctrl-C under `npm start` arrives twice at once (from the terminal and forwarded by npm): only a
      // second signal a moment later means "stop now".
      if (nowMs - firstSignalMs < kDuplicateSignalWindowMs) return;
      rootLogger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalMs = nowMs;
    rootLogger.info({ signal }, 'shutting down');
    engine.stop().then(
      () => {
        rootLogger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        rootLogger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'start':
        await start(args);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(usage);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`octopus: unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (error) {
    if (isOctopusError(error)) {
      process.stderr.write(`octopus: ${error.code}: ${error.message}\n`);
      return error.code === 'ERR_CONFIG_INVALID' ? 2 : 1;
    }
    throw error;
  }
}

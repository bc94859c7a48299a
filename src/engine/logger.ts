/**
 * pino, configured once. Level from OCTOPUS_LOG_LEVEL (default info); JSON lines, or human-readable
 * lines through pino-pretty when OCTOPUS_LOG_PRETTY is true (`octopus start --log-pretty` sets it
 * before any worker starts, so every thread logs the same way).
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const level = process.env.OCTOPUS_LOG_LEVEL ?? 'info';

function isPretty(): boolean {
  return /^(1|true|yes)$/i.test(process.env.OCTOPUS_LOG_PRETTY ?? '');
}

/** A root logger: pretty (synchronous, for a terminal) or JSON lines. */
export function createRootLogger(prettyLines = isPretty()): Logger {
  const options = { level, base: { pid: process.pid } };
  return prettyLines ? pino(options, pretty({ colorize: process.stdout.isTTY === true, sync: true })) : pino(options);
}

export const rootLogger: Logger = createRootLogger();

export function childLogger(bindings: Record<string, unknown>): Logger {
  return rootLogger.child(bindings);
}

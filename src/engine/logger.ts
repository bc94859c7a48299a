/** pino, configured once. Level from OCTOPUS_LOG_LEVEL (default info). */
import { pino, type Logger } from 'pino';

export type { Logger };

const level = process.env.OCTOPUS_LOG_LEVEL ?? 'info';

export const rootLogger: Logger = pino({ level, base: { pid: process.pid } });

export function childLogger(bindings: Record<string, unknown>): Logger {
  return rootLogger.child(bindings);
}

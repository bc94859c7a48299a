/**
 * The `octopus` command.
 *
 *   octopus start [--port N] [--host H] [--data-dir DIR] [--feed-rate N] [--seed N] ...
 *   octopus user add <username> --role <role> [--password <pw>] [--data-dir DIR]   (password from stdin if not given)
 *   octopus key add <username> [--read-only] [--data-dir DIR]
 *   octopus audit verify [--data-dir DIR]
 *   octopus secret rotate [--drop-previous] [--data-dir DIR]
 *   octopus backtest --strategy sma_cross --data bars.csv [--params '{...}'] [--fill ...] [--json]
 *   octopus loadtest orders|ws --target URL --rate N --duration S --connections C ...   (src/loadtest/)
 *   octopus help | --help | start --help | --version
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { loadConfig, settings } from './config.js';
import { OctopusError, isOctopusError } from './engine/errors.js';
import { UserStore, roles } from './gateway/auth/users.js';
import { rotateJwtKey } from './gateway/auth/jwt-keys.js';
import { openStateStore } from './store/state-store.js';
import { AuditLog } from './store/audit-log.js';
import { Journal } from './store/journal.js';
import { probeLmdbFiles } from './store/lmdb-probe.js';
import { createRootLogger, rootLogger } from './engine/logger.js';
import { kVersion } from './version.js';
import { startEngine } from './main.js';
import { backtestCommand } from './actors/backtester/backtest-cli.js';
import { loadtest, loadtestUsage } from './loadtest/command.js';

const examples = `examples:
  octopus start                                     the simulated market on 127.0.0.1:8080, data in ./data
  octopus start --port 9000 --symbols TCHA,FINA --feed-rate 50 --log-pretty
  octopus start --config octopus.toml               the same keys as the flags: port = 9000, log-pretty = true
  octopus start --venue binance --venue-symbols BTCUSDT
  octopus user add alice --role trader              then open http://127.0.0.1:8080/ and log in
  octopus key add alice                             an API key (X-Octopus-* signing, or APCA-API-* headers)
`;

const startUsage = `usage: octopus start [--config FILE] [options]

Starts the engine: the actors, the simulated exchange, the gateway (REST, /ws, the dashboard at /).
Precedence: defaults < --config file (.toml or .json, keys as the flags without dashes) < environment < flags.

options (flag, environment variable, meaning):
  ${'--config <file>'.padEnd(26)} ${''.padEnd(24)} read settings from octopus.toml or octopus.json
${settings.map((setting) => `  ${(setting.flag + (setting.boolean === true ? '[=false]' : ' <value>')).padEnd(26)} ${setting.env.padEnd(24)} ${setting.help}`).join('\n')}

${examples}`;

const usage = `usage: octopus <command> [options]

commands:
  start                                   start the engine (actors, simulated feed, gateway)
  user add <username> --role <role> [--password <pw>] [--data-dir <dir>]
                                          add a user (roles: ${roles.join(', ')}); the password is
                                          read from standard input when --password is not given
  key add <username> [--read-only] [--data-dir <dir>]
                                          create an API key; prints its id and secret once
  audit verify [--data-dir <dir>]         prove the journal and audit chains intact, or name the first broken record
  secret rotate [--drop-previous] [--data-dir <dir>]
                                          new JWT signing key (a running engine uses it at once);
                                          tokens of the previous key stay valid until they expire,
                                          unless --drop-previous (then they are refused at once)
  backtest --strategy <name|file> --data <bars.csv> [--params '{...}'] [--fill market_on_close|next_open]
           [--fees 0.001] [--cash 100000] [--json]
                                          backtest a strategy over OHLCV bars (docs/backtest.md)
  loadtest orders|ws --target <url> --rate <n> --duration <s> --connections <c> ...
                                          load a running engine (REST orders or /ws clients) and
                                          print throughput, latency percentiles and errors by code
  help                                    show this text (start --help: every start option)
  --version                               print the version

${loadtestUsage}

${examples}`;

const kDuplicateSignalWindowMs = 500;

async function start(args: string[]): Promise<void> {
  const config = loadConfig(args);
  // Workers read it when they start: every thread logs the same way.
  if (config.logPretty) process.env.OCTOPUS_LOG_PRETTY = 'true';
  const logger = config.logPretty ? createRootLogger(true) : rootLogger;
  const engine = await startEngine(config, logger);
  logger.info({ port: engine.gateway.port, dataDir: config.dataDir }, `octopus running: dashboard http://${config.host}:${engine.gateway.port}/, health http://${config.host}:${engine.gateway.port}/health`);
  let firstSignalMs = -1;
  const shutdown = (signal: NodeJS.Signals): void => {
    const nowMs = performance.now();
    if (firstSignalMs >= 0) {
      // Ctrl-C under `npm start` arrives twice at once (from the terminal and forwarded by npm): only a
      // second signal a moment later means "stop now".
      if (nowMs - firstSignalMs < kDuplicateSignalWindowMs) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalMs = nowMs;
    logger.info({ signal }, 'shutting down');
    engine.stop().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

interface ParsedFlags {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

/**
 * `--name value`, `--name=value` and bare switches (those in `switchNames`), by node:util parseArgs
 * (strict: an unknown flag or a missing value is refused).
 * @throws OctopusError ERR_CONFIG_INVALID.
 */
function parseFlags(args: readonly string[], valueNames: readonly string[], switchNames: readonly string[]): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const name of valueNames) options[name.slice(2)] = { type: 'string' };
  for (const name of switchNames) options[name.slice(2)] = { type: 'boolean' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected one of ${[...valueNames, ...switchNames].join(', ')}: ${(error as Error).message}`, { cause: error });
  }
  const flags: ParsedFlags = { positional: parsed.positionals, values: new Map(), switches: new Set() };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') flags.values.set(`--${name}`, value);
    else if (value === true) flags.switches.add(`--${name}`);
  }
  return flags;
}

function dataDirOf(flags: ParsedFlags): string {
  return resolve(flags.values.get('--data-dir') ?? process.env.OCTOPUS_DATA_DIR ?? './data');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function userAdd(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['--role', '--password', '--data-dir'], []);
  const [username, ...extra] = flags.positional;
  if (username === undefined || extra.length > 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected one username, was ${flags.positional.length}`);
  const role = flags.values.get('--role');
  if (role === undefined) throw new OctopusError('ERR_CONFIG_INVALID', `expected --role (${roles.join(', ')}), was missing`);
  const password = flags.values.get('--password') ?? (await readStdin());
  const store = openStateStore(dataDirOf(flags));
  try {
    const user = await new UserStore(store).addUser(username, role, password);
    process.stdout.write(`user ${user.username} added with role ${user.role}\n`);
  } finally {
    await store.close();
  }
  return 0;
}

async function keyAdd(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['--data-dir'], ['--read-only']);
  const [username, ...extra] = flags.positional;
  if (username === undefined || extra.length > 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected one username, was ${flags.positional.length}`);
  const store = openStateStore(dataDirOf(flags));
  try {
    const key = await new UserStore(store).addApiKey(username, flags.switches.has('--read-only'));
    process.stdout.write(
      `key_id: ${key.keyId}\nsecret: ${key.secret}\nscope: ${key.readOnly ? 'read-only' : 'full (as the user role allows)'}\n` +
        'The secret is shown only now; store it safely.\n',
    );
  } finally {
    await store.close();
  }
  return 0;
}

async function secretRotate(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['--data-dir'], ['--drop-previous']);
  if (flags.positional.length > 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected no arguments, was ${flags.positional.join(' ')}`);
  const dataDir = dataDirOf(flags);
  if (!existsSync(join(dataDir, 'state.lmdb'))) throw new OctopusError('ERR_CONFIG_INVALID', `expected a data dir with state.lmdb, was ${dataDir}`);
  const store = openStateStore(dataDir);
  try {
    const dropPrevious = flags.switches.has('--drop-previous');
    const { kid, retiredKid, version } = rotateJwtKey(store, { dropPrevious });
    process.stdout.write(
      `JWT signing key rotated: new key ${kid} (version ${version}); previous key ${retiredKid} ` +
        `${dropPrevious ? 'dropped: its tokens are refused now' : 'accepted until its tokens expire'}\n`,
    );
  } finally {
    await store.close();
  }
  return 0;
}

/**
 * Verifies the chains the engine writes in `<data-dir>/execution.lmdb`: the command journal and the audit
 * trail. Read-only: it works while the engine runs, and refuses a data dir that does not exist rather than
 * create one (an "intact" verdict over nothing would prove nothing).
 * @returns 0 when both chains are intact, 1 naming the first broken record of each broken one.
 */
async function auditVerify(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['--data-dir'], []);
  if (flags.positional.length > 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected no arguments, was ${flags.positional.join(' ')}`);
  const dataDir = dataDirOf(flags);
  const file = join(dataDir, 'execution.lmdb');
  if (!existsSync(file)) throw new OctopusError('ERR_CONFIG_INVALID', `expected an engine data dir with execution.lmdb at ${dataDir}, was ${existsSync(dataDir) ? 'a directory without one' : 'missing'}`);
  probeLmdbFiles(dataDir, ['execution.lmdb']);
  const store = openStateStore(dataDir, 'execution.lmdb', { readOnly: true });
  try {
    let status = 0;
    // A read-only environment cannot create a database: one that was never written counts as empty.
    const databases = new Set([...store.root.getKeys({ limit: 256 })].filter((key) => typeof key === 'string'));
    const journal = databases.has('commands') ? new Journal(store).verify() : { ok: true as const, records: 0, lastHash: '0'.repeat(64) };
    if (journal.ok) process.stdout.write(`journal chain intact: ${journal.records} records, head hash ${journal.lastHash}\n`);
    else {
      process.stdout.write(`journal chain BROKEN at record ${journal.firstBrokenSeq} (after ${journal.records} good records): ${journal.reason}\n`);
      status = 1;
    }
    const audit = databases.has('audit') ? new AuditLog(store).verify() : { ok: true as const, records: 0, lastHash: '0'.repeat(64) };
    if (audit.ok) process.stdout.write(`audit chain intact: ${audit.records} records, last hash ${audit.lastHash}\n`);
    else {
      process.stdout.write(`audit chain BROKEN at record ${audit.firstBrokenSeq} (after ${audit.records} good records): ${audit.reason}\n`);
      status = 1;
    }
    return status;
  } finally {
    await store.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'start':
        if (args.includes('--help') || args.includes('-h')) {
          process.stdout.write(startUsage);
          return 0;
        }
        await start(args);
        return 0;
      case '--version':
      case '-v':
      case 'version':
        process.stdout.write(`octopus ${kVersion}\n`);
        return 0;
      case 'user':
      case 'key': {
        const [action, ...rest] = args;
        if (action !== 'add') {
          process.stderr.write(`octopus: expected "${command} add", was "${command} ${action ?? ''}"\n\n${usage}`);
          return 2;
        }
        return command === 'user' ? await userAdd(rest) : await keyAdd(rest);
      }
      case 'secret': {
        const [action, ...rest] = args;
        if (action !== 'rotate') {
          process.stderr.write(`octopus: expected "secret rotate", was "secret ${action ?? ''}"\n\n${usage}`);
          return 2;
        }
        return await secretRotate(rest);
      }
      case 'audit': {
        const [action, ...rest] = args;
        if (action !== 'verify') {
          process.stderr.write(`octopus: expected "audit verify", was "audit ${action ?? ''}"\n\n${usage}`);
          return 2;
        }
        return await auditVerify(rest);
      }
      case 'backtest':
        return await backtestCommand(args);
      case 'loadtest':
        return await loadtest(args);
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
      // A configuration problem (a bad flag, a port or data dir already taken) is a usage error: 2.
      return error.httpStatus === 400 || error.code.startsWith('ERR_CONFIG_') ? 2 : 1;
    }
    throw error;
  }
}

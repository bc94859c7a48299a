/**
 * Engine configuration: defaults, then environment variables, then command-line flags (flags win).
 * Every value is validated here, once; the rest of the engine trusts the types.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { OctopusError } from './engine/errors.js';

export interface EngineConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Symbols of the simulated feed. */
  symbols: string[];
  /** Where market data comes from: the simulated exchange (orders matched in the engine's books) or a plain random walk of trades. */
  feed: 'simulated' | 'random-walk';
  /** Simulated exchange: taker orders per second over all symbols; random walk: trades per second. 0 = no feed (an idle engine). */
  feedTradesPerSecond: number;
  /** CSV file of trades/quotes to replay (docs/market-data-sim.md has the format); undefined = none. */
  replayFile: string | undefined;
  /** Replay speed: 1 = real time, N = N times faster, Infinity = as fast as possible. */
  replaySpeed: number;
  /** A real venue's public market data: its kind, URLs and symbols (as the venue spells them). */
  venue: 'binance' | 'coinbase' | undefined;
  venueSymbols: string[];
  venueWsUrl: string | undefined;
  venueRestUrl: string | undefined;
  /** QuestDB HTTP URL for the warehouse; undefined = the embedded LMDB tick store. */
  questdbUrl: string | undefined;
  feedSeed: number;
  /** Bar intervals built live, in ms; the first is the one health and tests watch. */
  barIntervalsMs: number[];
  /** Inbox ring size per actor, bytes (power of two). */
  inboxBytes: number;
  /** New orders per second per account that pre-trade risk accepts (burst twice that). */
  maxOrdersPerSecond: number;
  /** Cash every new trading account starts with. */
  startingCash: number;
  makerFeeBps: number;
  takerFeeBps: number;
  /** Price and quantity grids of the simulated instruments. */
  tickSize: number;
  lotSize: number;
  /** Strategies run by the strategy actor (built-in names or files); empty = no strategy actor. */
  strategies: string[];
  /** Their parameters: one JSON object for all, or a JSON array with one object per strategy. */
  strategyParams: Record<string, unknown>[];
  /** Requests per second (sustained and burst) per authenticated user or API key. */
  rateLimitPerPrincipal: { ratePerSecond: number; burst: number };
  /** Requests per second (sustained and burst) per client address, for every request. */
  rateLimitPerAddress: { ratePerSecond: number; burst: number };
  /** WebSocket connections from one client address at most. */
  wsMaxConnectionsPerAddress: number;
  /** WebSocket connections without credentials at most (the rest of the 10,000 stay for authenticated clients). */
  wsMaxAnonymousConnections: number;
  /** A worker whose event loop stalls this long is terminated and restarted (0 = no watchdog). */
  watchdogMs: number;
  /** The execution actor snapshots its state every this many journal records (and at least every minute). */
  snapshotEveryRecords: number;
  /** Start over a broken journal chain by truncating it at the last good record. */
  recover: boolean;
  /** Serve REST market data (symbols, trades, bars, book) without credentials. */
  publicMarketData: boolean;
  /** Human-readable logs (pino-pretty) instead of JSON lines. */
  logPretty: boolean;
  /** The simulated exchange's step in ms: fair values move and its agents act once per step. */
  simStepMs: number;
  /**
   * BENCH ONLY, from OCTOPUS_BENCH_NO_JOURNAL=1 (no flag on purpose): commands are acknowledged without
   * being journaled or audited, so nothing survives a restart. The order-entry bench uses it to measure
   * the journal's share of the order path; never set it for trading.
   */
  benchNoJournal: boolean;
}

export const defaultConfig: EngineConfig = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  symbols: ['TCHA', 'TCHB', 'TCHC', 'TCHD', 'TCHE', 'FINA', 'FINB', 'FINC', 'FIND', 'FINE', 'ENRA', 'ENRB', 'ENRC', 'ENRD', 'ENRE', 'HLTA', 'HLTB', 'HLTC', 'HLTD', 'HLTE'],
  feed: 'simulated',
  feedTradesPerSecond: 200,
  questdbUrl: undefined,
  replayFile: undefined,
  replaySpeed: 1,
  venue: undefined,
  venueSymbols: [],
  venueWsUrl: undefined,
  venueRestUrl: undefined,
  feedSeed: 42,
  barIntervalsMs: [1_000, 60_000, 300_000, 3_600_000],
  inboxBytes: 1 << 22,
  maxOrdersPerSecond: 100,
  startingCash: 1_000_000,
  makerFeeBps: 0.5,
  takerFeeBps: 1,
  tickSize: 0.01,
  lotSize: 1,
  strategies: [],
  strategyParams: [],
  rateLimitPerPrincipal: { ratePerSecond: 50, burst: 100 },
  rateLimitPerAddress: { ratePerSecond: 200, burst: 400 },
  wsMaxConnectionsPerAddress: 100,
  wsMaxAnonymousConnections: 5_000,
  watchdogMs: 10_000,
  snapshotEveryRecords: 10_000,
  recover: false,
  publicMarketData: true,
  logPretty: false,
  simStepMs: 100,
  benchNoJournal: false,
};

export interface Setting {
  flag: string;
  env: string;
  key: keyof EngineConfig;
  parse: (text: string, name: string) => EngineConfig[keyof EngineConfig];
  help: string;
  /** A switch: present = true (`--flag`), or `--flag=false`; from the environment 1/0/true/false. */
  boolean?: boolean;
}

function parseBoolean(text: string, name: string): boolean {
  const value = text.trim().toLowerCase();
  if (value === '1' || value === 'true' || value === 'yes') return true;
  if (value === '0' || value === 'false' || value === 'no') return false;
  throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} true or false, was "${text}"`);
}

function parseInteger(min: number, max: number) {
  return (text: string, name: string): number => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be a whole number in [${min}, ${max}], was "${text}"`);
    }
    return value;
  };
}

/** An IP address, or a host name (RFC 1123 labels, the last one not all digits: `256.1.1.1` is neither). */
function parseHost(text: string, name: string): string {
  const labels = text.split('.');
  const isHostName = text.length <= 253 && labels.every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) && !/^\d+$/.test(labels.at(-1)!);
  if (isIP(text) === 0 && !isHostName) throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be an IP address or a host name, was "${text}"`);
  return text;
}

/** A file that exists and can be read now: a typo must stop the start, not replay nothing. */
function parseReadableFile(text: string, name: string): string {
  const path = resolve(parseNonEmpty(text, name));
  try {
    accessSync(path, constants.R_OK);
    if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to name a readable file, was "${text}" (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  return path;
}

function parseNonEmpty(text: string, name: string): string {
  if (text.trim() === '') throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be non-empty, was ""`);
  return text;
}

function parseSymbols(text: string, name: string): string[] {
  const symbols = text.split(',').map((symbol) => symbol.trim().toUpperCase());
  if (symbols.length === 0 || symbols.length > 1_000 || symbols.some((symbol) => !/^[A-Z0-9._-]{1,16}$/.test(symbol))) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be 1-1000 comma-separated symbols of [A-Z0-9._-]{1,16}, was "${text}"`);
  }
  return symbols;
}

function parsePowerOfTwo(text: string, name: string): number {
  const value = parseInteger(1 << 16, 1 << 28)(text, name);
  if ((value & (value - 1)) !== 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be a power of two, was ${value}`);
  return value;
}

function parseVenue(text: string, name: string): 'binance' | 'coinbase' {
  if (text !== 'binance' && text !== 'coinbase') throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} binance or coinbase, was "${text}"`);
  return text;
}

function parseWsUrl(text: string, name: string): string {
  if (!/^wss?:\/\/[^\s]+$/.test(text)) throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be a ws(s) URL, was "${text}"`);
  return text.replace(/\/+$/, '');
}

function parseSpeed(text: string, name: string): number {
  if (text === 'max') return Number.POSITIVE_INFINITY;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 1_000_000) throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} a positive number or max, was "${text}"`);
  return value;
}

function parseFeed(text: string, name: string): 'simulated' | 'random-walk' {
  if (text !== 'simulated' && text !== 'random-walk') throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} simulated or random-walk, was "${text}"`);
  return text;
}

function parseUrl(text: string, name: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be an http(s) URL, was "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} to be an http(s) URL, was "${text}"`);
  return url.origin;
}

function parseIntervals(text: string, name: string): number[] {
  const intervals = text.split(',').map((part) => parseInteger(10, 86_400_000)(part.trim(), name));
  if (intervals.length === 0 || intervals.length > 8 || new Set(intervals).size !== intervals.length) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected 1-8 distinct intervals, was "${text}"`);
  }
  return intervals;
}

function parseRate(text: string, name: string): { ratePerSecond: number; burst: number } {
  const ratePerSecond = parseInteger(1, 1_000_000)(text, name);
  return { ratePerSecond, burst: 2 * ratePerSecond };
}

function parseStrategies(text: string, name: string): string[] {
  const specs = text.split(',').map((spec) => spec.trim());
  if (specs.length === 0 || specs.length > 64 || specs.some((spec) => spec === '' || spec.length > 1_024)) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} 1-64 comma-separated strategy names or files, was "${text.slice(0, 80)}"`);
  }
  return specs;
}

function parseStrategyParams(text: string, name: string): Record<string, unknown>[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} a JSON object or array of objects, was "${text.slice(0, 80)}"`, { cause: error });
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length > 64 || list.some((entry) => typeof entry !== 'object' || entry === null || Array.isArray(entry))) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} a JSON object or array of at most 64 objects, was "${text.slice(0, 80)}"`);
  }
  return list as Record<string, unknown>[];
}

export const settings: Setting[] = [
  { flag: '--host', env: 'OCTOPUS_HOST', key: 'host', parse: parseHost, help: 'address to listen on (default 127.0.0.1)' },
  { flag: '--port', env: 'PORT', key: 'port', parse: parseInteger(0, 65_535), help: 'HTTP/WS port (default 8080; 0 = any free port)' },
  { flag: '--data-dir', env: 'OCTOPUS_DATA_DIR', key: 'dataDir', parse: parseNonEmpty, help: 'state directory (default ./data)' },
  { flag: '--symbols', env: 'OCTOPUS_SYMBOLS', key: 'symbols', parse: parseSymbols, help: 'simulated feed symbols, comma-separated' },
  { flag: '--feed', env: 'OCTOPUS_FEED', key: 'feed', parse: parseFeed, help: 'simulated (default: an exchange whose books users trade in) or random-walk' },
  {
    flag: '--feed-rate',
    env: 'OCTOPUS_FEED_RATE',
    key: 'feedTradesPerSecond',
    parse: parseInteger(0, 1_000_000),
    help: 'simulated taker orders (or random-walk trades) per second (default 200; 0 = no feed)',
  },
  { flag: '--replay', env: 'OCTOPUS_REPLAY', key: 'replayFile', parse: parseReadableFile, help: 'replay trades/quotes from this CSV file' },
  { flag: '--replay-speed', env: 'OCTOPUS_REPLAY_SPEED', key: 'replaySpeed', parse: parseSpeed, help: 'replay speed: 1 = real time, N = N x faster, max = as fast as possible' },
  { flag: '--venue', env: 'OCTOPUS_VENUE', key: 'venue', parse: parseVenue, help: 'also take market data from binance or coinbase (public feeds)' },
  { flag: '--venue-symbols', env: 'OCTOPUS_VENUE_SYMBOLS', key: 'venueSymbols', parse: parseSymbols, help: 'venue symbols, e.g. BTCUSDT or BTC-USD' },
  { flag: '--venue-ws-url', env: 'OCTOPUS_VENUE_WS_URL', key: 'venueWsUrl', parse: parseWsUrl, help: 'venue WebSocket base (default: the venue\'s public one)' },
  { flag: '--venue-rest-url', env: 'OCTOPUS_VENUE_REST_URL', key: 'venueRestUrl', parse: parseUrl, help: 'Binance REST base (default https://api.binance.com)' },
  { flag: '--questdb-url', env: 'QUESTDB_URL', key: 'questdbUrl', parse: parseUrl, help: 'store ticks in QuestDB at this HTTP URL (default: embedded LMDB)' },
  { flag: '--seed', env: 'OCTOPUS_SEED', key: 'feedSeed', parse: parseInteger(0, 2 ** 32 - 1), help: 'simulated feed seed (default 42)' },
  {
    flag: '--bar-intervals-ms',
    env: 'OCTOPUS_BAR_INTERVALS_MS',
    key: 'barIntervalsMs',
    parse: parseIntervals,
    help: 'live bar intervals in ms, comma-separated (default 1000,60000,300000,3600000)',
  },
  {
    flag: '--rate-limit',
    env: 'OCTOPUS_RATE_LIMIT',
    key: 'rateLimitPerPrincipal',
    parse: parseRate,
    help: 'requests/s per user or API key, burst 2x (default 50)',
  },
  {
    flag: '--address-rate-limit',
    env: 'OCTOPUS_ADDRESS_RATE_LIMIT',
    key: 'rateLimitPerAddress',
    parse: parseRate,
    help: 'requests/s per client address, burst 2x (default 200)',
  },
  {
    flag: '--ws-max-per-address',
    env: 'OCTOPUS_WS_MAX_PER_ADDRESS',
    key: 'wsMaxConnectionsPerAddress',
    parse: parseInteger(1, 10_000),
    help: 'WebSocket connections from one client address at most (default 100)',
  },
  {
    flag: '--ws-max-anonymous',
    env: 'OCTOPUS_WS_MAX_ANONYMOUS',
    key: 'wsMaxAnonymousConnections',
    parse: parseInteger(1, 10_000),
    help: 'WebSocket connections without credentials at most, of 10000 in all (default 5000)',
  },
  { flag: '--max-order-rate', env: 'OCTOPUS_MAX_ORDER_RATE', key: 'maxOrdersPerSecond', parse: parseInteger(1, 1_000_000), help: 'orders/s per account accepted by pre-trade risk (default 100)' },
  { flag: '--starting-cash', env: 'OCTOPUS_STARTING_CASH', key: 'startingCash', parse: parseInteger(0, 1e12), help: 'cash of each new account (default 1000000)' },
  { flag: '--strategy', env: 'OCTOPUS_STRATEGY', key: 'strategies', parse: parseStrategies, help: 'run strategies live: built-in names or files, comma-separated (docs/strategies.md)' },
  { flag: '--params', env: 'OCTOPUS_STRATEGY_PARAMS', key: 'strategyParams', parse: parseStrategyParams, help: "strategy parameters: '{...}' for all, or '[{...},{...}]' one per strategy" },
  { flag: '--inbox-bytes', env: 'OCTOPUS_INBOX_BYTES', key: 'inboxBytes', parse: parsePowerOfTwo, help: 'inbox ring bytes per actor (power of two, default 4 MiB)' },
  { flag: '--watchdog-ms', env: 'OCTOPUS_WATCHDOG_MS', key: 'watchdogMs', parse: parseInteger(0, 600_000), help: 'restart a worker stuck this long in a synchronous loop (default 10000; 0 = off)' },
  { flag: '--snapshot-every', env: 'OCTOPUS_SNAPSHOT_EVERY', key: 'snapshotEveryRecords', parse: parseInteger(100, 10_000_000), help: 'snapshot the execution state every N journal records (default 10000)' },
  { flag: '--sim-step-ms', env: 'OCTOPUS_SIM_STEP_MS', key: 'simStepMs', parse: parseInteger(1, 60_000), help: 'simulated exchange step in ms (default 100; smaller = busier market, pinned per data dir)' },
  { flag: '--recover', env: 'OCTOPUS_RECOVER', key: 'recover', parse: parseBoolean, boolean: true, help: 'truncate a broken journal chain at its last good record and start (logged and audited)' },
  {
    flag: '--public-market-data',
    env: 'OCTOPUS_PUBLIC_MARKET_DATA',
    key: 'publicMarketData',
    parse: parseBoolean,
    boolean: true,
    help: 'serve REST market data without credentials (default true; =false requires a login)',
  },
  { flag: '--log-pretty', env: 'OCTOPUS_LOG_PRETTY', key: 'logPretty', parse: parseBoolean, boolean: true, help: 'human-readable logs for a terminal (default: JSON lines)' },
];

/**
 * The flags as [flag, text] pairs in the order given, parsed by node:util parseArgs (strict: unknown
 * flags and missing values are refused). A switch given bare reads as "true".
 * @throws OctopusError ERR_CONFIG_INVALID.
 */
function parseFlags(args: readonly string[]): [string, string][] {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const setting of settings) options[setting.flag.slice(2)] = { type: setting.boolean === true ? 'boolean' : 'string' };
  const switchValues = new Map<number, string>();
  // `--recover=false` is not a parseArgs boolean: turn a switch with a value into its bare form.
  const normalised = args.map((arg, index) => {
    const setting = settings.find((candidate) => candidate.boolean === true && arg.startsWith(`${candidate.flag}=`));
    if (setting === undefined) return arg;
    switchValues.set(index, arg.slice(setting.flag.length + 1));
    return setting.flag;
  });
  let tokens;
  try {
    tokens = parseArgs({ args: normalised, options, strict: true, allowPositionals: false, tokens: true }).tokens;
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected flags among --config, ${settings.map((setting) => setting.flag).join(', ')}: ${(error as Error).message}`, { cause: error });
  }
  const pairs: [string, string][] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    pairs.push([`--${token.name}`, token.value ?? switchValues.get(token.index) ?? 'true']);
  }
  return pairs;
}

/** Largest config file read (a config is a few hundred bytes). */
const kConfigFileBytesMax = 1 << 20;

/**
 * The settings in a config file (`octopus.toml` or `octopus.json`): the same keys as the flags without
 * their dashes (`port = 8080`, `data-dir = "./data"`, `symbols = ["TCHA", "FINA"]`, `log-pretty = true`),
 * each value turned into the flag's text and checked by the same parser as the flag.
 * @throws OctopusError ERR_CONFIG_INVALID for an unreadable or malformed file, an unknown key, a bad value.
 */
export function readConfigFile(path: string): [Setting, string][] {
  let text: string;
  try {
    if (statSync(path).size > kConfigFileBytesMax) throw new Error(`larger than ${kConfigFileBytesMax} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected --config to name a readable file, was "${path}" (${(error as Error).message})`, { cause: error });
  }
  let values: Record<string, unknown>;
  try {
    const format = extname(path).toLowerCase();
    if (format !== '.toml' && format !== '.json') throw new Error(`expected a .toml or .json file, was ${format || 'no extension'}`);
    values = (format === '.toml' ? parseToml(text) : JSON.parse(text)) as Record<string, unknown>;
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new Error('expected a table of settings');
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${path} to be a TOML or JSON table of settings, was not (${(error as Error).message})`, { cause: error });
  }
  return Object.entries(values).map(([key, value]): [Setting, string] => {
    const setting = settings.find((candidate) => candidate.flag === `--${key}`);
    if (setting === undefined) throw new OctopusError('ERR_CONFIG_INVALID', `expected keys among ${settings.map((candidate) => candidate.flag.slice(2)).join(', ')} in ${path}, was "${key}"`);
    const isScalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    const isList = Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number');
    if (!isScalar && !isList) throw new OctopusError('ERR_CONFIG_INVALID', `expected ${key} in ${path} to be a string, number, boolean or list, was ${JSON.stringify(value)}`);
    return [setting, Array.isArray(value) ? value.join(',') : String(value)];
  });
}

/**
 * Builds the configuration: defaults, then a config file (`--config`), then the environment, then
 * `--flag value` / `--flag=value` arguments; every value goes through its setting's parser.
 * @throws OctopusError ERR_CONFIG_INVALID for an unknown flag or key, a missing value, or an invalid value.
 */
export function loadConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const config: Record<string, unknown> = { ...defaultConfig };
  const flags = parseFlags(args);
  const file = flags.filter(([flag]) => flag === '--config').at(-1)?.[1];
  if (file !== undefined) {
    for (const [setting, text] of readConfigFile(file)) config[setting.key] = setting.parse(text, `${setting.flag.slice(2)} in ${file}`);
  }
  for (const setting of settings) {
    const text = env[setting.env];
    if (text !== undefined && text !== '') config[setting.key] = setting.parse(text, setting.env);
  }
  for (const [flag, text] of flags) {
    if (flag === '--config') continue;
    const setting = settings.find((candidate) => candidate.flag === flag)!;
    config[setting.key] = setting.parse(text, flag);
  }
  config.benchNoJournal = env.OCTOPUS_BENCH_NO_JOURNAL === '1';
  const result = config as unknown as EngineConfig;
  if (result.strategyParams.length > 1 && result.strategyParams.length !== result.strategies.length) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected one --params object per --strategy (${result.strategies.length}), was ${result.strategyParams.length}`);
  }
  if (result.venue !== undefined && result.venueSymbols.length === 0) {
    throw new OctopusError('ERR_CONFIG_INVALID', 'expected --venue-symbols with --venue, was none');
  }
  return { ...result, dataDir: resolve(result.dataDir) };
}

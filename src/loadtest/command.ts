/**
 * `octopus loadtest orders|ws`: measure a running engine the way the benches do (the same generators:
 * http-load.ts, ws-load.ts). A progress line on stderr every second, then a table on stdout (or one JSON
 * object with --json, which is what the benches read).
 */
import { parseArgs } from 'node:util';
import { OctopusError } from '../engine/errors.js';
import { formatNs, type LatencySummary } from './latency.js';
import { runOrderLoad, type Credentials, type OrderLoadResult } from './orders.js';
import { runWsLoad, type WsLoadResult } from './ws-load.js';

export const loadtestUsage = `usage:
  octopus loadtest orders --target URL --rate N|max --duration S --connections C [options]
      --username U --password P | --key-id K --key-secret S | --token JWT
                                (the password may come from OCTOPUS_LOADTEST_PASSWORD instead)
      --symbol SYM (default TCHA)  --side buy|sell (buy)  --qty Q (1)  --price P (default: 8% away
      from the book)  --tif ioc|gtc|day|fok (ioc)  --warmup S (1)  --pipeline N (1: no pipelining)
  octopus loadtest ws --target URL --rate N --duration S --connections C [options]
      --rate is new connections per second while connecting
      --symbols A,B,...  subscribe to trades:SYM and book:SYM of each (default, with --token: every listed symbol, up to 32)
      --channels a,b,... the channels themselves instead   --depth N (10)   --latency   --token JWT
      --record FILE [--record-max N]  keep the first client's data frames (JSON lines, for replays)
      --setup-timeout S (30)  clients not subscribed by then count as failed; the run goes on without them
  both: --json (one JSON object on stdout)  --quiet (no progress line)
`;

const kCommonOptions = {
  target: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  connections: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  token: { type: 'string' },
} as const;

const kOrderOptions = {
  ...kCommonOptions,
  warmup: { type: 'string', default: '1' },
  pipeline: { type: 'string', default: '1' },
  username: { type: 'string' },
  password: { type: 'string' },
  'key-id': { type: 'string' },
  'key-secret': { type: 'string' },
  symbol: { type: 'string', default: 'TCHA' },
  side: { type: 'string', default: 'buy' },
  qty: { type: 'string', default: '1' },
  price: { type: 'string' },
  tif: { type: 'string', default: 'ioc' },
} as const;

const kWsOptions = {
  ...kCommonOptions,
  symbols: { type: 'string' },
  channels: { type: 'string' },
  depth: { type: 'string', default: '10' },
  latency: { type: 'boolean', default: false },
  record: { type: 'string' },
  'setup-timeout': { type: 'string', default: '30' },
  'record-max': { type: 'string', default: '200000' },
} as const;

function invalid(message: string): OctopusError {
  return new OctopusError('ERR_CONFIG_INVALID', message);
}

function parse<T extends typeof kOrderOptions | typeof kWsOptions>(args: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true }>>['values'] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw invalid(`expected loadtest flags (see octopus help), was: ${(error as Error).message}`);
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw invalid(`expected --${name}, was missing`);
  return value;
}

function positive(text: string | undefined, name: string, max: number, integer = true): number {
  const value = Number(required(text, name));
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw invalid(`expected --${name} a ${integer ? 'whole ' : ''}number in (0, ${max}], was "${text}"`);
  }
  return value;
}

function oneOf<T extends string>(text: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw invalid(`expected --${name} ${choices.join(' or ')}, was "${text}"`);
  return text as T;
}

function credentialsOf(values: ReturnType<typeof parse<typeof kOrderOptions>>): Credentials {
  if (values.token !== undefined) return { kind: 'token', token: values.token };
  if (values['key-id'] !== undefined) return { kind: 'api_key', keyId: values['key-id'], secret: required(values['key-secret'], 'key-secret') };
  if (values.username !== undefined) {
    const password = values.password ?? process.env.OCTOPUS_LOADTEST_PASSWORD;
    return { kind: 'password', username: values.username, password: required(password, 'password') };
  }
  throw invalid('expected credentials: --username/--password, --key-id/--key-secret or --token, was none');
}

function progressLine(quiet: boolean): ((text: string) => void) | undefined {
  if (quiet) return undefined;
  const live = process.stderr.isTTY === true;
  return (text) => process.stderr.write(live ? `\r${text.padEnd(78)}` : `${text}\n`);
}

async function ordersCommand(args: string[]): Promise<number> {
  const values = parse(args, kOrderOptions);
  const rateText = required(values.rate, 'rate');
  const show = progressLine(values.quiet);
  const result = await runOrderLoad({
    target: required(values.target, 'target'),
    rate: rateText === 'max' ? 'max' : positive(rateText, 'rate', 10_000_000, false),
    durationS: positive(values.duration, 'duration', 3_600, false),
    warmupS: values.warmup === '0' ? 0 : positive(values.warmup, 'warmup', 600, false),
    connections: positive(values.connections, 'connections', 10_000),
    pipeline: positive(values.pipeline, 'pipeline', 1_024),
    credentials: credentialsOf(values),
    symbol: values.symbol,
    side: oneOf(values.side, 'side', ['buy', 'sell'] as const),
    qty: values.qty,
    price: values.price,
    timeInForce: oneOf(values.tif, 'tif', ['ioc', 'gtc', 'day', 'fok'] as const),
    ...(show === undefined
      ? {}
      : { onProgress: (progress) => show(`${progress.elapsedS.toFixed(0)} s  ${progress.ratePerS.toFixed(0)} responses/s  ${progress.completed} done  ${progress.errors} errors  p99 so far ${formatNs(progress.p99NsSoFar)}`) }),
  });
  if (show !== undefined && process.stderr.isTTY === true) process.stderr.write('\n');
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : ordersTable(result));
  return 0;
}

function latencyCells(summary: LatencySummary): string {
  return `p50 ${formatNs(summary.p50_ns)}  p90 ${formatNs(summary.p90_ns)}  p99 ${formatNs(summary.p99_ns)}  p99.9 ${formatNs(summary.p999_ns)}  max ${formatNs(summary.max_ns)}`;
}

function rows(lines: Array<[string, string]>): string {
  const width = Math.max(...lines.map(([name]) => name.length));
  return lines.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n');
}

function ordersTable(result: OrderLoadResult): string {
  const codes = Object.entries(result.by_code).map(([code, count]): [string, string] => [code, String(count)]);
  return (
    `loadtest orders: ${result.target}, offered ${result.offered_per_s === 'max' ? 'max (closed loop)' : `${result.offered_per_s}/s`}, ` +
    `${result.duration_s} s, ${result.connections} connections, pipeline ${result.pipeline}\n` +
    `order: ${result.order.side} ${result.order.qty} ${result.order.symbol} limit ${result.order.limit_price} ${result.order.time_in_force}\n` +
    `${rows([
      ['sent', String(result.sent)],
      ['ok (2xx)', `${result.ok}  (${result.ok_per_s.toFixed(0)}/s)`],
      ['responses', `${(result.completed_per_s * result.duration_s).toFixed(0)}  (${result.completed_per_s.toFixed(0)}/s)`],
      ['unsent', `${result.unsent}  (offered but the client was still waiting for the server)`],
      ['timeouts', String(result.timeouts)],
      ['latency', latencyCells(result.latency)],
      ['send lag', result.offered_per_s === 'max' ? '- (closed loop)' : latencyCells(result.send_lag)],
    ])}\n` +
    `responses by code:\n${codes.length === 0 ? '  (none)' : rows(codes)}\n`
  );
}

/** Every listed symbol (at most 32: 64 channels per subscribe), from GET /api/v1/symbols (which needs a token). */
async function listedSymbols(target: string, token: string | undefined): Promise<string[]> {
  if (token === undefined) throw invalid('expected --symbols, --channels or --token (to list the symbols), was none');
  const response = await fetch(`${new URL(target.replace(/^ws/, 'http')).origin}/api/v1/symbols`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`expected GET /api/v1/symbols to answer 200 (or pass --symbols), was ${response.status}`);
  const symbols = (await response.json()) as Array<{ symbol: string }>;
  return symbols.slice(0, 32).map((entry) => entry.symbol);
}

async function wsCommand(args: string[]): Promise<number> {
  const values = parse(args, kWsOptions);
  const target = required(values.target, 'target');
  const symbols = values.symbols?.split(',') ?? (values.channels === undefined ? await listedSymbols(target, values.token) : []);
  const channels = values.channels?.split(',') ?? symbols.flatMap((symbol) => [`trades:${symbol}`, `book:${symbol}`]);
  const show = progressLine(values.quiet);
  const result = await runWsLoad({
    target,
    connections: positive(values.connections, 'connections', 100_000),
    connectRatePerS: positive(values.rate, 'rate', 100_000, false),
    durationS: positive(values.duration, 'duration', 3_600, false),
    channels,
    depth: positive(values.depth, 'depth', 1_000),
    latency: values.latency,
    setupTimeoutS: positive(values['setup-timeout'], 'setup-timeout', 600, false),
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(values.record === undefined ? {} : { record: { path: values.record, maxFrames: positive(values['record-max'], 'record-max', 10_000_000) } }),
    ...(show === undefined ? {} : { onProgress: (progress) => show(`${progress.elapsedS.toFixed(0)} s  ${progress.framesPerS} frames/s  ${progress.open} open  ${progress.gaps} gaps`) }),
  });
  if (show !== undefined && process.stderr.isTTY === true) process.stderr.write('\n');
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : wsTable(result));
  return result.gaps === 0 ? 0 : 1;
}

function wsTable(result: WsLoadResult): string {
  const lines: Array<[string, string]> = [
    ['subscribed', `${result.subscribed} of ${result.connections}`],
    ['failed', JSON.stringify(result.failed)],
    ['closed by server', JSON.stringify(result.closed)],
    ['frames', `${result.frames}  (${result.frames_per_s.toFixed(0)}/s, ${(result.bytes_per_s / 1e6).toFixed(1)} MB/s)`],
    ['per client', `min ${result.frames_per_client.min}  median ${result.frames_per_client.median}  max ${result.frames_per_client.max}`],
    ['gaps', `${result.gaps} frames missed, ${result.clients_with_gaps} clients with gaps`],
  ];
  if (result.emit_latency !== null) lines.push(['market events', `${result.events_per_s.toFixed(0)}/s (trades + quotes + book levels changed, over all clients)`]);
  if (result.emit_latency !== null) lines.push(['emit -> receipt', latencyCells(result.emit_latency)]);
  if (result.event_latency !== null) lines.push(['event -> receipt', latencyCells(result.event_latency)]);
  if (result.event_to_emit !== null) lines.push(['event -> emit', `${latencyCells(result.event_to_emit)}  (inside the engine)`]);
  if (result.emit_latency !== null) lines.push(['clock offset', `start ${formatNs(result.clock_offset_ns.start)}, end ${formatNs(result.clock_offset_ns.end)} (this process's clock - CLOCK_REALTIME)`]);
  return `loadtest ws: ${result.target}, ${result.duration_s.toFixed(1)} s\n${rows(lines)}\n`;
}

/** `octopus loadtest <orders|ws> ...`; returns the exit code (2 for a bad command line). */
export async function loadtest(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  try {
    if (kind === 'orders') return await ordersCommand(rest);
    if (kind === 'ws') return await wsCommand(rest);
  } catch (error) {
    if (error instanceof OctopusError) throw error;
    // The target refused, answered nonsense or went away: say so in one line, not a stack.
    process.stderr.write(`octopus loadtest ${kind}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stderr.write(`octopus: expected "loadtest orders" or "loadtest ws", was "loadtest ${kind ?? ''}"\n\n${loadtestUsage}`);
  return 2;
}

/**
 * Runs the bench suites: every bench/suites/<name>.ts, in name order, or only those named.
 *
 *   npm run bench                      # every suite, a table each
 *   npm run bench -- ring codec        # only these
 *   npm run bench -- --json codec      # one JSON object per row and line, nothing else on stdout
 *   npm run bench -- --quick           # short runs (smoke tests)
 *
 * Exit codes: 0 all suites ran; 1 a suite threw (the others still run); 2 bad command line (unknown
 * suite or option). A suite must end its own workers and timers; if the process is still alive a few
 * seconds after the last suite, something leaked: it says so and exits with 1 rather than hanging.
 */
import { readdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { formatDurationNs, formatOps, formatRatio, type BenchRow, type BenchSuite } from './lib.js';

const kSuitesDirectory = new URL('./suites/', import.meta.url);
const kLeakGraceMs = 5_000;
const kUsage = 'usage: npm run bench -- [--json] [--quick] [suite ...]';

interface CommandLine {
  json: boolean;
  quick: boolean;
  names: string[];
}

/** @throws UsageError on an unknown option. */
function parseCommandLine(args: string[]): CommandLine {
  const commandLine: CommandLine = { json: false, quick: false, names: [] };
  for (const arg of args) {
    if (arg === '--json') commandLine.json = true;
    else if (arg === '--quick') commandLine.quick = true;
    else if (arg.startsWith('-')) throw new UsageError(`expected --json, --quick or a suite name, was "${arg}"\n${kUsage}`);
    else commandLine.names.push(arg);
  }
  return commandLine;
}

class UsageError extends Error {}

/** Suite names, from the file names in bench/suites (sorted); no suite is loaded to list them. */
async function availableSuites(): Promise<string[]> {
  const files = await readdir(kSuitesDirectory);
  return files
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

/**
 * Loads a suite and checks its shape.
 * @throws Error when the module's default export is not a BenchSuite named after its file.
 */
async function loadSuite(name: string): Promise<BenchSuite> {
  const module = (await import(new URL(`${name}.ts`, kSuitesDirectory).href)) as { default?: unknown };
  const suite = module.default as Partial<BenchSuite> | undefined;
  if (typeof suite !== 'object' || suite === null || typeof suite.run !== 'function' || typeof suite.name !== 'string') {
    throw new Error(`expected bench/suites/${name}.ts to default-export a BenchSuite, was ${typeof suite}`);
  }
  if (suite.name !== name) throw new Error(`expected bench/suites/${name}.ts to be named "${name}", was "${suite.name}"`);
  return suite as BenchSuite;
}

/** Left-aligned (text) columns; the others are numbers and right-aligned. */
const kTextColumns = new Set<string>(['case', 'unit', 'baseline', 'note']);

/** The columns: p99.9 and note only when some row has them (the end-to-end suites). */
function columnsOf(rows: readonly BenchRow[]): string[] {
  const p999 = rows.some((row) => row.p999_ns !== undefined);
  const note = rows.some((row) => row.note !== undefined);
  return ['case', 'ops/s', 'unit', 'p50', 'p99', ...(p999 ? ['p99.9'] : []), 'baseline', 'ratio', ...(note ? ['note'] : [])];
}

function tableLines(rows: BenchRow[]): string[] {
  const columns = columnsOf(rows);
  const cellOf = (row: BenchRow, column: string): string => {
    switch (column) {
      case 'case': return row.case;
      case 'ops/s': return formatOps(row.ops_per_s);
      case 'unit': return row.unit;
      case 'p50': return formatDurationNs(row.p50_ns);
      case 'p99': return formatDurationNs(row.p99_ns);
      case 'p99.9': return formatDurationNs(row.p999_ns);
      case 'baseline': return row.baseline ?? '(baseline)';
      case 'ratio': return formatRatio(row.ratio_vs_baseline);
      default: return row.note ?? '';
    }
  };
  const cells = rows.map((row) => columns.map((column) => cellOf(row, column)));
  const widths = columns.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const render = (line: readonly string[]): string =>
    line
      .map((cell, column) => (kTextColumns.has(columns[column]!) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [render(columns), render(widths.map((width) => '-'.repeat(width))), ...cells.map(render)];
}

function jsonLine(row: BenchRow): string {
  const { suite, ops_per_s, p50_ns, p99_ns, p999_ns, baseline, ratio_vs_baseline, unit, note } = row;
  return JSON.stringify({ suite, case: row.case, ops_per_s, p50_ns, p99_ns, ...(p999_ns === undefined ? {} : { p999_ns }), baseline, ratio_vs_baseline, unit, ...(note === undefined ? {} : { note }) });
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** Runs one suite and prints its rows; returns false when it threw (the error is printed to stderr). */
async function runSuite(name: string, commandLine: CommandLine): Promise<boolean> {
  const startedMs = performance.now();
  const loadBefore = load();
  try {
    const suite = await loadSuite(name);
    if (!commandLine.json) process.stdout.write(`\n## ${suite.name}: ${suite.description}\n`);
    const rows = await suite.run({ quick: commandLine.quick });
    if (commandLine.json) {
      for (const row of rows) process.stdout.write(`${jsonLine(row)}\n`);
    } else {
      const seconds = ((performance.now() - startedMs) / 1_000).toFixed(1);
      process.stdout.write(`${tableLines(rows).join('\n')}\n(${seconds} s; load average before ${loadBefore}, after ${load()})\n`);
    }
    return true;
  } catch (error) {
    process.stderr.write(`bench suite ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return false;
  }
}

async function main(): Promise<number> {
  let commandLine: CommandLine;
  try {
    commandLine = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const available = await availableSuites();
  const unknown = commandLine.names.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`expected a suite among ${available.join(', ')}; was unknown: ${unknown.join(', ')}\n${kUsage}\n`);
    return 2;
  }
  const selected = commandLine.names.length === 0 ? available : available.filter((name) => commandLine.names.includes(name));
  let failed = 0;
  for (const name of selected) if (!(await runSuite(name, commandLine))) failed++;
  if (failed > 0) process.stderr.write(`${failed} of ${selected.length} bench suites failed\n`);
  return failed > 0 ? 1 : 0;
}

// A reader that stops early (`npm run bench -- --json | head`) closes the pipe: stop quietly, as Unix
// tools do, instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

main().then(
  (exitCode) => {
    process.exitCode = exitCode;
    // Unref'd, so it does not keep the process alive itself: it fires only if something else (a leaked
    // worker, socket or timer) does.
    setTimeout(() => {
      process.stderr.write(`bench: still running ${kLeakGraceMs} ms after the last suite; a suite leaked a worker or handle\n`);
      process.exit(exitCode === 0 ? 1 : exitCode);
    }, kLeakGraceMs).unref();
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);

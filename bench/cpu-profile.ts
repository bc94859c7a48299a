/**
 * Summarises `node --cpu-prof` profiles (one .cpuprofile per thread) as Markdown: per thread its busy
 * time, then the functions with the most self time over all threads. Self time of a function is the sum
 * of the sampling intervals whose sample landed in it (the profile's `timeDeltas`), aggregated by name
 * and source location. `(idle)` is the thread waiting for work and is left out of the busy time.
 *
 *   node --import tsx bench/cpu-profile.ts <dir-or-file.cpuprofile> [top]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface FunctionTime {
  thread: string;
  name: string;
  location: string;
  selfUs: number;
}

const kRepositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** Names a thread by the actor module it ran (src/actors/<agent>/), else main / worker. */
function threadName(file: string, profile: CpuProfile): string {
  for (const node of profile.nodes) {
    const match = /(?:src|dist)\/actors\/([a-z-]+)\/[a-z-]+-actor\./.exec(node.callFrame.url);
    if (match !== null) return `${match[1]} worker`;
  }
  // Node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
  return basename(file).split('.')[4] === '0' ? 'main thread' : `worker ${basename(file).split('.')[4]}`;
}

function location(frame: ProfileNode['callFrame']): string {
  if (frame.url === '') return '';
  const path = frame.url.replace(/^file:\/\//, '').replace(kRepositoryRoot, '').replace(/^.*node_modules\//, 'node_modules/');
  return `${path}:${frame.lineNumber + 1}`;
}

/** Self time per function of one profile, and the thread's busy (non-idle) time, in µs. */
function selfTimes(file: string): { thread: string; busyUs: number; functions: FunctionTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const thread = threadName(file, profile);
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, FunctionTime>();
  let busyUs = 0;
  profile.samples.forEach((nodeId, index) => {
    const frame = byNode.get(nodeId)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') return;
    const deltaUs = profile.timeDeltas[index + 1] ?? 0;
    busyUs += deltaUs;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${name}|${location(frame)}`;
    const entry = totals.get(key) ?? { thread, name, location: location(frame), selfUs: 0 };
    entry.selfUs += deltaUs;
    totals.set(key, entry);
  });
  return { thread, busyUs, functions: [...totals.values()] };
}

function profileFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(path, name));
}

/** The Markdown summary of every profile under `path` (a directory or one file). */
export function summarizeProfiles(path: string, top = 25): string {
  const threads = profileFiles(path).map(selfTimes);
  if (threads.length === 0) return `no .cpuprofile under ${path}`;
  const busyTotalUs = threads.reduce((total, thread) => total + thread.busyUs, 0);
  const lines = ['| thread | busy (ms) | share of all busy time |', '| --- | ---: | ---: |'];
  for (const thread of [...threads].sort((left, right) => right.busyUs - left.busyUs)) {
    lines.push(`| ${thread.thread} | ${(thread.busyUs / 1e3).toFixed(0)} | ${((100 * thread.busyUs) / busyTotalUs).toFixed(1)} % |`);
  }
  lines.push('', '| # | thread | function | location | self (ms) | share of all busy time |', '| ---: | --- | --- | --- | ---: | ---: |');
  const functions = threads.flatMap((thread) => thread.functions).sort((left, right) => right.selfUs - left.selfUs);
  functions.slice(0, top).forEach((entry, index) => {
    lines.push(`| ${index + 1} | ${entry.thread} | \`${entry.name}\` | ${entry.location} | ${(entry.selfUs / 1e3).toFixed(0)} | ${((100 * entry.selfUs) / busyTotalUs).toFixed(1)} % |`);
  });
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [path, top] = process.argv.slice(2);
  if (path === undefined) {
    process.stderr.write('usage: node --import tsx bench/cpu-profile.ts <dir-or-file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfiles(path, top === undefined ? 25 : Number(top))}\n`);
}

#!/usr/bin/env node
/**
 * Compiles every AssemblyScript kernel asm/<name>.ts to build/asm/<name>.wasm (plus <name>.wat, the text
 * form, for reading the generated code). Run from anywhere: paths are resolved from this file.
 *
 * Flags, and why:
 *   --enable simd      the kernels use f64x2 (WebAssembly SIMD128; Node >= 16 runs it).
 *   -O3 (optimizeLevel 3, shrinkLevel 0)  speed over size; the modules are a few kilobytes either way.
 *   --runtime stub     the kernels never allocate managed objects, so no garbage collector is linked in.
 *   no --noAssert      the entry asserts cost one compare per call and turn a broken invariant into a trap.
 *
 * Exits 1 if any module fails to compile.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import asc from 'assemblyscript/asc';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDirectory = path.join(repositoryRoot, 'asm');
const targetDirectory = path.join(repositoryRoot, 'build', 'asm');

async function main() {
  const entries = await readdir(sourceDirectory, { withFileTypes: true });
  const sources = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => entry.name)
    .sort();
  if (sources.length === 0) {
    console.error(`build-asm: expected at least one asm/*.ts, was none in ${sourceDirectory}`);
    process.exit(1);
  }
  await mkdir(targetDirectory, { recursive: true });
  let failures = 0;
  for (const source of sources) {
    const name = source.slice(0, -'.ts'.length);
    const startedMs = performance.now();
    const result = await asc.main([
      path.join(sourceDirectory, source),
      '--outFile', path.join(targetDirectory, `${name}.wasm`),
      '--textFile', path.join(targetDirectory, `${name}.wat`),
      '--enable', 'simd',
      '--optimizeLevel', '3',
      '--shrinkLevel', '0',
      '--runtime', 'stub',
    ], { stdout: process.stdout, stderr: process.stderr });
    const elapsedMs = Math.round(performance.now() - startedMs);
    if (result.error) {
      failures++;
      console.error(`build-asm: asm/${source} failed: ${result.error.message}`);
    } else {
      console.log(`build-asm: asm/${source} -> build/asm/${name}.wasm (${elapsedMs} ms)`);
    }
  }
  if (failures > 0) process.exit(1);
}

main().catch((error) => {
  console.error('build-asm: unexpected failure', error);
  process.exit(1);
});

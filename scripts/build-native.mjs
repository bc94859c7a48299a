#!/usr/bin/env node
/**
 * Builds the Rust kernels addon (native/) in the release profile and installs it as
 * native/octopus.<platform>-<arch>.node, the name src/kernels/backend.ts looks for.
 *
 * Plain `cargo build` plus a copy, rather than `napi build`: the addon needs no generated JS loader or
 * TypeScript definitions (src/kernels/indicators/moving-average-backends.ts loads and types it), and this keeps the build
 * working with nothing but cargo on the PATH.
 *
 * When cargo is not installed this prints a warning and exits 0: the engine then runs on the WASM (or TS)
 * kernels, and says so at start-up. A build that starts and fails exits 1.
 *
 * Environment: CARGO (cargo executable, default "cargo"); OCTOPUS_NATIVE_OFFLINE=1 adds --offline.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const crateDirectory = path.join(repositoryRoot, 'native');
const cargo = process.env.CARGO ?? 'cargo';

/** What cargo calls a cdylib named octopus_native on each platform. */
const libraryFileNames = {
  linux: 'liboctopus_native.so',
  darwin: 'liboctopus_native.dylib',
  win32: 'octopus_native.dll',
};

function main() {
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    console.warn(
      `build-native: WARNING: ${cargo} not found (${probe.error?.message ?? `exit ${probe.status}`}); ` +
        'skipping the Rust addon. The engine will run on the WASM kernels (or the TS reference). ' +
        'Install Rust from https://rustup.rs to build it.',
    );
    return 0;
  }
  const libraryFileName = libraryFileNames[process.platform];
  if (libraryFileName === undefined) {
    console.warn(`build-native: WARNING: expected linux, darwin or win32, was ${process.platform}; skipping the Rust addon.`);
    return 0;
  }
  console.log(`build-native: ${probe.stdout.trim()}; cargo build --release in native/`);
  const startedMs = performance.now();
  const cargoArguments = ['build', '--release', '--locked'];
  if (process.env.OCTOPUS_NATIVE_OFFLINE === '1') cargoArguments.push('--offline');
  const build = spawnSync(cargo, cargoArguments, { cwd: crateDirectory, stdio: 'inherit' });
  const elapsedSeconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  if (build.error !== undefined || build.status !== 0) {
    console.error(`build-native: cargo build failed after ${elapsedSeconds} s (${build.error?.message ?? `exit ${build.status}`})`);
    return 1;
  }
  const builtPath = path.join(crateDirectory, 'target', 'release', libraryFileName);
  if (!existsSync(builtPath)) {
    console.error(`build-native: expected ${builtPath} after the build, was missing`);
    return 1;
  }
  const addonPath = path.join(crateDirectory, `octopus.${process.platform}-${process.arch}.node`);
  // Copy next to the target and rename over it, so a running process never loads a half-written file.
  const temporaryPath = `${addonPath}.tmp-${process.pid}`;
  try {
    copyFileSync(builtPath, temporaryPath);
    renameSync(temporaryPath, addonPath);
  } finally {
    rmSync(temporaryPath, { force: true });
  }
  console.log(`build-native: built in ${elapsedSeconds} s -> ${path.relative(repositoryRoot, addonPath)}`);
  return 0;
}

process.exitCode = main();

/**
 * Where the compiled kernels live. Paths are resolved from this module's own URL, which sits two levels
 * below the repository root both as src/kernels/artifacts.ts (under tsx or vitest) and as
 * dist/kernels/artifacts.js (after tsc), so the same code finds build/ and native/ in both layouts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repositoryRootUrl = new URL('../../', import.meta.url);

/** The AssemblyScript kernels, built by `npm run build:asm` (scripts/build-asm.mjs). */
export const wasmModulePath = fileURLToPath(new URL('build/asm/moving-average.wasm', repositoryRootUrl));

/**
 * The Rust addon for this machine, built by `npm run build:native` (scripts/build-native.mjs, which names
 * the file the same way): native/octopus.<platform>-<arch>.node, e.g. octopus.linux-x64.node.
 */
export const nativeAddonPath = fileURLToPath(
  new URL(`native/octopus.${process.platform}-${process.arch}.node`, repositoryRootUrl),
);

/** A path relative to the repository root, for messages. */
export function describePath(path: string): string {
  const root = fileURLToPath(repositoryRootUrl);
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/** A loaded artifact, or why it could not be loaded. */
export type ArtifactLoad<T> = { value: T; reason: null } | { value: null; reason: string };

/**
 * Loads the Rust addon at `path` for one kernel family; never throws. Each family then checks its own
 * exports and version (an addon built from older sources lacks them).
 */
export function requireNativeAddon<T>(path: string = nativeAddonPath): ArtifactLoad<T> {
  try {
    return { value: createRequire(import.meta.url)(path) as T, reason: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'MODULE_NOT_FOUND' || code === 'ENOENT'
        ? `Rust addon not built (${describePath(path)} missing; run npm run build:native)`
        : `Rust addon failed to load (${describePath(path)}: ${String(error)})`;
    return { value: null, reason };
  }
}

/** Reads a compiled WASM module; `label` names it in the reason ("WASM kernels", "WASM optimiser"). Never throws. */
export function readWasmBytes(path: string, label: string): ArtifactLoad<Buffer> {
  try {
    return { value: readFileSync(path), reason: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? `${label} not built (${describePath(path)} missing; run npm run build:asm)`
        : `${label} unreadable (${describePath(path)}: ${String(error)})`;
    return { value: null, reason };
  }
}

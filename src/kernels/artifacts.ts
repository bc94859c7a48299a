/**
 * Where the compiled kernels live. Paths are resolved from this module's own URL, which sits two levels
 * below the repository root both as src/kernels/artifacts.ts (under tsx or vitest) and as
 * dist/kernels/artifacts.js (after tsc), so the same code finds build/ and native/ in both layouts.
 */
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

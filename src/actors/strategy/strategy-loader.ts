/**
 * Loads strategies: a built-in by name (`sma_cross`) or a file (`./my-strategy.ts`, `.js`, `.mjs`) whose
 * default export is a class with the Strategy hooks. TypeScript files are loaded through tsx, so a
 * strategy file runs unchanged from the sources or from a built engine. Identity checks against our
 * Strategy class would fail for a file that imports the sources while the engine runs from dist/, so the
 * check is on shape: a constructor whose prototype has the hooks.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OctopusError } from '../../engine/errors.js';
import { builtinStrategies, builtinStrategy, createStrategy } from './builtin/index.js';
import type { Strategy, StrategyClass } from './strategy-api.js';

const kFilePattern = /\.(ts|mts|js|mjs)$/;

export function isStrategyFile(spec: string): boolean {
  return kFilePattern.test(spec);
}

/**
 * @throws OctopusError ERR_STRATEGY_UNKNOWN (no such built-in), ERR_STRATEGY_LOAD_FAILED (the file does
 *   not load or does not default-export a strategy class).
 */
export async function loadStrategyClass(spec: string, baseDirectory = process.cwd()): Promise<StrategyClass<object>> {
  if (typeof spec !== 'string' || spec === '' || spec.length > 4_096) throw new OctopusError('ERR_STRATEGY_UNKNOWN', `expected a strategy name or file, was ${JSON.stringify(spec)?.slice(0, 60)}`);
  if (!isStrategyFile(spec)) return builtinStrategy(spec);
  const path = isAbsolute(spec) ? spec : resolve(baseDirectory, spec);
  let module: { default?: unknown };
  try {
    if (/\.m?ts$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
    } else {
      module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    }
  } catch (error) {
    throw new OctopusError('ERR_STRATEGY_LOAD_FAILED', `expected a loadable strategy file, was ${JSON.stringify(spec)} (${(error as Error).message?.split('\n')[0]})`, { cause: error });
  }
  const candidate: unknown = module.default;
  const prototype = typeof candidate === 'function' ? (candidate.prototype as Record<string, unknown> | undefined) : undefined;
  if (typeof prototype?.onBar !== 'function' || typeof prototype.onFill !== 'function') {
    throw new OctopusError('ERR_STRATEGY_LOAD_FAILED', `expected ${JSON.stringify(spec)} to default-export a class extending Strategy, was ${typeof candidate}`);
  }
  return candidate as unknown as StrategyClass<object>;
}

/** Loads and instantiates. @throws as loadStrategyClass and createStrategy. */
export async function loadStrategy(spec: string, params: unknown, baseDirectory?: string): Promise<Strategy<object>> {
  return createStrategy(await loadStrategyClass(spec, baseDirectory), params);
}

export function builtinStrategyNames(): string[] {
  return [...builtinStrategies().keys()];
}

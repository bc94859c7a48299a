/**
 * The dashboard: `GET /` and the plain ES modules under `web/` (no bundler, no framework), plus
 * TradingView's lightweight-charts at `/vendor/lightweight-charts.mjs` (its standalone ESM build,
 * from node_modules). Every file is read once at start into memory: a fixed, small set (bounded by
 * kFilesMax and kFileBytesMax), so a request never touches the disk and no path from a client ever
 * reaches the file system.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { OctopusError } from '../../engine/errors.js';
import type { RouteOptions } from '../http/http.js';

const kFilesMax = 64;
const kFileBytesMax = 4 * 1024 * 1024;
const kContentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const kWebDirectory = fileURLToPath(new URL('../../../web/', import.meta.url));

interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** URL path -> file, for every servable file in `directory` (not recursive) and the chart library. */
export function loadWebFiles(directory = kWebDirectory): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const add = (urlPath: string, path: string): void => {
    const contentType = kContentTypes[extname(path)];
    if (contentType === undefined) return;
    const bytes = statSync(path).size;
    if (bytes > kFileBytesMax) throw new OctopusError('ERR_CONFIG_INVALID', `expected dashboard files of at most ${kFileBytesMax} bytes, was ${bytes} for ${path}`);
    if (files.size >= kFilesMax) throw new OctopusError('ERR_CONFIG_INVALID', `expected at most ${kFilesMax} dashboard files, was more in ${directory}`);
    files.set(urlPath, { body: readFileSync(path), contentType });
  };
  for (const name of readdirSync(directory).sort()) add(`/web/${name}`, join(directory, name));
  const index = files.get('/web/index.html');
  if (index !== undefined) files.set('/', index);
  const chartPackage = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
  add('/vendor/lightweight-charts.mjs', join(dirname(chartPackage), 'dist', 'lightweight-charts.standalone.production.mjs'));
  return files;
}

export function webRoutes(files: Map<string, StaticFile> = loadWebFiles()) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    for (const [path, file] of files) {
      app.get(path, (res) => {
        let aborted = false;
        res.onAborted(() => {
          aborted = true;
        });
        // The per-address limit covers the dashboard too.
        const address = Buffer.from(res.getRemoteAddressAsText()).toString();
        const decision = options.security?.addressLimiter.take(address);
        if (aborted) return;
        res.cork(() => {
          if (decision !== undefined && !decision.allowed) {
            options.observer?.rateLimitRefused('address');
            res.writeStatus('429 Too Many Requests').writeHeader('retry-after', String(decision.retryAfterSeconds)).end();
            return;
          }
          res.writeStatus('200 OK').writeHeader('content-type', file.contentType).writeHeader('cache-control', 'no-cache').end(file.body);
        });
      });
    }
  };
}

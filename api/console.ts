import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { consoleSettingsSchema } from './schemas/console.js';

/**
 * The web console: static files built by Vite from web/ into dist/console (`npm run build`), served
 * by the API itself. The built files hold no secret and no data, so they are the only paths served
 * without a bearer token; every call the console makes goes to the API with the key the user pasted.
 */

/** dist/console, next to the compiled API (dist/api/console.js) or under the repository (api/console.ts run by tsx). */
export function defaultConsoleDir(): string | undefined {
  const candidates = ['../console', '../dist/console'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

// The console's own scripts and styles only: no inline script, no third-party origin, never framed.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export interface ConsoleSite {
  /** Whether an unauthenticated request may fetch this path (a built console file, GET or HEAD). */
  isPublic(method: string, url: string): boolean;
}

/**
 * Registers the built console at `/` (and its hashed assets), plus `GET /v1/console/settings` (behind
 * the token like every API route). Without a built console only the settings route exists.
 */
export function registerConsole(app: FastifyInstance, config: Config, dir: string | undefined = defaultConsoleDir()): ConsoleSite {
  app.get(
    '/v1/console/settings',
    {
      // Any valid key: the console needs it whatever the key may do.
      config: { scope: 'authenticated' },
      schema: {
        summary: "The console's settings: where the Temporal UI is",
        tags: ['console'],
        response: { 200: { description: 'Settings', content: { 'application/json': { schema: consoleSettingsSchema } } } },
      },
    },
    async () => ({ temporalUiUrl: config.TEMPORAL_UI_URL ?? null, temporalNamespace: config.TEMPORAL_NAMESPACE }),
  );
  if (!dir) return { isPublic: () => false };

  const paths = new Set(filesUnder(dir).map((file) => `/${file}`));
  paths.add('/');
  void app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // One route per built file (and / for index.html): any other path still needs the token, then 404s.
    wildcard: false,
    index: 'index.html',
    schemaHide: true,
    setHeaders: (reply, path) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      // Assets carry a content hash in their names; the page itself must be fetched fresh after a deploy.
      reply.header('cache-control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  return {
    isPublic: (method, url) => (method === 'GET' || method === 'HEAD') && paths.has(url.split('?')[0] ?? url),
  };
}

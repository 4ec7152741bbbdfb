import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const source = join(root, 'web');
const built = join(root, 'dist', 'console', 'index.html');

function newestSourceMs(): number {
  return readdirSync(source, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((newest, entry) => Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0);
}

/**
 * Once per test run: builds the web console (as `npm run build` does) when dist/console is missing
 * or older than web/, so a clean clone's `npm test` serves the current console to the browser tests.
 */
export async function setup(): Promise<void> {
  if (existsSync(built) && statSync(built).mtimeMs >= newestSourceMs()) return;
  await build({ configFile: join(source, 'vite.config.ts'), logLevel: 'warn' });
}

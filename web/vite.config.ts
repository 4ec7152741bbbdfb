import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is built into static files the API serves (api/console.ts): no dev server, no CDN.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Hashed names let the API cache assets for a year while index.html is always revalidated.
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
});

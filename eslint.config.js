// What the design depends on, checked on every change: no promise left floating, no unexplained
// `any`, deterministic workflow code, and configuration read in one place.
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'drizzle/', 'test-results/', 'bench/results/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  comments.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      // An `any` or another exception must say why, next to it.
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Input sanitising matches control characters on purpose.
      'no-control-regex': 'off',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through config/config.ts (loadConfig), the one reader of process.env.' }],
    },
  },
  {
    // Workflow code is replayed: no I/O, no Node built-ins, and only types from the I/O layers.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((name) => [{ name, message: 'Workflow code is deterministic: no Node built-ins.' }, { name: `node:${name}`, message: 'Workflow code is deterministic: no Node built-ins.' }]),
        patterns: [
          { group: ['node:*'], message: 'Workflow code is deterministic: no Node built-ins.' },
          { group: ['undici', 'postgres', 'drizzle-orm', 'drizzle-orm/*', 'pino', 'prom-client', 'fastify'], message: 'Workflow code does no I/O: call an activity.' },
          { group: ['**/duo/*', '**/db/*', '**/activities/*', '**/integrations/*', '**/api/*'], allowTypeImports: true, message: 'Workflows may import only types from the I/O layers.' },
        ],
      }],
    },
  },
  {
    // The simulator must not share the client's understanding of Duo.
    files: ['simulator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/duo/*', '**/db/*', '**/activities/*', '**/integrations/*', '**/api/*', '**/workflows/*'], message: 'The simulator is written from Duo\'s documentation alone and imports nothing of ours.' }] }],
    },
  },
  {
    files: ['bench/**/*.ts', 'demo/**/*.ts', 'api/**/*.ts', 'integrations/**/*.ts', 'activities/**/*.ts', 'worker/**/*.ts', 'local/**/*.ts', 'db/**/*.ts', 'duo/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**'], message: 'Only tests import test helpers.' }] }],
    },
  },
  {
    files: ['config/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', '*.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // CI's plain Node scripts run before (and without) the TypeScript toolchain.
    files: ['.ci/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
);

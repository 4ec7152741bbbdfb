import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal native worker segfaults under worker threads: one process per test file.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/build-console.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // two cores: keep file-level parallelism modest so image-building tests do not starve each other
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
  },
});

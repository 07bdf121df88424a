import { defineConfig } from 'vitest/config';

// `unit`: the tests beside the code (no server, no browser). `node`: the real-runtime suites
// in test/node (real HTTP on loopback, real SQLite files). `browser`: real Chromium (npm run test:browser).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'collector/**/*.test.ts',
            'tracker/**/*.test.ts',
            'dashboard/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs the tests beside the code (no server, no browser);
// `node` runs the real-runtime suites in test/ (real HTTP on loopback, real SQLite files).
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
    ],
  },
});

import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { DASHBOARD_MODULE } from './collector/workers/build-dashboard.ts';
import { TRACKER_MODULE } from './collector/workers/build-tracker.ts';
import { ADMIN_TOKEN } from './test/workers/parity-stream.ts';

// `npm run test:workers`. `workers`: suites inside workerd (vitest-pool-workers), with the
// bindings of wrangler.toml (a local D1 with the migrations applied, the Queue and its
// consumer) and test/workers/worker.ts as the Worker. `workers-node`: suites that drive
// `wrangler dev` from Node. The main vitest.config.ts runs neither.
export default defineConfig({
  test: {
    // In Node, with Node's module resolution (a project's setup would get the workerd conditions).
    globalSetup: ['test/workers/global-setup.ts'],
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            main: './test/workers/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // wrangler.toml's consumer waits up to 5 s to fill a batch; 1 s keeps the suites quick.
              queueConsumers: { 'glimt-events': { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10 } },
              bindings: {
                GLIMT_SITES: 'example.com',
                GLIMT_ADMIN_TOKEN: ADMIN_TOKEN,
                TEST_MIGRATIONS: await readD1Migrations(
                  new URL('./collector/migrations', import.meta.url).pathname,
                ),
              },
            },
          })),
        ],
        resolve: {
          alias: { 'glimt-tracker-script': TRACKER_MODULE, 'glimt-dashboard-assets': DASHBOARD_MODULE },
        },
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          exclude: ['test/workers/**/*.node.test.ts'],
          setupFiles: ['test/workers/setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // ua-parser-js 1.x is a UMD file that exports nothing when evaluated as an ES module,
          // which is how the pool would load it: esbuild turns it into ESM first (wrangler's
          // own bundling, which is esbuild too, needs no help).
          deps: { optimizer: { ssr: { enabled: true, include: ['ua-parser-js'] } } },
        },
      },
      {
        test: {
          name: 'workers-node',
          include: ['test/workers/**/*.node.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

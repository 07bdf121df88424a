/**
 * @module The real app over real HTTP on loopback, in this process, with a test clock.
 *
 * Suites that replay days of traffic in seconds need to say *when* each event happens.
 * The production clock port is `Date.now`; here each request's time comes from the
 * `x-test-time` header through AsyncLocalStorage. That header exists only in this
 * harness: the production server never reads it. Everything else — pipeline, group
 * commit, SQLite file, routes — is the production code.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { sha256Hex } from '../../collector/core/auth.ts';
import { loadConfig } from '../../collector/core/config.ts';
import type { SiteOptions } from '../../collector/core/store.ts';
import { createNodeRuntime, type NodeRuntime } from '../../collector/node/runtime.ts';
import { ADMIN_TOKEN } from './server.ts';

export interface InProcessServer {
  url: string;
  runtime: NodeRuntime;
  db: string;
  /** Runs `fn` with the clock at `ms` (e.g. the maintenance job at a given moment). */
  runAt<T>(ms: number, fn: () => T): T;
  close(): Promise<void>;
}

export async function startInProcess(
  sites: Record<string, SiteOptions>,
  env: Record<string, string> = {},
): Promise<InProcessServer> {
  const dir = mkdtempSync(join(tmpdir(), 'glimt-inproc-'));
  const db = join(dir, 'glimt.db');
  const { config } = loadConfig({ GLIMT_DB: db, ...env });
  const time = new AsyncLocalStorage<number>();
  const runtime = await createNodeRuntime(config, {
    clock: () => time.getStore() ?? Date.now(),
    log: () => {},
    commit: { delayMs: 1 },
  });
  for (const [domain, options] of Object.entries(sites)) await runtime.store.addSite(domain, options);
  await runtime.sites.reload();
  await runtime.store.addToken(await sha256Hex(ADMIN_TOKEN), { kind: 'admin', siteId: null });
  const server = serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request, env) => {
      const at = Number(request.headers.get('x-test-time'));
      return Number.isFinite(at) && at > 0
        ? time.run(at, () => runtime.app.fetch(request, env))
        : runtime.app.fetch(request, env);
    },
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    runtime,
    db,
    runAt: (ms, fn) => time.run(ms, fn),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
    },
  };
}

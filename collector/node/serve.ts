/**
 * @module `glimt serve` / `npm start`: the collector on Node with the embedded SQLite store.
 */
import { serve } from '@hono/node-server';
import { newToken, sha256Hex } from '../core/auth.ts';
import type { Config } from '../core/config.ts';
import type { Store } from '../core/store.ts';
import { createNodeRuntime } from './runtime.ts';

export async function startServer(config: Config, log: (line: string) => void = console.log) {
  const runtime = await createNodeRuntime(config, { log });
  await ensureSites(runtime.store, config.sites, log);
  await runtime.sites.reload();
  await ensureAdminToken(runtime.store, config.adminToken, log);
  await runtime.maintenance.run();
  runtime.maintenance.start();

  const server = serve({ fetch: runtime.app.fetch, port: config.port, hostname: config.host }, (info) => {
    log(`glimt listening on http://localhost:${info.port} (database ${config.db}, sync ${config.sync})`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining ${runtime.committer.pending} waiting events`);
    // Stop taking connections, commit what was accepted, then close the database.
    server.close();
    await runtime.close();
    log('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return { server, runtime };
}

async function ensureSites(store: Store, domains: string[], log: (line: string) => void) {
  const known = new Set((await store.listSites()).map((site) => site.domain));
  for (const domain of domains) {
    if (known.has(domain)) continue;
    await store.addSite(domain, {});
    log(`added site ${domain} (from GLIMT_SITES)`);
  }
}

/** The admin token is stored only as a hash; a generated one is printed this once. */
async function ensureAdminToken(store: Store, configured: string | undefined, log: (line: string) => void) {
  if (configured) {
    const hash = await sha256Hex(configured);
    if (!(await store.findToken(hash))) await store.addToken(hash, { kind: 'admin', siteId: null });
    return;
  }
  if (await store.hasAdminToken()) return;
  const token = newToken('glimt_admin');
  await store.addToken(await sha256Hex(token), { kind: 'admin', siteId: null });
  log(`admin token (shown once, store it now): ${token}`);
}

/**
 * @module `glimt serve` / `npm start`: the collector on Node with the embedded SQLite store.
 */
import { serve } from '@hono/node-server';
import type { Config } from '../core/config.ts';
import { ensureAdminToken, ensureSites } from '../core/first-use.ts';
import { createNodeRuntime } from './runtime.ts';

export async function startServer(config: Config, log: (line: string) => void = console.log) {
  const runtime = await createNodeRuntime(config, { log });
  await ensureSites(runtime.store, config.sites, log);
  await runtime.sites.reload();
  await ensureAdminToken(runtime.store, config.adminToken, log);
  if (runtime.sites.all().length === 0) {
    log('no site registered yet: add one with `npx glimt sites add example.com` or GLIMT_SITES=example.com');
  }
  await runtime.maintenance.run();
  runtime.maintenance.start();

  // Requests still in the pipeline when SIGTERM comes must reach the committer before it drains.
  let inFlight = 0;
  const fetch: typeof runtime.app.fetch = async (request, env, ctx) => {
    inFlight++;
    try {
      return await runtime.app.fetch(request, env, ctx);
    } finally {
      inFlight--;
    }
  };
  const server = serve({ fetch, port: config.port, hostname: config.host }, (info) => {
    log(`glimt listening on http://localhost:${info.port} (database ${config.db}, sync ${config.sync})`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining ${runtime.committer.pending} waiting events`);
    // Stop taking connections, let running requests reach the committer, commit what
    // was accepted, answer it, then close the database.
    const closed = new Promise((resolve) => server.close(resolve));
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    const deadline = Date.now() + 10_000;
    while (inFlight > 0 && Date.now() < deadline) {
      await runtime.committer.drain();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The answers go out before the process does (bounded: a stuck client cannot hold us).
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await runtime.close();
    log('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return { server, runtime };
}

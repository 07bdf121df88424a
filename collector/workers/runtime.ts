/**
 * @module The Workers runtime adapter: builds the ports and the app around one D1 store.
 *
 * The same `createApp` as on Node; what differs comes in through the ports: D1 for the
 * store, the Queue for the sink, `CF-Connecting-IP` for the client address (read only by
 * `clientIp`), `request.cf.country` for the country, `node:crypto` (nodejs_compat) for HMAC.
 * Settings are the Worker's vars and secrets, read by the same `loadConfig` as on Node.
 */
import { createHmac } from 'node:crypto';
import type { Hono } from 'hono';
import { createApp } from '../core/app.ts';
import { type Config, loadConfig } from '../core/config.ts';
import { ensureAdminToken, ensureSites } from '../core/first-use.ts';
import { noCountry } from '../core/pipeline/lookup-country.ts';
import { Salts } from '../core/pipeline/salts.ts';
import type { Clock, KeyedHash } from '../core/ports.ts';
import { SiteRegistry } from '../core/sites.ts';
import { D1Store } from '../d1/d1-store.ts';
import { cfCountry } from './cf-country.ts';
import { loadDashboard } from './dashboard-assets.ts';
import type { Env } from './env.ts';
import { queueSink } from './queue-sink.ts';
import { loadTrackerScript } from './tracker-script.ts';

export const hmacSha256: KeyedHash = (key, message) =>
  createHmac('sha256', key).update(message).digest('hex');

/** Settings that mean something only to the Node server: set on a Worker, they are ignored. */
const NODE_ONLY = ['PORT', 'GLIMT_HOST', 'GLIMT_DB', 'GLIMT_SYNC', 'GLIMT_QUEUE_MAX', 'GLIMT_TRUST_PROXY'];

export interface WorkersOptions {
  clock?: Clock;
  log?: (line: string) => void;
}

export interface WorkersRuntime {
  app: Hono;
  config: Config;
  store: D1Store;
  sites: SiteRegistry;
  salts: Salts;
  clock: Clock;
  log: (line: string) => void;
}

export async function createWorkersRuntime(env: Env, options: WorkersOptions = {}): Promise<WorkersRuntime> {
  const clock = options.clock ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(line));
  const { config, warnings } = loadConfig(settingsOf(env));
  for (const warning of warnings) log(warning);
  for (const name of NODE_ONLY) {
    if (typeof env[name] === 'string') log(`warning: ${name} has no effect on Workers (ignored)`);
  }
  const store = new D1Store(env.DB);
  await ensureSites(store, config.sites, log);
  const sites = new SiteRegistry(store);
  await sites.reload();
  await ensureAdminToken(store, config.adminToken, log);
  const salts = new Salts(store);
  const app = createApp({
    store,
    sites,
    salts,
    sink: queueSink(env.QUEUE),
    keyedHash: hmacSha256,
    geo: config.geo ? cfCountry : noCountry,
    // Cloudflare sets CF-Connecting-IP and the client cannot forge it; a Worker has no TCP peer.
    trust: { kind: 'cloudflare' },
    clock,
    peerAddress: () => undefined,
    tracker: loadTrackerScript(),
    dashboard: loadDashboard(),
    log,
  });
  return { app, config, store, sites, salts, clock, log };
}

/** The string vars and secrets: bindings (DB, QUEUE) are objects and are not settings. */
function settingsOf(env: Env): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') settings[name] = value;
  return settings;
}

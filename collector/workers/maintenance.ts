/**
 * @module The maintenance job on Workers, run by the Cron Trigger (wrangler.toml `[triggers]`).
 *
 * As on Node (`collector/node/maintenance.ts`): for each site, delete the salts and visitor
 * states of days before its local today, and rollups older than its retention; forget the
 * old salts in this isolate's memory. Also forget the ids of applied queue messages once no
 * redelivery can bring them back.
 */
import { expireSite } from '../core/expire-site.ts';
import type { WorkersRuntime } from './runtime.ts';

/**
 * An applied message comes again only while its delivery is being retried: within
 * max_retries × retry_delay (wrangler.toml: 10 × 30 s) of its first delivery. Two days is
 * ample, and keeps the table at two days of events (one short row each).
 */
const APPLIED_KEEP_MS = 2 * 86_400_000;

export async function runMaintenance(runtime: WorkersRuntime): Promise<void> {
  const { store, sites, salts, clock } = runtime;
  await sites.reload();
  const now = clock();
  for (const site of sites.all()) {
    await expireSite(store, salts, site, now);
  }
  await store.forgetAppliedBefore(new Date(now - APPLIED_KEEP_MS));
}

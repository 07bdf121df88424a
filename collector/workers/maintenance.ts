/**
 * @module The maintenance job on Workers, run by the Cron Trigger (wrangler.toml `[triggers]`).
 *
 * As on Node (`collector/node/maintenance.ts`): for each site, delete the salts and visitor
 * states of days before its local today, and rollups older than its retention; forget the
 * old salts in this isolate's memory. Also forget applied queue message ids once no
 * redelivery can bring them back (Queues keep a message at most 14 days).
 */
import { dayStart, localTime } from '../core/time/zone.ts';
import { retentionStartDay } from '../node/maintenance.ts';
import type { WorkersRuntime } from './runtime.ts';

/** Longer than the longest message retention a Queue allows (14 days). */
const APPLIED_KEEP_MS = 15 * 86_400_000;

export async function runMaintenance(runtime: WorkersRuntime): Promise<void> {
  const { store, sites, salts, clock } = runtime;
  await sites.reload();
  const now = clock();
  for (const site of sites.all()) {
    const today = localTime(site.timezone, now).day;
    const keepDaysFrom = retentionStartDay(today, site.retentionMonths);
    await store.purge(site.id, today, dayStart(site.timezone, keepDaysFrom), keepDaysFrom);
    salts.forgetBefore(site.id, today);
  }
  await store.forgetAppliedBefore(new Date(now - APPLIED_KEEP_MS));
}

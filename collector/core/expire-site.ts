/**
 * @module What the maintenance job does for each site on every runtime: at local midnight
 * the day's salt and visitor states are destroyed (invariant 3), and rollups older than the
 * site's retention are deleted. The runtime adds its own steps around it.
 */
import type { Salts } from './pipeline/salts.ts';
import type { Site, Store } from './store.ts';
import { dayStart, localTime, retentionStartDay } from './time/zone.ts';

export async function expireSite(
  store: Store,
  salts: Salts,
  site: Site,
  now: number,
): Promise<{ today: number; keepDaysFrom: number }> {
  const today = localTime(site.timezone, now).day;
  const keepDaysFrom = retentionStartDay(today, site.retentionMonths);
  await store.purge(site.id, today, dayStart(site.timezone, keepDaysFrom), keepDaysFrom);
  salts.forgetBefore(site.id, today);
  return { today, keepDaysFrom };
}

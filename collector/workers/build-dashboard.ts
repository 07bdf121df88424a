/**
 * @module Build step for Workers: the dashboard (page, script, stylesheet), prebuilt into a
 * module the Worker imports, as `build-tracker.ts` does for the tracker. The same builder and
 * ETags as on Node (`collector/node/dashboard-assets.ts`); written to
 * `.wrangler/glimt/dashboard.js`, imported as `glimt-dashboard-assets` (wrangler.toml `[alias]`).
 *
 *     node --import tsx collector/workers/build-dashboard.ts
 */
import { fileURLToPath } from 'node:url';
import { loadDashboard } from '../node/dashboard-assets.ts';
import { writeBuiltModule } from './built-module.ts';

export const DASHBOARD_MODULE = fileURLToPath(new URL('../../.wrangler/glimt/dashboard.js', import.meta.url));

export async function writeDashboardModule(path = DASHBOARD_MODULE): Promise<string> {
  return writeBuiltModule(path, await loadDashboard(), 'collector/workers/build-dashboard.ts');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = await writeDashboardModule();
  console.log(`dashboard written to ${path}`);
}

/**
 * @module The dashboard for `GET /` on Workers: built before the Worker is bundled
 * (`build-dashboard.ts`), because a Worker cannot run esbuild. Node builds it at start.
 */
import dashboard from 'glimt-dashboard-assets';
import type { DashboardAssets } from '../core/routes/dashboard.ts';

export function loadDashboard(): DashboardAssets {
  return dashboard;
}

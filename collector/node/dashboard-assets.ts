/**
 * @module The dashboard for `GET /`, built once at start (esbuild takes ~50 ms), each file with its ETag.
 */
import { createHash } from 'node:crypto';
import { buildDashboard } from '../../dashboard/build.ts';
import type { Asset, DashboardAssets } from '../core/routes/dashboard.ts';

const asset = (body: string): Asset => ({
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
});

export async function loadDashboard(): Promise<DashboardAssets> {
  const { page, script, style } = await buildDashboard();
  return { page: asset(page), script: asset(script), style: asset(style) };
}

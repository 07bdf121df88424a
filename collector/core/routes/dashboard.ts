/**
 * @module `GET /`: the dashboard, a small page with one script and one stylesheet, all from
 * this origin (the Content-Security-Policy allows nothing else). It sets no cookie: only a
 * login does (`routes/session.ts`).
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { DASHBOARD_PATHS } from '../protocol.ts';

export interface Asset {
  body: string;
  etag: string;
}

/** Built by `dashboard/build.ts`: at start on Node, before bundling on Workers. */
export interface DashboardAssets {
  page: Asset;
  script: Asset;
  style: Asset;
}

const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES = {
  page: 'text/html; charset=utf-8',
  script: 'text/javascript; charset=utf-8',
  style: 'text/css; charset=utf-8',
} as const;

export function dashboardRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  for (const kind of ['page', 'script', 'style'] as const) {
    app.get(DASHBOARD_PATHS[kind], (c) => {
      const asset = deps.dashboard?.[kind];
      if (!asset) return c.json({ error: 'the dashboard is not built' }, 404);
      // Revalidated on every load (a 304 of a few bytes): a new version shows at once.
      c.header('Cache-Control', 'no-cache');
      c.header('ETag', asset.etag);
      c.header('X-Content-Type-Options', 'nosniff');
      if (kind === 'page') {
        c.header('Content-Security-Policy', POLICY);
        c.header('Referrer-Policy', 'same-origin');
      }
      const match = c.req.header('if-none-match');
      if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag))
        return c.body(null, 304);
      return c.body(asset.body, 200, { 'Content-Type': TYPES[kind] });
    });
  }
  return app;
}

/**
 * @module `GET /t.js`: the tracker script, with an ETag and a day of caching.
 *
 * A day, not a year: the URL has no version in it, so a fixed script must reach
 * browsers soon; the ETag makes the daily revalidation a 304 of a few bytes.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { TRACKER_PATH } from '../protocol.ts';

export function trackerRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get(TRACKER_PATH, (c) => {
    const tracker = deps.tracker;
    if (!tracker) return c.json({ error: 'the tracker script is not built' }, 404);
    c.header('ETag', tracker.etag);
    c.header('Cache-Control', 'public, max-age=86400, stale-while-revalidate=604800');
    c.header('Access-Control-Allow-Origin', '*');
    if (c.req.header('if-none-match') === tracker.etag) return c.body(null, 304);
    return c.body(tracker.body, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
  return app;
}

/**
 * @module `GET /t.js`: the tracker script, with an ETag, a day of caching, and compression.
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
    const accepts = c.req.header('accept-encoding') ?? '';
    const [encoding, body] =
      tracker.br && /\bbr\b/.test(accepts)
        ? (['br', tracker.br] as const)
        : tracker.gzip && /\bgzip\b/.test(accepts)
          ? (['gzip', tracker.gzip] as const)
          : ([undefined, tracker.body] as const);
    // Each encoding is its own representation, so each has its own entity tag.
    const etag = encoding ? `${tracker.etag.slice(0, -1)}-${encoding}"` : tracker.etag;
    c.header('ETag', etag);
    c.header('Vary', 'Accept-Encoding');
    c.header('Cache-Control', 'public, max-age=86400, stale-while-revalidate=604800');
    c.header('Access-Control-Allow-Origin', '*');
    if (encoding) c.header('Content-Encoding', encoding);
    const match = c.req.header('if-none-match');
    if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return c.body(null, 304);
    return c.body(body, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
  return app;
}

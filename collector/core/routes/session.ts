/**
 * @module `/api/session`: the dashboard's login (POST a token), who is logged in (GET), logout (DELETE).
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { type Reader, readerForToken } from '../auth.ts';
import { API_PATHS } from '../protocol.ts';
import { crossOrigin, endSession, startSession } from '../session.ts';
import { answerRefusals, Refusal, requireReader } from './guard.ts';

/** Who a session is, as the dashboard shows it. */
export type SessionInfo = { kind: 'admin' } | { kind: 'share'; site: string };

export function sessionRoutes(deps: AppDeps): Hono {
  const app = answerRefusals(new Hono());

  app.post(API_PATHS.session, async (c) => {
    // A login from another site's page would log the owner's browser in as someone else.
    if (c.req.header('origin') !== undefined) {
      const mismatch = crossOrigin(c);
      if (mismatch) throw new Refusal(mismatch, 403);
    }
    const body = await c.req.json<unknown>().catch(() => undefined);
    const token = body && typeof body === 'object' && 'token' in body ? body.token : undefined;
    if (typeof token !== 'string' || token.trim() === '')
      throw new Refusal('"token" is required: the admin token or a share token');
    const reader = await readerForToken(deps.store, token.trim());
    if (!reader) throw new Refusal('"token" is not an admin or share token of this Glimt', 401);
    await startSession(c, deps.store, reader, deps.clock());
    return c.json(await sessionInfo(deps, reader));
  });

  app.get(API_PATHS.session, async (c) => {
    const { reader } = await requireReader(c, deps);
    return c.json(await sessionInfo(deps, reader));
  });

  app.delete(API_PATHS.session, async (c) => {
    await requireReader(c, deps, true);
    await endSession(c, deps.store);
    return c.body(null, 204);
  });

  return app;
}

async function sessionInfo(deps: AppDeps, reader: Reader): Promise<SessionInfo> {
  if (reader.kind === 'admin') return { kind: 'admin' } satisfies SessionInfo;
  const site = (await deps.store.listSites()).find((s) => s.id === reader.siteId);
  if (!site) throw new Refusal('the site of this share token is gone', 401);
  return { kind: 'share', site: site.domain } satisfies SessionInfo;
}

/**
 * @module What every authenticated route shares: refusals that name their cause, and who asks.
 */
import type { Context, Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { type Authenticated, authenticate, crossOrigin } from '../session.ts';

/** A 4xx that names its cause: thrown anywhere in a request, answered by `answerRefusals`. */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 = 400,
  ) {
    super(message);
  }
}

export function answerRefusals(app: Hono): Hono {
  app.onError((error, c) => {
    if (error instanceof Refusal) return c.json({ error: error.message }, error.status);
    throw error;
  });
  return app;
}

/**
 * The request's reader (Bearer token or session cookie), or a 401. A request that changes
 * state on the strength of a cookie must come from this origin (403 otherwise).
 */
export async function requireReader(c: Context, deps: AppDeps, changesState = false): Promise<Authenticated> {
  const who = await authenticate(c, deps.store, deps.clock());
  if (!who)
    throw new Refusal('a valid "Authorization: Bearer <token>" header or a dashboard login is required', 401);
  const mismatch = changesState && who.via === 'cookie' ? crossOrigin(c) : undefined;
  if (mismatch) throw new Refusal(mismatch, 403);
  return who;
}

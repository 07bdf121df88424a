/**
 * @module The Glimt app: one Hono app for every runtime.
 *
 * A runtime adapter (`collector/node`, later `collector/workers`) builds the ports and
 * calls `createApp`; nothing in here knows which runtime it runs on.
 */
import { type Context, Hono } from 'hono';
import type { Committable } from './pipeline/collected-event.ts';
import type { PipelineDeps } from './pipeline/pipeline.ts';
import { type DashboardAssets, dashboardRoutes } from './routes/dashboard.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { sessionRoutes } from './routes/session.ts';
import { siteRoutes } from './routes/sites.ts';
import { statsRoutes } from './routes/stats.ts';
import { trackerRoutes } from './routes/tracker.ts';
import type { Store } from './store.ts';

/** Where accepted events go: the group committer on Node, a Queue on Workers. */
export interface EventSink {
  /** Resolves once durable; `'overloaded'` when it cannot take the event now. */
  submit(event: Committable): Promise<void> | 'overloaded';
}

export interface AppDeps extends PipelineDeps {
  store: Store;
  sink: EventSink;
  /** Makes every acknowledged event visible to queries (Node counts in the background); absent where reads are eventual. */
  settle?: () => Promise<void>;
  /** The runtime's peer address reader (ConnInfo); only `clientIp` uses what it returns. */
  peerAddress: (c: Context) => string | undefined;
  /** The tracker script, when built, and its compressed forms where the runtime made them. */
  tracker?: TrackerScript;
  /** The dashboard's page, script and stylesheet, when built. */
  dashboard?: DashboardAssets;
  /** One line to the operator's log. Never given an address. */
  log: (line: string) => void;
}

export interface TrackerScript {
  body: string;
  etag: string;
  gzip?: Uint8Array<ArrayBuffer>;
  br?: Uint8Array<ArrayBuffer>;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true }));
  app.route('/', ingestRoutes(deps));
  app.route('/', statsRoutes(deps));
  app.route('/', trackerRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', siteRoutes(deps));
  app.route('/', dashboardRoutes(deps));
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((error, c) => {
    deps.log(`error on ${c.req.method} ${new URL(c.req.url).pathname}: ${error.message}`);
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

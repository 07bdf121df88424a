/**
 * @module `/api/sites`: the sites a reader may see (GET), and adding one from the dashboard
 * (POST, admin only), with the same check as `glimt sites add` (`checkSite`).
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { API_PATHS } from '../protocol.ts';
import { checkSite } from '../sites.ts';
import type { Site } from '../store.ts';
import { answerRefusals, Refusal, requireReader } from './guard.ts';

/** A site as `/api/sites` answers it. */
export interface SiteInfo {
  domain: string;
  timezone: string;
}

const info = (site: Site): SiteInfo => ({ domain: site.domain, timezone: site.timezone });

/** The JSON fields of `POST /api/sites`, by the `checkSite` field they feed. */
const FIELD_NAMES = { domain: 'domain', timezone: 'timezone', retentionMonths: 'retention_months' } as const;

export function siteRoutes(deps: AppDeps): Hono {
  const app = answerRefusals(new Hono());

  app.get(API_PATHS.sites, async (c) => {
    const { reader } = await requireReader(c, deps);
    const sites = await deps.store.listSites();
    return c.json(sites.filter((site) => reader.kind === 'admin' || site.id === reader.siteId).map(info));
  });

  app.post(API_PATHS.sites, async (c) => {
    const { reader } = await requireReader(c, deps, true);
    if (reader.kind !== 'admin') throw new Refusal('only the admin may add sites', 403);
    const body = await c.req.json<unknown>().catch(() => undefined);
    if (!body || typeof body !== 'object') throw new Refusal('the body must be a JSON object');
    const fields = body as Record<string, unknown>;
    for (const [name, type] of [
      ['domain', 'string'],
      ['timezone', 'string'],
      ['retention_months', 'number'],
    ] as const) {
      if (fields[name] !== undefined && typeof fields[name] !== type)
        throw new Refusal(`"${name}" must be a ${type}`);
    }
    const checked = checkSite({
      domain: fields.domain as string | undefined,
      timezone: (fields.timezone as string | undefined) || undefined,
      retentionMonths: fields.retention_months as number | undefined,
    });
    if ('field' in checked) throw new Refusal(`"${FIELD_NAMES[checked.field]}": ${checked.message}`);
    const taken = () => new Refusal(`"domain": ${checked.domain} is already registered`, 409);
    if ((await deps.store.listSites()).some((site) => site.domain === checked.domain)) throw taken();
    // Two requests for one domain at once: the second meets the first's row at insert.
    const site = await deps.store.addSite(checked.domain, checked.options).catch(async (error: unknown) => {
      if ((await deps.store.listSites()).some((s) => s.domain === checked.domain)) throw taken();
      throw error;
    });
    // Events for the new site are accepted at once, not after the registry's next reload.
    await deps.sites.reload();
    return c.json(info(site), 201);
  });

  return app;
}

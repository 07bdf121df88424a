/**
 * @module The registered sites, by domain, kept in memory for the hot path.
 *
 * Another process (the CLI) may add a site while the server runs, so an unknown
 * domain triggers a reload, at most once a second.
 */
import type { Site, SiteOptions, Store } from './store.ts';
import { isValidTimeZone } from './time/zone.ts';

const RELOAD_AFTER_MS = 1000;

export class SiteRegistry {
  readonly #store: Store;
  #byDomain = new Map<string, Site>();
  #loadedAt = 0;

  constructor(store: Store) {
    this.#store = store;
  }

  async reload(now = Date.now()): Promise<void> {
    const sites = await this.#store.listSites();
    this.#byDomain = new Map(sites.map((site) => [site.domain, site]));
    this.#loadedAt = now;
  }

  all(): Site[] {
    return [...this.#byDomain.values()];
  }

  /** The site when it is known, without a wait: the hot path's way in (`find` when it is not). */
  known(domain: string): Site | undefined {
    return this.#byDomain.get(domain);
  }

  async find(domain: string, now = Date.now()): Promise<Site | undefined> {
    const site = this.#byDomain.get(domain);
    if (site || now - this.#loadedAt < RELOAD_AFTER_MS) return site;
    await this.reload(now);
    return this.#byDomain.get(domain);
  }
}

/** `Example.COM.` → `example.com`; undefined when it is no plausible domain name. */
export function normaliseDomain(input: string): string | undefined {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(
    domain,
  )
    ? domain
    : undefined;
}

/** A site as the CLI and the dashboard are given it, before it is checked. */
export interface SiteInput {
  domain: string | undefined;
  timezone?: string | undefined;
  retentionMonths?: number | undefined;
  honourOptOut?: boolean | undefined;
}

/** What is wrong with a `SiteInput`: the field, and a message that names the value. */
export interface SiteInputError {
  field: 'domain' | 'timezone' | 'retentionMonths';
  message: string;
}

/** The one check of a new site, for the CLI and the dashboard: its domain normalised, its options. */
export function checkSite(input: SiteInput): { domain: string; options: SiteOptions } | SiteInputError {
  const domain = input.domain === undefined ? undefined : normaliseDomain(input.domain);
  if (!domain) {
    const given = input.domain?.trim() ? `, not ${JSON.stringify(input.domain)}` : '';
    return { field: 'domain', message: `a domain name is required (like example.com)${given}` };
  }
  const timezone = input.timezone ?? 'UTC';
  if (!isValidTimeZone(timezone))
    return {
      field: 'timezone',
      message: `${JSON.stringify(timezone)} is not an IANA time zone (like Europe/Oslo)`,
    };
  const months = input.retentionMonths ?? 25;
  if (!Number.isInteger(months) || months < 1)
    return { field: 'retentionMonths', message: 'the retention must be a positive number of months' };
  return { domain, options: { timezone, retentionMonths: months, honourOptOut: input.honourOptOut ?? true } };
}

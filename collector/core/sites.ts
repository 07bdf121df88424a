/**
 * @module The registered sites, by domain, kept in memory for the hot path.
 *
 * Another process (the CLI) may add a site while the server runs, so an unknown
 * domain triggers a reload, at most once a second.
 */
import type { Site, Store } from './store.ts';

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

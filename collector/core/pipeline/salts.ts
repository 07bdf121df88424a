/**
 * @module Daily salts: 32 random bytes per site and local day (invariant 3).
 *
 * Created on the day's first event from the platform's CSPRNG (`crypto.getRandomValues`,
 * the same on Node and Workers), shared through the store so that every process or
 * isolate hashes with the same salt, and forgotten here when the day has passed.
 */
import type { Store } from '../store.ts';

export const SALT_BYTES = 32;

export class Salts {
  readonly #store: Store;
  readonly #cache = new Map<string, Uint8Array>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The day's salt when this process holds it already, without a wait (`forDay` when not). */
  held(siteId: number, day: number): Uint8Array | undefined {
    return this.#cache.get(`${siteId}|${day}`);
  }

  async forDay(siteId: number, day: number): Promise<Uint8Array> {
    const key = `${siteId}|${day}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const candidate = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    const salt = await this.#store.salt(siteId, day, candidate);
    this.forgetBefore(siteId, day);
    this.#cache.set(key, salt);
    return salt;
  }

  /** Drops every cached salt of `siteId` older than `day`: a destroyed salt must not live on in memory. */
  forgetBefore(siteId: number, day: number): void {
    for (const key of this.#cache.keys()) {
      const [site, saltDay] = key.split('|').map(Number);
      if (site === siteId && (saltDay ?? 0) < day) this.#cache.delete(key);
    }
  }
}

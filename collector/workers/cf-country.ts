/**
 * @module Country on Workers: Cloudflare's own lookup, `request.cf.country`.
 *
 * The port hands over the truncated address too; it is not needed here, because Cloudflare
 * looked the country up at its edge before the Worker ran. Node's counterpart is
 * `collector/node/geo-dataset.ts`.
 */
import type { CountryLookup } from '../core/ports.ts';
import type { IncomingCf } from './env.ts';

export const cfCountry: CountryLookup = {
  country: (_ip, request) => (request as Request & { cf?: IncomingCf }).cf?.country,
};

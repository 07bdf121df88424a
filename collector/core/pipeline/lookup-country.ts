/**
 * @module Step: country, looked up from the *truncated* address only.
 *
 * The runtime supplies the lookup: the bundled ip-location-db dataset on Node, `request.cf.country`
 * on Workers. Unknown countries are kept as `(none)` so that breakdowns add up to totals.
 */
import { NONE } from '../dimensions.ts';
import type { CountryLookup } from '../ports.ts';
import type { TruncatedIp } from './truncate-ip.ts';

export function lookupCountry(geo: CountryLookup, ip: TruncatedIp, request: Request): string {
  const code = geo.country(ip, request);
  return code && /^[A-Z]{2}$/.test(code) && code !== 'XX' && code !== 'T1' ? code : NONE;
}

/** For deployments that want no country at all (`GLIMT_GEO=off`). */
export const noCountry: CountryLookup = { country: () => undefined };

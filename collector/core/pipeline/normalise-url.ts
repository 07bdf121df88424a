/**
 * @module Step: normalise the page URL.
 *
 * Keeps the lower-cased host, the path and a hash route; drops any other fragment and every
 * query parameter except the `utm_*` tags, which become their own dimensions. A query
 * string can carry an e-mail address or a token (`?email=…`), so it is never stored.
 */
import { UTM_PARAMS, type UtmParam } from '../protocol.ts';

export interface PageUrl {
  /** Lower-case hostname, port aside. */
  host: string;
  /** The path, at most 500 characters, never empty. */
  path: string;
  utm: Partial<Record<UtmParam, string>>;
}

const MAX_PATH = 500;
const MAX_UTM = 300;

export function normaliseUrl(raw: string): PageUrl {
  const url = new URL(raw);
  const utm: Partial<Record<UtmParam, string>> = {};
  if (url.search.length > 1) {
    for (const key of UTM_PARAMS) {
      const value = url.searchParams.get(key)?.trim();
      if (value) utm[key] = value.slice(0, MAX_UTM);
    }
  }
  let path = safeDecode(url.pathname);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  // A hash route (`#/pricing`, `#!/pricing`) is a page of a single-page app; the tracker
  // sends one only with `data-hash`. Any other fragment, and a query inside the route, is dropped.
  const route = /^#!?\//.test(url.hash) ? safeDecode(url.hash.split('?')[0] as string) : '';
  path += route;
  return { host: url.hostname.toLowerCase(), path: path.slice(0, MAX_PATH) || '/', utm };
}

/** `/caf%C3%A9` reads better as `/café`; a malformed escape stays as sent. */
function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** True when `host` is `domain` or one of its subdomains. */
export function belongsTo(host: string, domain: string): boolean {
  return host === domain || (host.length > domain.length && host.endsWith(`.${domain}`));
}

/**
 * The page being counted: its pageview, its visible time, and how events are sent.
 */
import type { EventPayload } from '../../collector/core/protocol.ts';
import type { EventOptions } from './api.ts';
import { api, data, off } from './settings.ts';

/** The URL of the page being counted: fragment-free, unless hash routing is declared. */
let page: string;
/** When the page last became visible; 0 (or unset) while it is hidden. */
let visibleSince: number;

/**
 * Sends one event of the current page. The options go out as they are: the collector
 * reads `props` (and `engaged_ms` on engagement) and ignores any other field.
 */
export const send = (name: string, options?: EventOptions | Pick<EventPayload, 'engaged_ms'>): void => {
  const body = JSON.stringify({
    site: data.site,
    name,
    url: page,
    referrer: document.referrer,
    width: innerWidth,
    ...options,
  } satisfies EventPayload);
  // Opted out: nothing leaves the page. Else a beacon, which outlives the page and, as
  // text/plain, needs no CORS preflight. It is refused (false) over the browser's quota;
  // fetch with keepalive is the fallback, its rejection swallowed: a collector that is
  // down makes no noise.
  off ||
    navigator.sendBeacon(api, body) ||
    fetch(api, { method: 'POST', body, keepalive: true }).catch(() => {});
};

/**
 * Sends the visible time since the last call, then restarts the clock, or stops it while
 * the page is hidden. Runs on visibilitychange, on pagehide and before each new pageview,
 * so each stretch of a page's time is sent once, when it ends.
 */
export const engagement = (leaving?: unknown): void => {
  const ms = visibleSince && Date.now() - visibleSince;
  if (ms) send('engagement', { engaged_ms: ms });
  // A page being left is still visible for a moment (pagehide comes before it is hidden).
  visibleSince = leaving || document.hidden ? 0 : Date.now();
};

/** Counts the current URL, unless it is the page already counted. */
export const pageview = (): void => {
  const url = data.hash == null ? (location.href.split('#')[0] as string) : location.href;
  if (url !== page) {
    engagement();
    page = url;
    send('pageview');
  }
};

/**
 * When a page ends or another begins without a page load: SPA routers navigate with
 * pushState/replaceState, which fire no event, and with popstate (back and forward).
 */
import { engagement, pageview } from './page.ts';

for (const method of ['pushState', 'replaceState'] as const) {
  const original = history[method];
  // (pageview takes no argument: passing the result to it only saves bytes.)
  history[method] = (...args) => (pageview as (_: unknown) => void)(original.apply(history, args));
}
// On window: visibilitychange bubbles up to it from the document. pagehide passes its
// event, which is truthy: the page is being left.
addEventListener('popstate', pageview);
addEventListener('visibilitychange', () => engagement());
addEventListener('pagehide', engagement);

/**
 * @module `import { track, load } from 'glimt/tracker'`: the tracker for bundler users.
 *
 * The counting itself stays in the one script that `GET /t.js` serves: `load` adds its tag,
 * `track` calls `window.glimt`, queueing (as the HTML snippet does) until the script runs.
 * So there is one implementation to keep small and correct, and this entry adds types.
 */
import type { Glimt, Track } from './api.ts';

export type { EventOptions, Track } from './api.ts';

export interface LoadOptions {
  /** The script's URL, e.g. `https://stats.example.com/t.js`; events go to its origin. */
  src: string;
  /** A registered site's domain. */
  site: string;
  /** Another endpoint for events than `/api/event` on the script's origin. */
  api?: string;
  /** Count hash routes (`/#/about`) as pages. */
  hash?: boolean;
  /** Count on localhost, 127.* and file: too. */
  local?: boolean;
  /** Count clicks on links to other hosts. */
  outbound?: boolean;
  /** Count clicks on links to files (pdf, zip, …). */
  downloads?: boolean;
}

/** Adds the script tag with these settings as its `data-` attributes. */
export function load(options: LoadOptions): void {
  const script = document.createElement('script');
  script.src = options.src;
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'src' && value !== false) script.dataset[key] = value === true ? '' : String(value);
  }
  document.head.append(script);
}

/** Sends a custom event, e.g. `track('Signup', { props: { plan: 'pro' } })`. */
export const track: Track = (name, options) => {
  if (!window.glimt) {
    const queue: Glimt = (...args) => {
      queue.q?.push(args);
    };
    queue.q = [];
    window.glimt = queue;
  }
  window.glimt(name, options);
};

/**
 * @module Step: referrer → source.
 *
 * The source is `utm_source` when tagged, else the referrer's host mapped to a known
 * name (Google, Bing, …), else the bare host, else `Direct`. A referrer on the site
 * itself is no source at all: following an internal link must not start a new one.
 */
import { DIRECT, NONE } from '../dimensions.ts';
import { belongsTo } from './normalise-url.ts';
import { bareHost, knownSourceName } from './parse-referrer.ts';

export interface Attribution {
  source: string;
  /** Host and path of the referrer, query and fragment stripped; `(none)` when absent or internal. */
  referrer: string;
}

const MAX_REFERRER = 300;

export function attributeSource(referrer: string, utmSource: string | undefined, site: string): Attribution {
  const ref = parseReferrer(referrer, site);
  if (utmSource) return { source: utmSource, referrer: ref?.label ?? NONE };
  if (!ref) return { source: DIRECT, referrer: NONE };
  return { source: knownSourceName(ref.host) ?? bareHost(ref.host), referrer: ref.label };
}

function parseReferrer(referrer: string, site: string): { host: string; label: string } | undefined {
  if (!referrer) return undefined;
  let url: URL;
  try {
    url = new URL(referrer);
  } catch {
    return undefined; // a malformed referrer is no referrer: the event still counts
  }
  const host = url.hostname.toLowerCase();
  if (!host || belongsTo(host, site)) return undefined;
  // Android apps send `android-app://com.google.android.gm/`: the app id is the host.
  const path = url.protocol === 'http:' || url.protocol === 'https:' ? url.pathname : '/';
  const label = bareHost(host) + (path === '/' ? '' : path.replace(/\/$/, ''));
  return { host, label: label.slice(0, MAX_REFERRER) };
}

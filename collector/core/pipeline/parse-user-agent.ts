/**
 * @module Turns a User-Agent (and the screen width the tracker sends) into browser, version, OS and device.
 *
 * ua-parser-js does the parsing; this file only folds its names into the families the
 * dashboard shows ('Mobile Safari' is Safari, 'Mac OS' is macOS, every distro is Linux).
 */
import { UAParser } from 'ua-parser-js';

export interface Client {
  browser: string;
  browserVersion: string;
  os: string;
  device: 'Desktop' | 'Mobile' | 'Tablet';
}

type Device = Client['device'];
/** A UA's client once per device it can show: from the UA itself, or from each width class. */
type UaPart = { uaDevice: Device } & Partial<Record<Device, Readonly<Client>>>;

const UNKNOWN = 'Unknown';

/** ua-parser-js reads only the first 500 characters, so longer keys would only waste cache memory. */
const UA_MAX_LENGTH = 500;
const CACHE_MAX = 4096;

/**
 * UA parsing runs a few hundred regular expressions and is the costliest enrichment
 * step, while a site's traffic comes from a few hundred distinct UAs. A Map keeps
 * insertion order, so evicting its first key drops the oldest entry in O(1).
 */
const cache = new Map<string, UaPart>();

/** Entries in the UA cache; for tests. */
export function uaCacheSize(): number {
  return cache.size;
}

/** The client of `ua` on a screen `width` px wide. The object is shared: read it, do not change it. */
export function parseUserAgent(ua: string, width: number | undefined): Readonly<Client> {
  const key = ua.length > UA_MAX_LENGTH ? ua.slice(0, UA_MAX_LENGTH) : ua;
  let part = cache.get(key);
  if (part === undefined) {
    part = parseUncached(key);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(key, part);
  }
  // Width is applied after the cache so that the key stays the UA alone.
  const device = deviceFromWidth(width) ?? part.uaDevice;
  const known = part[device];
  if (known) return known;
  const client = Object.freeze({ ...(part[part.uaDevice] as Client), device });
  part[device] = client;
  return client;
}

function parseUncached(ua: string): UaPart {
  const result = new UAParser(ua).getResult();
  const browser = browserFamily(result.browser.name);
  const major = result.browser.version?.split('.')[0];
  const uaDevice: Device =
    result.device.type === 'mobile' ? 'Mobile' : result.device.type === 'tablet' ? 'Tablet' : 'Desktop';
  const client = Object.freeze({
    browser,
    browserVersion: major && browser !== UNKNOWN ? `${browser} ${major}` : browser,
    os: osFamily(result.os.name),
    device: uaDevice,
  });
  return { uaDevice, [uaDevice]: client };
}

/** Plausible's breakpoints, with its 'Laptop' (992-1440 px) folded into Desktop: https://plausible.io/docs/devices */
function deviceFromWidth(width: number | undefined): Device | undefined {
  if (width === undefined || !(width > 0)) return undefined;
  return width < 576 ? 'Mobile' : width < 992 ? 'Tablet' : 'Desktop';
}

/** Names ua-parser-js (this or other versions) gives to a variant of a family we show once. */
const BROWSER_ALIASES = new Map([
  ['Mobile Safari', 'Safari'],
  ['Chrome WebView', 'Chrome'],
  ['Chrome Mobile', 'Chrome'],
  ['Mobile Chrome', 'Chrome'],
  ['Chrome Headless', 'Chrome'],
  ['Mobile Firefox', 'Firefox'],
  ['Samsung Browser', 'Samsung Internet'],
  ['Opera Mobi', 'Opera'],
  ['Opera Tablet', 'Opera'],
  ['Opera Touch', 'Opera'],
  ['Opera GX', 'Opera'],
]);

/** Other names (Vivaldi, Yandex, Facebook's in-app browser...) pass through as ua-parser-js spells them. */
function browserFamily(name: string | undefined): string {
  if (!name) return UNKNOWN;
  return BROWSER_ALIASES.get(name) ?? name;
}

/** Keys are lower case: ua-parser-js keeps the distro names' case from the UA ("Ubuntu", "openSUSE"). */
const OS_ALIASES = new Map([
  ['windows', 'Windows'],
  ['mac os', 'macOS'],
  ['macos', 'macOS'],
  ['ios', 'iOS'],
  ['android', 'Android'],
  ['chromium os', 'ChromeOS'],
  ['chrome os', 'ChromeOS'],
  ...[
    'linux',
    'ubuntu',
    'kubuntu',
    'xubuntu',
    'lubuntu',
    'debian',
    'fedora',
    'mint',
    'arch',
    'gentoo',
    'suse',
    'opensuse',
    'centos',
    'red hat',
    'redhat',
    'slackware',
    'mandriva',
    'mageia',
    'manjaro',
    'deepin',
    'elementary os',
    'raspbian',
    'pclinuxos',
  ].map((distro): [string, string] => [distro, 'Linux']),
]);

function osFamily(name: string | undefined): string {
  if (!name) return UNKNOWN;
  return OS_ALIASES.get(name.toLowerCase()) ?? name;
}

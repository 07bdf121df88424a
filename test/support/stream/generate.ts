/**
 * @module A seeded, synthetic stream of tracker traffic for the reference-model test.
 *
 * Four sites in four time zones (one with a half-hour offset), three consecutive days (one
 * of them the US switch to daylight saving time), several thousand visitors. Each visitor is one client address
 * and one User-Agent; a few pairs share a /24 and a User-Agent, so the collector (and
 * the reference) must see them as one. Visits look like real ones: Zipf-ish page
 * popularity, 1–8 pageviews, engagements sent before the next page, custom events,
 * referrers, UTM tags, secret query strings, bots, opt-out signals, and the awkward
 * cases: gaps of exactly 30 minutes, tabs left open across local midnight, engagements
 * that arrive late, for another page, or for no visit at all.
 *
 * Nothing here knows how the collector counts: it only produces requests.
 */
import type { EventPayload, PropValue } from '../../../collector/core/protocol.ts';
import { dayStart, parseDay } from '../../../collector/core/time/zone.ts';

export interface StreamEvent {
  /** Arrival time at the collector, ms since the epoch (sent as `x-test-time`). */
  time: number;
  /** The client address: the right-most `X-Forwarded-For` entry. */
  ip: string;
  /** The User-Agent header. */
  ua: string;
  /** Extra request headers: always `x-forwarded-for`; sometimes `dnt`, `sec-gpc`, `sec-purpose`, `content-type`. */
  headers: Record<string, string>;
  payload: EventPayload;
}

export interface StreamSite {
  domain: string;
  timezone: string;
  honourOptOut: boolean;
}

export const STREAM_SITES: readonly StreamSite[] = [
  { domain: 'example.com', timezone: 'UTC', honourOptOut: true },
  { domain: 'shop.example.org', timezone: 'Europe/Oslo', honourOptOut: true },
  // New York moves its clocks on 2026-03-08: a 23-hour local day. This site ignores DNT/GPC.
  { domain: 'blog.example.net', timezone: 'America/New_York', honourOptOut: false },
  // A half-hour offset: local hours start at :30 UTC.
  { domain: 'news.example.in', timezone: 'Asia/Kolkata', honourOptOut: true },
];

/** Local days of every site; the middle one is the DST switch in New York. */
export const STREAM_DAYS = ['2026-03-07', '2026-03-08', '2026-03-09'] as const;

/** ~15 real-world browsers, with how common they are. */
export const BROWSER_UAS: ReadonlyArray<readonly [string, number, 'desktop' | 'mobile' | 'tablet']> = [
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    22,
    'desktop',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    9,
    'desktop',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
    7,
    'desktop',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    16,
    'mobile',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    3,
    'mobile',
  ],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 6, 'desktop'],
  ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 2, 'desktop'],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
    6,
    'desktop',
  ],
  [
    'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    4,
    'mobile',
  ],
  [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36',
    12,
    'mobile',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36',
    2,
    'mobile',
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    4,
    'tablet',
  ],
  ['Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', 2, 'mobile'],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0',
    2,
    'desktop',
  ],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    1,
    'desktop',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    2,
    'desktop',
  ],
];

export const BOT_UAS: readonly string[] = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'curl/8.5.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  'python-requests/2.32.3',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
];

/** mulberry32: small, fast, and good enough for test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }
}

const MINUTE = 60_000;
const GAP = 30 * MINUTE;

/** Raw URL paths of a site, most popular first (some with a trailing slash or an escape). */
function pagesOf(domain: string): string[] {
  const out: string[] = ['/'];
  if (domain === 'example.com') {
    out.push('/pricing', '/features', '/docs', '/docs/install', '/docs/api', '/blog', '/about', '/changelog');
    out.push('/docs/api/events/', '/contact', '/privacy', '/caf%C3%A9', '/jobs');
    for (let i = 1; i <= 60; i++) out.push(`/blog/post-${i}`);
    for (let i = 1; i <= 20; i++) out.push(`/docs/guides/guide-${i}`);
  } else if (domain === 'shop.example.org') {
    out.push('/category/shoes', '/category/jackets', '/cart', '/search', '/checkout', '/category/hats');
    out.push('/account', '/returns', '/checkout/thank-you');
    for (let i = 1; i <= 110; i++) out.push(`/products/item-${i}`);
  } else if (domain === 'news.example.in') {
    out.push('/india', '/world', '/business', '/sport', '/live');
    for (let i = 1; i <= 40; i++) out.push(`/story/${1000 + i}`);
  } else {
    out.push('/about', '/archive', '/subscribe');
    for (let i = 1; i <= 50; i++) out.push(`/2026/03/post-${i}/`);
    for (let i = 1; i <= 15; i++) out.push(`/tags/tag-${i}`);
  }
  return out;
}

const BLOGS = Array.from({ length: 40 }, (_, i) => `https://blog-${i + 1}.example.dev/posts/${(i * 7) % 13}`);

function externalReferrer(rng: Rng, site: string): string | undefined {
  return rng.weighted<() => string | undefined>([
    [() => undefined, 34],
    [() => 'https://www.google.com/', 18],
    [() => rng.pick(['https://www.google.de/', 'https://www.google.co.uk/', 'https://google.no/']), 3],
    [() => 'android-app://com.google.android.googlequicksearchbox/', 1],
    [() => `https://www.bing.com/search?q=${rng.int(1, 99)}`, 5],
    [() => 'https://duckduckgo.com/', 5],
    [
      () =>
        rng.pick([
          'https://l.facebook.com/l.php?u=x',
          'https://m.facebook.com/',
          'https://www.facebook.com/',
        ]),
      4,
    ],
    [() => `https://news.ycombinator.com/item?id=${rng.int(40_000_000, 40_000_050)}`, 4],
    [() => rng.pick(BLOGS), 10],
    [
      () => rng.pick(['https://t.co/abc', 'https://www.linkedin.com/feed/', 'https://old.reddit.com/r/web/']),
      3,
    ],
    [() => `https://${site}/${rng.pick(['', 'blog', 'docs', 'about'])}`, 6],
    [() => `https://www.${site}/?from=self`, 1],
    [() => 'not a url', 1],
  ])();
}

function utmQuery(rng: Rng): string {
  const params = [
    `utm_source=${rng.pick(['newsletter', 'twitter', 'mastodon', 'google', 'partner-site'])}`,
    `utm_medium=${rng.pick(['email', 'social', 'cpc', 'referral'])}`,
  ];
  if (rng.chance(0.8))
    params.push(`utm_campaign=${rng.pick(['spring-sale', 'launch-2026', 'weekly-10', 'weekly-11'])}`);
  if (rng.chance(0.3)) params.push(`utm_term=${rng.pick(['analytics', 'privacy+analytics', 'cookieless'])}`);
  if (rng.chance(0.3)) params.push(`utm_content=${rng.pick(['header', 'footer', 'banner-a', 'banner-b'])}`);
  if (rng.chance(0.1)) params.shift(); // medium without source
  return params.join('&');
}

export interface StreamMeta {
  visitors: number;
  humanVisitors: number;
  botVisitors: number;
  /** Pairs of visitors that share a /24 (or /48) and a User-Agent on one site: one visitor to the collector. */
  collapsedPairs: number;
  ipv6Visitors: number;
  ghostEngagements: number;
  /** Planned visits whose events cross a local midnight of their site. */
  midnightVisits: number;
}

export interface Stream {
  events: StreamEvent[];
  meta: StreamMeta;
}

interface Visitor {
  site: StreamSite;
  host: string;
  ip: string;
  ua: string;
  bot: boolean;
  width: number | undefined;
  headers: Record<string, string>;
}

/** The whole stream, sorted by time (stable: a visitor's events keep their order on ties). */
export function generateStream(seed = 20260307, visitorCount = 5400): Stream {
  const rng = new Rng(seed);
  const raw: { event: StreamEvent; seq: number }[] = [];
  const meta: StreamMeta = {
    visitors: 0,
    humanVisitors: 0,
    botVisitors: 0,
    collapsedPairs: 0,
    ipv6Visitors: 0,
    ghostEngagements: 0,
    midnightVisits: 0,
  };
  const pages = new Map(STREAM_SITES.map((s) => [s.domain, pagesOf(s.domain)]));
  const zipf = new Map(
    [...pages].map(([domain, list]) => [domain, list.map((path, i) => [path, 1 / (i + 1) ** 1.1] as const)]),
  );
  const range = new Map(
    STREAM_SITES.map((s) => {
      const first = parseDay(STREAM_DAYS[0]) ?? 0;
      const last = parseDay(STREAM_DAYS[STREAM_DAYS.length - 1] ?? '') ?? 0;
      return [
        s.domain,
        { from: dayStart(s.timezone, first) * 1000, to: dayStart(s.timezone, last + 1) * 1000 },
      ];
    }),
  );
  const rangeOf = (site: StreamSite) => {
    const r = range.get(site.domain);
    if (!r) throw new Error(site.domain);
    return r;
  };
  const midnights = (site: StreamSite) => {
    const first = parseDay(STREAM_DAYS[0]) ?? 0;
    return [1, 2].map((d) => dayStart(site.timezone, first + d) * 1000);
  };

  const used24 = new Set<string>();
  const firstOctets = [
    23, 31, 45, 62, 77, 81, 84, 88, 91, 95, 109, 128, 151, 176, 185, 193, 195, 203, 212, 217,
  ];
  const fresh24 = (): string => {
    for (;;) {
      const prefix = `${rng.pick(firstOctets)}.${rng.int(0, 255)}.${rng.int(0, 255)}`;
      if (!used24.has(prefix)) {
        used24.add(prefix);
        return prefix;
      }
    }
  };
  const hex = () => rng.int(0x1000, 0xffff).toString(16);
  const fresh48 = (): string => {
    for (;;) {
      const prefix = `2a02:${hex()}:${hex()}`;
      if (!used24.has(prefix)) {
        used24.add(prefix);
        return prefix;
      }
    }
  };

  let seq = 0;
  const emit = (v: Visitor, time: number, payload: EventPayload, extra: Record<string, string> = {}) => {
    const r = rangeOf(v.site);
    if (time < r.from || time >= r.to) return;
    raw.push({
      event: { time, ip: v.ip, ua: v.ua, headers: { ...v.headers, ...extra }, payload },
      seq: seq++,
    });
  };

  const pickPath = (site: StreamSite) => rng.weighted(zipf.get(site.domain) ?? []);
  const pageUrl = (v: Visitor, path: string) => {
    let url = `https://${rng.chance(0.03) ? `www.${v.site.domain}` : v.host}${path}`;
    if (rng.chance(0.02)) url += '#section-2';
    return url;
  };

  const makeVisitor = (site: StreamSite, bot: boolean, ip?: string, ua?: string): Visitor => {
    const kind = rng.weighted<'v4' | 'v6' | 'mapped'>([
      ['v4', 95],
      ['v6', 4],
      ['mapped', 1],
    ]);
    const address =
      ip ??
      (kind === 'v6'
        ? `${fresh48()}:${hex()}::${hex()}`
        : kind === 'mapped'
          ? `::ffff:${fresh24()}.${rng.int(1, 254)}`
          : `${fresh24()}.${rng.int(1, 254)}`);
    if (!ip && kind === 'v6') meta.ipv6Visitors++;
    const browser = rng.weighted(BROWSER_UAS.map((entry) => [entry, entry[1]] as const));
    const agent = ua ?? (bot ? rng.pick(BOT_UAS) : browser[0]);
    const formFactor = BROWSER_UAS.find((entry) => entry[0] === agent)?.[2] ?? 'desktop';
    const widths =
      formFactor === 'mobile'
        ? [360, 375, 390, 393, 412, 414]
        : formFactor === 'tablet'
          ? [768, 810, 820, 1024]
          : [1280, 1366, 1440, 1536, 1920, 2560, 900];
    const headers: Record<string, string> = {
      'x-forwarded-for': rng.chance(0.15)
        ? `${rng.pick(['10.1.2.3', '198.51.100.7', '2001:db8::1'])}, ${address}`
        : address,
    };
    const optOut = rng.next();
    if (optOut < 0.03) headers.dnt = '1';
    else if (optOut < 0.05) headers['sec-gpc'] = '1';
    else if (optOut < 0.056) {
      headers.dnt = '1';
      headers['sec-gpc'] = '1';
    } else if (optOut < 0.07) headers.dnt = '0';
    if (rng.chance(0.2)) headers['content-type'] = 'application/json';
    meta.visitors++;
    if (bot) meta.botVisitors++;
    else meta.humanVisitors++;
    return {
      site,
      host: site.domain,
      ip: address,
      ua: agent,
      bot,
      width: rng.chance(0.1) ? undefined : rng.pick(widths),
      headers,
    };
  };

  const dwell = (): number =>
    rng.weighted<() => number>([
      [() => rng.int(2_000, 90_000), 60],
      [() => rng.int(90_000, 6 * MINUTE), 25],
      [() => rng.int(6 * MINUTE, 20 * MINUTE), 10],
      [() => rng.int(20 * MINUTE, 30 * MINUTE - 2), 3],
      [() => GAP - 1, 1],
      [() => GAP, 1],
    ])();

  const customEvent = (v: Visitor): { name: string; props?: Record<string, PropValue> } =>
    rng.weighted<() => { name: string; props?: Record<string, PropValue> }>([
      [
        () => ({
          name: 'signup',
          props: { plan: rng.pick(['free', 'pro', 'team']), trial: rng.chance(0.5) },
        }),
        4,
      ],
      [
        () => ({
          name: 'download',
          props: { file: rng.pick(['glimt.zip', 'report.pdf']), size: rng.int(1, 900) },
        }),
        4,
      ],
      [() => ({ name: v.site.domain === 'shop.example.org' ? 'purchase' : 'Outbound Link: Click' }), 2],
    ])();

  /** One visit as a browser would send it; returns the time of its last event. */
  const visit = (v: Visitor, start: number): number => {
    const site = v.site;
    let t = start;
    let last = start;
    const at = (time: number, payload: EventPayload, extra?: Record<string, string>) => {
      emit(v, time, payload, extra);
      last = Math.max(last, time);
    };
    const base = (url: string, referrer: string | undefined) => ({
      site: site.domain,
      url,
      ...(referrer === undefined ? {} : { referrer }),
      ...(v.width === undefined ? {} : { width: v.width }),
    });

    if (v.bot) {
      const n = rng.int(1, 12);
      for (let i = 0; i < n; i++) {
        at(t, { ...base(pageUrl(v, pickPath(site)), undefined), name: 'pageview' });
        if (rng.chance(0.1))
          at(t + 300, { ...base(pageUrl(v, '/'), undefined), name: 'engagement', engaged_ms: 10 });
        t += rng.int(200, 20_000);
      }
      return last;
    }

    const landingRef = externalReferrer(rng, site.domain);
    let query = '';
    if (rng.chance(0.15)) query = `?${utmQuery(rng)}`;
    if (rng.chance(0.05)) query += `${query ? '&' : '?'}email=jane.doe%40example.com&token=s3cr3t`;
    if (rng.chance(0.03)) query += `${query ? '&' : '?'}page=2`;
    const landingUrl = pageUrl(v, pickPath(site)) + query;

    if (rng.chance(0.006)) {
      // A visit that is one custom event and nothing else.
      at(t, { ...base(landingUrl, landingRef), ...customEvent(v) });
      return last;
    }
    if (rng.chance(0.012)) {
      // A custom event opens the visit (a download from a page cached since yesterday).
      at(t, { ...base(landingUrl, landingRef), ...customEvent(v) });
      t += rng.int(500, 60_000);
    }
    const n = rng.weighted([
      [1, 35],
      [2, 20],
      [3, 14],
      [4, 10],
      [5, 8],
      [6, 6],
      [7, 4],
      [8, 3],
    ] as const);
    let prevUrl: string | undefined;
    for (let i = 0; i < n; i++) {
      const url = i === 0 ? landingUrl : pageUrl(v, pickPath(site));
      const referrer = i === 0 ? landingRef : rng.chance(0.92) ? prevUrl : undefined;
      at(t, { ...base(url, referrer), name: 'pageview' });
      if (rng.chance(0.005)) {
        // A prefetch of the next page: dropped, never a view.
        at(
          t + 15,
          { ...base(pageUrl(v, pickPath(site)), url), name: 'pageview' },
          { 'sec-purpose': 'prefetch' },
        );
      }
      const stay = dwell();
      if (rng.chance(0.06)) at(t + Math.floor(stay / 2), { ...base(url, referrer), ...customEvent(v) });
      const lastPage = i === n - 1;
      const next = t + stay + rng.int(20, 900);
      const style = rng.next();
      const engaged = () => Math.round(stay * (0.2 + 0.8 * rng.next()));
      if (style < 0.78) {
        // The usual: the engagement of this page leaves just before the next page loads.
        at(t + stay, {
          ...base(url, referrer),
          name: 'engagement',
          engaged_ms: rng.chance(0.01) ? 0 : engaged(),
        });
      } else if (style < 0.8 && !lastPage) {
        // Late: it arrives after the next pageview (another path, unless the same page again).
        at(next + rng.int(5, 200), { ...base(url, referrer), name: 'engagement', engaged_ms: engaged() });
      } else if (style < 0.81 && !lastPage) {
        // A long read: hidden at 25 min (an engagement, sometimes from another tab), the next page at 40 min.
        const from = rng.chance(0.5) ? url : pageUrl(v, pickPath(site));
        at(t + 25 * MINUTE, { ...base(from, referrer), name: 'engagement', engaged_ms: 20 * MINUTE });
        t += 40 * MINUTE;
        prevUrl = url;
        continue;
      } else if (lastPage && style < 0.83) {
        // Tab left in the background, closed much later: the visit has gone quiet.
        at(t + rng.int(31, 70) * MINUTE, {
          ...base(url, referrer),
          name: 'engagement',
          engaged_ms: rng.int(1_000, 60_000),
        });
      } else if (lastPage && style < 0.85) {
        // Closed right at the 30-minute mark: an engagement at exactly 30 min does not keep the visit alive.
        const after = rng.pick([GAP - 1, GAP, GAP + 1]);
        at(t + after, { ...base(url, referrer), name: 'engagement', engaged_ms: rng.int(1_000, after) });
      }
      if (rng.chance(lastPage ? 0.04 : 0.01)) {
        // Another tab of the same browser fires a custom event on another page: not a pageview, so no exit.
        at(t + Math.floor(stay / 3), { ...base(pageUrl(v, pickPath(site)), undefined), ...customEvent(v) });
      }
      // else: no engagement at all (the page's time is the gap to the next event, or nothing).
      prevUrl = url;
      t = next;
    }
    return last;
  };

  const timeline = (v: Visitor) => {
    const r = rangeOf(v.site);
    let start: number;
    const where = rng.next();
    if (where < 0.07) {
      // Starts shortly before a local midnight and may run past it.
      start = rng.pick(midnights(v.site)) - rng.int(30_000, 25 * MINUTE);
    } else if (where < 0.12) {
      // Starts in the last minutes of an hour.
      const hour = Math.floor((r.from + rng.next() * (r.to - r.from)) / 3_600_000) * 3_600_000;
      start = hour + 3_600_000 - rng.int(10_000, 5 * MINUTE);
    } else {
      start = r.from + Math.floor(rng.next() * (r.to - r.from - 30 * MINUTE));
    }
    const visits = v.bot
      ? rng.int(1, 3)
      : rng.weighted([
          [1, 50],
          [2, 25],
          [3, 13],
          [4, 7],
          [5, 5],
        ] as const);
    for (let i = 0; i < visits && start < r.to; i++) {
      const end = visit(v, start);
      if (midnights(v.site).some((m) => start < m && end >= m)) meta.midnightVisits++;
      start =
        end +
        rng.weighted<() => number>([
          [() => GAP, 6],
          [() => GAP - 1, 5],
          [() => GAP + 1, 5],
          [() => rng.int(31 * MINUTE, 120 * MINUTE), 24],
          [() => rng.int(2 * 3_600_000, 30 * 3_600_000), 60],
        ])();
    }
  };

  const siteWeights = STREAM_SITES.map((s, i) => [s, [40, 27, 21, 12][i] ?? 1] as const);
  const humans: Visitor[] = [];
  for (let i = 0; i < visitorCount; i++) {
    const bot = rng.chance(0.05);
    const v = makeVisitor(rng.weighted(siteWeights), bot);
    if (!bot) humans.push(v);
    timeline(v);
  }

  // Pairs that collapse: same site, same /24 (or /48), same User-Agent, another host address.
  for (let i = 0; i < 60; i++) {
    const other = rng.pick(humans);
    const v4 = /^(\d+\.\d+\.\d+)\.\d+$/.exec(other.ip);
    const v6 = /^([0-9a-f]+:[0-9a-f]+:[0-9a-f]+):/.exec(other.ip);
    // Some partners come as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), which is the same IPv4 address.
    const mapped = rng.chance(0.2) ? '::ffff:' : '';
    if (v4) timeline(makeVisitor(other.site, false, `${mapped}${v4[1]}.${rng.int(1, 254)}`, other.ua));
    else if (v6) timeline(makeVisitor(other.site, false, `${v6[1]}:${hex()}::${hex()}`, other.ua));
    else continue;
    meta.collapsedPairs++;
  }
  // Near misses: the same /24 with another User-Agent, or on another site: distinct visitors.
  for (let i = 0; i < 30; i++) {
    const other = rng.pick(humans);
    const v4 = /^(\d+\.\d+\.\d+)\.\d+$/.exec(other.ip);
    if (!v4) continue;
    const sameSite = i % 2 === 0;
    const site = sameSite ? other.site : rng.pick(STREAM_SITES.filter((s) => s !== other.site));
    const ua = sameSite ? rng.pick(BROWSER_UAS.filter((b) => b[0] !== other.ua))[0] : other.ua;
    timeline(makeVisitor(site, false, `${v4[1]}.${rng.int(1, 254)}`, ua));
  }
  // Engagements from visitors with no visit that day.
  for (let i = 0; i < 150; i++) {
    const v = makeVisitor(rng.weighted(siteWeights), false);
    const r = rangeOf(v.site);
    const time = r.from + Math.floor(rng.next() * (r.to - r.from));
    emit(v, time, {
      site: v.site.domain,
      url: pageUrl(v, pickPath(v.site)),
      name: 'engagement',
      engaged_ms: 4_000,
    });
    meta.ghostEngagements++;
  }

  raw.sort((a, b) => a.event.time - b.event.time || a.seq - b.seq);
  return { events: raw.map((r) => r.event), meta };
}

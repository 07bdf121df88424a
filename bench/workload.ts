/**
 * @module Realistic synthetic traffic, shared by `npm run bench`, `npm run seed` and the k6 scripts.
 *
 * Runtime-free on purpose (no `node:*`, no Buffer): k6 imports it as it is.
 *
 * - Several sites of unequal size; each site's pages are Zipf-distributed (s ≈ 1.07: the
 *   front page and a few hits take most views, with a long tail).
 * - Visitors: every session draws a visitor with its own /24 (sent as a trusted
 *   `X-Forwarded-For`), a User-Agent from a real-world mix with a long tail of versions,
 *   and a screen width that fits its device. Some visitors return (a new session of an
 *   earlier visitor); a few are bots or send an opt-out signal (dropped by Glimt on purpose).
 * - Sessions: a landing page with a referrer from a realistic mix (search, social, other
 *   sites, direct) and sometimes UTM tags or tracking parameters, then more pages
 *   (self-referred), engagement events and custom events with props.
 * - The load stream interleaves many live sessions, so successive requests come from
 *   distinct visitors and no cache only ever sees one.
 *
 * Engagement events carry a fixed `engaged_ms` ({@link ENGAGED_MS}): the loss check counts
 * them from the stored engaged time, as the stats API exposes no count of them.
 */

/** Engaged time every `engagement` event reports: a fixed quantum so that stored engaged time counts them. */
export const ENGAGED_MS = 8000;

/** How Glimt is expected to account for an event: counted, or dropped for a named reason. */
export type EventClass = 'pageview' | 'custom' | 'engagement' | 'bot' | 'gpc' | 'dnt';
export const EVENT_CLASSES: readonly EventClass[] = ['pageview', 'custom', 'engagement', 'bot', 'gpc', 'dnt'];

export interface SiteSpec {
  domain: string;
  /** Share of sessions. */
  weight: number;
  /** Distinct pages (Zipf ranks). */
  pages: number;
  kind: 'news' | 'shop' | 'docs' | 'blog' | 'app';
}

export const BENCH_SITES: readonly SiteSpec[] = [
  { domain: 'news.example.com', weight: 50, pages: 5000, kind: 'news' },
  { domain: 'shop.example.org', weight: 25, pages: 2000, kind: 'shop' },
  { domain: 'docs.example.net', weight: 14, pages: 800, kind: 'docs' },
  { domain: 'blog.example.io', weight: 8, pages: 300, kind: 'blog' },
  { domain: 'app.example.dev', weight: 3, pages: 60, kind: 'app' },
];

/** One request as the load generators send it. */
export interface BenchRequest {
  site: string;
  cls: EventClass;
  /** JSON body, as the tracker sends it. */
  body: string;
  userAgent: string;
  /** Client address, for `X-Forwarded-For` (Glimt runs with GLIMT_TRUST_PROXY=1). */
  ip: string;
  contentType: string;
  /** Extra headers (opt-out signals), lower-case names. */
  headers: Record<string, string>;
}

/** A tracker payload without its time. */
export interface SessionEvent {
  name: string;
  url: string;
  referrer?: string;
  width?: number;
  engaged_ms?: number;
  props?: Record<string, string | number | boolean>;
}

export interface Visitor {
  index: number;
  ip: string;
  userAgent: string;
  width: number;
  /** Glimt drops every event of this visitor: a bot UA, or an opt-out header. */
  cls: 'human' | 'bot' | 'gpc' | 'dnt';
}

// ---------------------------------------------------------------------------
// Random numbers: small, seeded, the same in Node and k6.

export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }
  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** Samples an index from cumulative weights. */
export class Weighted<T> {
  readonly items: readonly T[];
  readonly #cdf: Float64Array;
  constructor(entries: readonly (readonly [T, number])[]) {
    this.items = entries.map((e) => e[0]);
    this.#cdf = new Float64Array(entries.length);
    let sum = 0;
    entries.forEach(([, w], i) => {
      sum += w;
      this.#cdf[i] = sum;
    });
    for (let i = 0; i < this.#cdf.length; i++) this.#cdf[i] = (this.#cdf[i] as number) / sum;
  }
  index(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.#cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  sample(rng: Rng): T {
    return this.items[this.index(rng)] as T;
  }
}

/** Zipf over ranks 0..n-1 with exponent s. */
export function zipf(n: number, s = 1.07): Weighted<number> {
  const entries: [number, number][] = [];
  for (let k = 0; k < n; k++) entries.push([k, 1 / (k + 1) ** s]);
  return new Weighted(entries);
}

// ---------------------------------------------------------------------------
// User-Agents: a real-world mix (StatCounter-like shares), each family with a tail of versions.

type UaFamily = readonly [share: number, make: (rng: Rng) => string, device: 'desktop' | 'mobile' | 'tablet'];

const chromeMajor = (rng: Rng) => 124 + Math.min(9, Math.floor(-Math.log(1 - rng.next()) * 2.2));
const iosVersion = (rng: Rng) =>
  rng.pick(['18_1', '18_0', '17_7', '18_2', '17_6', '16_7', '17_5', '18_1_1', '15_8']);
const samsungModel = (rng: Rng) =>
  `SM-${rng.pick(['S', 'A', 'G', 'N'])}${rng.pick([911, 918, 546, 536, 525, 156, 981, 998, 146, 236])}${rng.pick(['B', 'U', 'F', ''])}`;
const firefoxMajor = (rng: Rng) => 115 + rng.pick([18, 18, 18, 17, 17, 16, 0, 13, 15]);

const UA_FAMILIES: readonly UaFamily[] = [
  [
    30,
    (r) =>
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeMajor(r)}.0.0.0 Safari/537.36`,
    'desktop',
  ],
  [
    24,
    (r) =>
      `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeMajor(r)}.0.0.0 Mobile Safari/537.36`,
    'mobile',
  ],
  [
    17,
    (r) => {
      const v = iosVersion(r);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v.split('_').slice(0, 2).join('.')} Mobile/15E148 Safari/604.1`;
    },
    'mobile',
  ],
  [
    7,
    (r) =>
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeMajor(r)}.0.0.0 Safari/537.36`,
    'desktop',
  ],
  [
    5,
    (r) =>
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${r.pick(['18.1', '18.0', '17.6', '18.2'])} Safari/605.1.15`,
    'desktop',
  ],
  [
    5,
    (r) => {
      const m = chromeMajor(r);
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${m}.0.0.0 Safari/537.36 Edg/${m}.0.${2800 + m}.${r.pick([56, 70, 86])}`;
    },
    'desktop',
  ],
  [
    3,
    (r) => {
      const m = firefoxMajor(r);
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${m}.0) Gecko/20100101 Firefox/${m}.0`;
    },
    'desktop',
  ],
  [
    2.5,
    (r) =>
      `Mozilla/5.0 (Linux; Android 14; SAMSUNG ${samsungModel(r)}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${r.pick(['26.0', '25.0', '27.0'])} Chrome/122.0.0.0 Mobile Safari/537.36`,
    'mobile',
  ],
  [
    2,
    (r) => {
      const v = iosVersion(r);
      return `Mozilla/5.0 (iPad; CPU OS ${v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v.split('_').slice(0, 2).join('.')} Mobile/15E148 Safari/604.1`;
    },
    'tablet',
  ],
  [
    1.5,
    (r) =>
      `Mozilla/5.0 (iPhone; CPU iPhone OS ${iosVersion(r)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${chromeMajor(r)}.0.6778.${r.pick([73, 103, 134])} Mobile/15E148 Safari/604.1`,
    'mobile',
  ],
  [
    1,
    (r) => {
      const m = firefoxMajor(r);
      return `Mozilla/5.0 (X11; Linux x86_64; rv:${m}.0) Gecko/20100101 Firefox/${m}.0`;
    },
    'desktop',
  ],
  [
    1,
    (r) =>
      `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeMajor(r)}.0.0.0 Safari/537.36`,
    'desktop',
  ],
  [
    1,
    (r) => {
      const m = chromeMajor(r);
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${m}.0.0.0 Safari/537.36 OPR/${m - 15}.0.0.0`;
    },
    'desktop',
  ],
];

const BOT_UAS: readonly string[] = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
];

const UA_MIX = new Weighted(UA_FAMILIES.map((f) => [f, f[0]] as const));

const WIDTHS = {
  desktop: [1920, 1920, 1536, 1440, 1366, 2560, 1280, 1680],
  mobile: [390, 393, 412, 360, 414, 430, 375, 384],
  tablet: [768, 810, 820, 1024, 834],
} as const;

/** A distinct /24 for (almost) every visitor index, in unicast space; the host byte varies too. */
export function ipFor(index: number): string {
  const x = Math.imul(index + 1, 0x9e3779b1) >>> 8; // 24 bits, a bijection of index mod 2^24
  let a = x >>> 16;
  if (a === 0 || a === 10 || a === 127 || a >= 224) a = 11 + (a % 200);
  return `${a}.${(x >>> 8) & 255}.${x & 255}.${1 + (Math.imul(index, 7) & 127)}`;
}

export function makeVisitor(
  index: number,
  rng: Rng,
  opts: { bots?: number; gpc?: number; dnt?: number } = {},
): Visitor {
  const u = rng.next();
  const bots = opts.bots ?? 0.03;
  const gpc = opts.gpc ?? 0.015;
  const dnt = opts.dnt ?? 0.01;
  if (u < bots) return { index, ip: ipFor(index), userAgent: rng.pick(BOT_UAS), width: 1920, cls: 'bot' };
  const family = UA_MIX.sample(rng);
  const cls = u < bots + gpc ? 'gpc' : u < bots + gpc + dnt ? 'dnt' : 'human';
  return { index, ip: ipFor(index), userAgent: family[1](rng), width: rng.pick(WIDTHS[family[2]]), cls };
}

// ---------------------------------------------------------------------------
// Pages, referrers, campaigns, custom events.

const WORDS = [
  'budget',
  'election',
  'climate',
  'football',
  'recipe',
  'markets',
  'review',
  'guide',
  'launch',
  'winter',
  'housing',
  'energy',
  'startup',
  'travel',
  'music',
  'science',
  'health',
  'school',
  'festival',
  'update',
];

function pathFor(site: SiteSpec, rank: number): string {
  if (rank === 0) return '/';
  const w1 = WORDS[rank % WORDS.length] as string;
  const w2 = WORDS[(rank * 7 + 3) % WORDS.length] as string;
  switch (site.kind) {
    case 'news':
      return `/${2026 - (rank % 3)}/${String(1 + (rank % 12)).padStart(2, '0')}/${w1}-${w2}-${rank}`;
    case 'shop':
      return rank % 5 === 0 ? `/category/${w1}` : `/products/${w1}-${w2}-${1000 + rank}`;
    case 'docs':
      return `/docs/v${1 + (rank % 3)}/${w1}/${w2}-${rank}`;
    case 'blog':
      return `/posts/${w1}-${w2}-${rank}/`;
    case 'app':
      return rank < 6
        ? (['/pricing', '/login', '/signup', '/features', '/about', '/contact'][rank] as string)
        : `/app/${w1}/${rank}`;
  }
}

const SEARCH = [
  ['https://www.google.com/', 60],
  ['https://www.bing.com/', 6],
  ['https://duckduckgo.com/', 3],
  ['https://search.yahoo.com/', 1],
  ['https://www.ecosia.org/', 1],
] as const;
const SOCIAL = [
  ['https://l.facebook.com/', 6],
  ['https://t.co/', 3],
  ['https://www.linkedin.com/', 2],
  ['https://www.reddit.com/', 3],
  ['https://news.ycombinator.com/', 1],
  ['https://www.instagram.com/', 2],
] as const;
const REFERRER_MIX = new Weighted<string | null>([[null, 42], ...SEARCH, ...SOCIAL, ['other', 8]]);
const CAMPAIGNS = new Weighted<string>([
  ['utm_source=newsletter&utm_medium=email&utm_campaign=weekly-digest', 4],
  ['utm_source=facebook&utm_medium=cpc&utm_campaign=spring-sale&utm_content=carousel-a', 2],
  ['utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=glimt+analytics', 2],
  ['utm_source=twitter&utm_medium=social&utm_campaign=launch-week', 1],
  ['utm_source=partner-blog&utm_medium=referral&utm_campaign=affiliate-q4', 1],
]);
const TRACKING = ['fbclid=IwAR2x', 'gclid=Cj0KCQ', 'ref=producthunt', 'session=abc123&lang=en'];

const CUSTOM: Record<SiteSpec['kind'], readonly string[]> = {
  news: ['share', 'newsletter_signup', 'comment'],
  shop: ['add_to_cart', 'checkout', 'purchase', 'wishlist'],
  docs: ['copy_code', 'search', 'feedback'],
  blog: ['outbound_click', 'share'],
  app: ['signup', 'login', 'start_trial'],
};

function customProps(rng: Rng, name: string): Record<string, string | number | boolean> {
  switch (name) {
    case 'purchase':
      return { value: 10 + rng.int(400), currency: 'EUR', items: 1 + rng.int(4) };
    case 'add_to_cart':
      return { sku: `SKU-${1000 + rng.int(2000)}`, price: 5 + rng.int(300) };
    case 'outbound_click':
      return { url: `https://example-partner-${rng.int(40)}.com/` };
    case 'feedback':
      return { helpful: rng.chance(0.8) };
    default:
      return { plan: rng.pick(['free', 'pro', 'team']) };
  }
}

interface SiteModel {
  spec: SiteSpec;
  origin: string;
  paths: string[];
  ranks: Weighted<number>;
}

function siteModel(spec: SiteSpec): SiteModel {
  const paths: string[] = [];
  for (let rank = 0; rank < spec.pages; rank++) paths.push(pathFor(spec, rank));
  return { spec, origin: `https://${spec.domain}`, paths, ranks: zipf(spec.pages) };
}

/** The sessions of one site's visitors: landing page, referrer, more pages, engagement, custom events. */
export class SessionModel {
  readonly sites: SiteModel[];
  readonly #siteMix: Weighted<SiteModel>;

  constructor(sites: readonly SiteSpec[] = BENCH_SITES) {
    this.sites = sites.map(siteModel);
    this.#siteMix = new Weighted(this.sites.map((s) => [s, s.spec.weight] as const));
  }

  pickSite(rng: Rng): SiteModel {
    return this.#siteMix.sample(rng);
  }

  /** One visit's events, in order. Bots view pages only. */
  session(rng: Rng, site: SiteModel, visitor: Visitor): SessionEvent[] {
    const events: SessionEvent[] = [];
    let url = site.origin + (site.paths[site.ranks.index(rng)] as string);
    const query: string[] = [];
    if (rng.chance(0.1)) query.push(CAMPAIGNS.sample(rng));
    if (rng.chance(0.05)) query.push(rng.pick(TRACKING));
    let referrer = REFERRER_MIX.sample(rng);
    if (referrer === 'other') referrer = `https://blog-${rng.int(400)}.example-ref.net/post/${rng.int(1000)}`;
    if (query.length > 0) url += `?${query.join('&')}`;
    const pages =
      visitor.cls === 'bot' ? 1 + rng.int(5) : 1 + Math.min(12, Math.floor(-Math.log(1 - rng.next()) * 1.4));
    for (let i = 0; i < pages; i++) {
      const view: SessionEvent = { name: 'pageview', url, width: visitor.width };
      if (referrer) view.referrer = referrer;
      events.push(view);
      if (visitor.cls === 'bot') {
        referrer = url;
        url = site.origin + (site.paths[site.ranks.index(rng)] as string);
        continue;
      }
      const bare = url.split('?')[0] as string;
      if (rng.chance(0.06)) {
        const name = rng.pick(CUSTOM[site.spec.kind]);
        events.push({ name, url: bare, width: visitor.width, props: customProps(rng, name) });
      }
      if (rng.chance(0.65)) events.push({ name: 'engagement', url: bare, engaged_ms: ENGAGED_MS });
      referrer = bare;
      url = site.origin + (site.paths[site.ranks.index(rng)] as string);
    }
    return events;
  }
}

/** The request a tracker on `site` sends for `event` of `visitor`. */
export function toRequest(site: string, event: SessionEvent, visitor: Visitor): BenchRequest {
  const headers: Record<string, string> = {};
  if (visitor.cls === 'gpc') headers['sec-gpc'] = '1';
  if (visitor.cls === 'dnt') headers.dnt = '1';
  return {
    site,
    cls: classOf(event, visitor),
    body: JSON.stringify({ site, ...event }),
    userAgent: visitor.userAgent,
    ip: visitor.ip,
    contentType: (visitor.index & 7) < 6 ? 'text/plain;charset=UTF-8' : 'application/json',
    headers,
  };
}

export function classOf(event: SessionEvent, visitor: Visitor): EventClass {
  if (visitor.cls !== 'human') return visitor.cls;
  return event.name === 'pageview' ? 'pageview' : event.name === 'engagement' ? 'engagement' : 'custom';
}

// ---------------------------------------------------------------------------
// The load stream.

export interface StreamOptions {
  seed?: number;
  sites?: readonly SiteSpec[];
  /** Sessions live at once; each request comes from one of them at random. */
  liveSessions?: number;
  /** Share of sessions from a visitor seen before (same /24 and UA: same visitor hash that day). */
  returning?: number;
  /** Every request from one visitor (one /24, one UA): the contrast case. */
  singleVisitor?: boolean;
  /** First visitor index: separate generators (k6 VUs) use separate visitor ranges. */
  visitorBase?: number;
  bots?: number;
  gpc?: number;
  dnt?: number;
}

interface LiveSession {
  site: SiteModel;
  visitor: Visitor;
  events: SessionEvent[];
  at: number;
}

export class TrafficStream {
  readonly #rng: Rng;
  readonly #model: SessionModel;
  readonly #live: LiveSession[] = [];
  readonly #opts: Required<Omit<StreamOptions, 'sites' | 'seed'>>;
  readonly #seen: Visitor[] = [];
  #nextVisitor: number;

  constructor(options: StreamOptions = {}) {
    this.#rng = new Rng(options.seed ?? 1);
    this.#model = new SessionModel(options.sites ?? BENCH_SITES);
    this.#opts = {
      liveSessions: options.liveSessions ?? 2000,
      returning: options.returning ?? 0.2,
      singleVisitor: options.singleVisitor ?? false,
      visitorBase: options.visitorBase ?? 0,
      bots: options.bots ?? 0.03,
      gpc: options.gpc ?? 0.015,
      dnt: options.dnt ?? 0.01,
    };
    this.#nextVisitor = this.#opts.visitorBase;
    if (this.#opts.singleVisitor) this.#opts.liveSessions = 1;
  }

  get sites(): string[] {
    return this.#model.sites.map((s) => s.spec.domain);
  }

  next(): BenchRequest {
    const rng = this.#rng;
    // While the pool fills, a new session starts on about a third of the requests, so that
    // from the start the stream mixes first pageviews with the later events of live sessions.
    const growing =
      this.#live.length < this.#opts.liveSessions && (this.#live.length === 0 || rng.chance(0.35));
    let slot = growing ? -1 : rng.int(this.#live.length);
    if (slot < 0) {
      this.#live.push(this.#newSession());
      slot = this.#live.length - 1;
    } else if ((this.#live[slot] as LiveSession).at >= (this.#live[slot] as LiveSession).events.length) {
      this.#live[slot] = this.#newSession();
    }
    const live = this.#live[slot] as LiveSession;
    const event = live.events[live.at++] as SessionEvent;
    return toRequest(live.site.spec.domain, event, live.visitor);
  }

  #newSession(): LiveSession {
    const rng = this.#rng;
    let visitor: Visitor;
    if (this.#opts.singleVisitor) {
      visitor = this.#seen[0] ?? makeVisitor(this.#opts.visitorBase, rng, { bots: 0, gpc: 0, dnt: 0 });
      if (this.#seen.length === 0) this.#seen.push(visitor);
    } else if (this.#seen.length > 100 && rng.chance(this.#opts.returning)) {
      visitor = this.#seen[rng.int(this.#seen.length)] as Visitor;
    } else {
      visitor = makeVisitor(this.#nextVisitor++, rng, this.#opts);
      if (this.#seen.length < 200_000) this.#seen.push(visitor);
      else this.#seen[rng.int(this.#seen.length)] = visitor;
    }
    const site = this.#model.pickSite(rng);
    return { site, visitor, events: this.#model.session(rng, site, visitor), at: 0 };
  }
}

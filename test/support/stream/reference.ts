/**
 * @module The reference model: what the stats API must answer for a raw event stream,
 * computed naively and independently of `collector/core/aggregate` and `stats/query.ts`.
 *
 * It follows CONTRACT.md ("Metrics") and ARCHITECTURE.md ("Metric semantics, exactly").
 * Only the per-event enrichment is borrowed from the collector (bot regexes, URL and
 * referrer normalisation, User-Agent parsing, address truncation, local time): the point
 * is to check sessionisation and aggregation, not regexes. Everything else is brute
 * force: events are grouped by visitor identity (site, local day, truncated address,
 * User-Agent), split into visits by the 30-minute rule, and every metric is counted
 * again from scratch for every question, with Sets for distinct visitors.
 */
import { NONE, VISIT_DIMENSIONS, type VisitDimension } from '../../../collector/core/dimensions.ts';
import { attributeSource } from '../../../collector/core/pipeline/attribute-source.ts';
import { isBotUserAgent } from '../../../collector/core/pipeline/drop-bot.ts';
import { normaliseUrl } from '../../../collector/core/pipeline/normalise-url.ts';
import { parseUserAgent } from '../../../collector/core/pipeline/parse-user-agent.ts';
import { truncateAddress } from '../../../collector/core/pipeline/truncate-ip.ts';
import { localTime } from '../../../collector/core/time/zone.ts';
import type { StreamEvent, StreamSite } from './generate.ts';

const GAP_MS = 30 * 60 * 1000;

type Kind = 'pageview' | 'engagement' | 'custom';

export interface Hit {
  /** Position in the stream: the order the collector sees a visitor's events in. */
  index: number;
  time: number;
  bucket: number;
  day: number;
  kind: Kind;
  name: string;
  page: string;
  engagedMs: number;
  /** The visit values this event would give a visit it opens. */
  dims: Record<VisitDimension, string>;
  /** `site|day|address|UA`. */
  identity: string;
}

export interface RefVisit {
  identity: string;
  day: number;
  /** Hour bucket (UTC seconds) of the first counted event. */
  start: number;
  dims: Record<VisitDimension, string>;
  /** Counted events and the engagements attached to the visit, in stream order. */
  hits: Hit[];
  entry: string;
  exit: string;
  pageviews: number;
  customs: number;
  durationMs: number;
  bounce: boolean;
}

interface Drop {
  bucket: number;
  day: number;
  reason: string;
}

interface SiteModel {
  site: StreamSite;
  visits: RefVisit[];
  /** Counted events (pageviews and custom events), each with its visit. */
  counted: { hit: Hit; visit: RefVisit }[];
  /** Engagements attached to a visit. */
  engagements: { hit: Hit; visit: RefVisit }[];
  drops: Drop[];
}

/** A period the collector keeps exact visitors for: one hour bucket or one local day. */
export type Period = { hour: number } | { day: number };

/**
 * What a question covers: whole periods (visitors summed over them, as the contract says for
 * days), or an instant range (visitors of partly covered days estimated as ARCHITECTURE.md,
 * "Ranges", documents).
 */
export type Span = readonly Period[] | Instants;
/** An instant range, UTC seconds, `to` exclusive: it covers the hour buckets that start inside it. */
export interface Instants {
  from: number;
  to: number;
}

interface Row {
  visitors: Set<string>;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  durationMs: number;
  engagedMs: number;
}

export interface RefCounters {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  durationMs: number;
  engagedMs: number;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
const ratio = (a: number, b: number, places: number) => (b === 0 ? 0 : round(a / b, places));

export type BreakdownRow = Record<string, string | number>;

export interface ModelFacts {
  identities: number;
  visits: number;
  /** Visits whose counted events fall in more than one hour bucket. */
  visitsAcrossHours: number;
  /** Places where one browser's activity (gap < 30 min) crosses its site's local midnight. */
  midnightSplits: number;
  /** Identities that more than one client address played. */
  collapsedIdentities: number;
  noVisitDrops: number;
}

export class ReferenceModel {
  readonly #sites = new Map<string, SiteModel>();
  readonly facts: ModelFacts = {
    identities: 0,
    visits: 0,
    visitsAcrossHours: 0,
    midnightSplits: 0,
    collapsedIdentities: 0,
    noVisitDrops: 0,
  };

  constructor(events: readonly StreamEvent[], sites: readonly StreamSite[]) {
    for (const site of sites)
      this.#sites.set(site.domain, { site, visits: [], counted: [], engagements: [], drops: [] });
    const byIdentity = new Map<string, Hit[]>();
    const addresses = new Map<string, Set<string>>();
    const browsers = new Map<string, { time: number; day: number }[]>();

    for (const [index, event] of events.entries()) {
      const model = this.#model(event.payload.site);
      const { timezone, domain, honourOptOut } = model.site;
      const { bucket, day } = localTime(timezone, event.time);
      const header = (name: string) => event.headers[name]?.trim();
      // The pipeline's order: bots, then prefetches, then opt-out signals (GPC before DNT).
      const reason = isBotUserAgent(event.ua)
        ? 'bot'
        : /prefetch|preview/i.test(header('sec-purpose') ?? '')
          ? 'prefetch'
          : honourOptOut && header('sec-gpc') === '1'
            ? 'gpc'
            : honourOptOut && header('dnt') === '1'
              ? 'dnt'
              : undefined;
      if (reason) {
        model.drops.push({ bucket, day, reason });
        continue;
      }

      // The client is the right-most X-Forwarded-For entry (GLIMT_TRUST_PROXY=1).
      const hops = (header('x-forwarded-for') ?? '').split(',').map((hop) => hop.trim());
      const address = truncateAddress(hops[hops.length - 1] ?? '') ?? '0.0.0.0';
      const identity = `${domain}|${day}|${address}|${event.ua}`;
      const seen = addresses.get(identity) ?? new Set();
      seen.add(event.ip);
      addresses.set(identity, seen);
      const browser = `${domain}|${address}|${event.ua}`;
      const times = browsers.get(browser) ?? [];
      times.push({ time: event.time, day });
      browsers.set(browser, times);

      const { payload } = event;
      const page = normaliseUrl(payload.url);
      const { source, referrer } = attributeSource(payload.referrer ?? '', page.utm.utm_source, domain);
      const client = parseUserAgent(event.ua, payload.width);
      const kind: Kind =
        payload.name === 'pageview' ? 'pageview' : payload.name === 'engagement' ? 'engagement' : 'custom';
      const hit: Hit = {
        index,
        time: event.time,
        bucket,
        day,
        kind,
        name: payload.name,
        page: page.path,
        engagedMs: kind === 'engagement' ? (payload.engaged_ms ?? 0) : 0,
        identity,
        dims: {
          source,
          referrer,
          utm_source: page.utm.utm_source ?? NONE,
          utm_medium: page.utm.utm_medium ?? NONE,
          utm_campaign: page.utm.utm_campaign ?? NONE,
          utm_term: page.utm.utm_term ?? NONE,
          utm_content: page.utm.utm_content ?? NONE,
          browser: client.browser,
          browser_version: client.browserVersion,
          os: client.os,
          device: client.device,
          country: NONE, // GLIMT_GEO=off
        },
      };
      const list = byIdentity.get(identity) ?? [];
      list.push(hit);
      byIdentity.set(identity, list);
    }

    for (const [identity, hits] of byIdentity) this.#sessionise(identity, hits);

    this.facts.identities = byIdentity.size;
    this.facts.collapsedIdentities = [...addresses.values()].filter((set) => set.size > 1).length;
    for (const times of browsers.values()) {
      for (let i = 1; i < times.length; i++) {
        const [a, b] = [times[i - 1], times[i]];
        if (a && b && a.day !== b.day && b.time - a.time < GAP_MS) this.facts.midnightSplits++;
      }
    }
  }

  /** Every visit of a site, in no particular order (for models of filtered questions). */
  visitsOf(domain: string): readonly RefVisit[] {
    return this.#model(domain).visits;
  }

  /** The hour buckets (UTC seconds) of a site's local day, in order. */
  hoursOf(domain: string, day: number): number[] {
    return this.#bucketsOf(domain, day);
  }

  #model(domain: string): SiteModel {
    const model = this.#sites.get(domain);
    if (!model) throw new Error(`unknown site ${domain}`);
    return model;
  }

  /** One identity's events (one site, one day), in stream order → visits. */
  #sessionise(identity: string, hits: Hit[]) {
    const domain = identity.slice(0, identity.indexOf('|'));
    const model = this.#model(domain);
    const visits: RefVisit[] = [];
    let current: RefVisit | undefined;
    let lastActivity = 0;
    for (const hit of hits) {
      if (hit.kind === 'engagement') {
        if (!current) {
          model.drops.push({ bucket: hit.bucket, day: hit.day, reason: 'no_visit' });
          this.facts.noVisitDrops++;
          continue;
        }
        // Attached to the latest visit even when it has gone quiet; extends it only while live.
        current.hits.push(hit);
        model.engagements.push({ hit, visit: current });
        if (hit.time - lastActivity < GAP_MS) lastActivity = hit.time;
        continue;
      }
      if (!current || hit.time - lastActivity >= GAP_MS) {
        current = {
          identity,
          day: hit.day,
          start: hit.bucket,
          dims: hit.dims,
          hits: [],
          entry: hit.page,
          exit: hit.page,
          pageviews: 0,
          customs: 0,
          durationMs: 0,
          bounce: false,
        };
        visits.push(current);
        model.visits.push(current);
      }
      current.hits.push(hit);
      model.counted.push({ hit, visit: current });
      lastActivity = hit.time;
    }
    for (const visit of visits) this.#settle(visit);
  }

  /** Everything about a finished visit, from its hits alone. */
  #settle(visit: RefVisit) {
    const counted = visit.hits.filter((h) => h.kind !== 'engagement');
    const pageviews = counted.filter((h) => h.kind === 'pageview');
    visit.pageviews = pageviews.length;
    visit.customs = counted.length - pageviews.length;
    visit.exit = pageviews[pageviews.length - 1]?.page ?? visit.entry;
    visit.bounce = visit.pageviews === 1 && visit.customs === 0;
    let duration = 0;
    for (const hit of visit.hits) if (hit.kind === 'engagement') duration += hit.engagedMs;
    // A pageview without an engagement for its path before the visit's next counted event
    // counts the time to that event, capped at 30 minutes.
    visit.hits.forEach((hit, i) => {
      if (hit.kind !== 'pageview') return;
      const rest = visit.hits.slice(i + 1);
      const nextAt = rest.findIndex((h) => h.kind !== 'engagement');
      const next = rest[nextAt];
      if (!next) return;
      const engaged = rest.slice(0, nextAt).some((h) => h.kind === 'engagement' && h.page === hit.page);
      if (!engaged) duration += Math.min(next.time - hit.time, GAP_MS);
    });
    visit.durationMs = duration;
    this.facts.visits++;
    if (new Set(counted.map((h) => h.bucket)).size > 1) this.facts.visitsAcrossHours++;
  }

  /** Counters per value of `dim` in one period (the grain the collector keeps exact). */
  #rows(domain: string, dim: string, period: Period): Map<string, Row> {
    const model = this.#model(domain);
    const inPeriod = (bucket: number, day: number) =>
      'hour' in period ? bucket === period.hour : day === period.day;
    const rows = new Map<string, Row>();
    const row = (value: string) => {
      let r = rows.get(value);
      if (!r) {
        r = {
          visitors: new Set(),
          visits: 0,
          pageviews: 0,
          events: 0,
          bounces: 0,
          durationMs: 0,
          engagedMs: 0,
        };
        rows.set(value, r);
      }
      return r;
    };
    const visitValue = (visit: RefVisit): string | undefined =>
      dim === 'total'
        ? ''
        : (VISIT_DIMENSIONS as readonly string[]).includes(dim)
          ? visit.dims[dim as VisitDimension]
          : undefined;

    if (dim === 'page') {
      for (const { hit } of model.counted) {
        if (hit.kind !== 'pageview' || !inPeriod(hit.bucket, hit.day)) continue;
        row(hit.page).visitors.add(hit.identity);
        row(hit.page).pageviews++;
      }
      for (const { hit } of model.engagements) {
        if (inPeriod(hit.bucket, hit.day)) row(hit.page).engagedMs += hit.engagedMs;
      }
    } else if (dim === 'event') {
      for (const { hit } of model.counted) {
        if (hit.kind !== 'custom' || !inPeriod(hit.bucket, hit.day)) continue;
        row(hit.name).visitors.add(hit.identity);
        row(hit.name).events++;
      }
    } else if (dim === 'entry_page' || dim === 'exit_page') {
      for (const visit of model.visits) {
        if (!inPeriod(visit.start, visit.day)) continue;
        const r = row(dim === 'entry_page' ? visit.entry : visit.exit);
        r.visitors.add(visit.identity);
        r.visits++;
        r.bounces += visit.bounce ? 1 : 0;
        r.durationMs += visit.durationMs;
      }
    } else {
      for (const { hit, visit } of model.counted) {
        if (!inPeriod(hit.bucket, hit.day)) continue;
        const value = visitValue(visit);
        if (value === undefined) throw new Error(`not a dimension: ${dim}`);
        row(value).visitors.add(hit.identity);
        if (hit.kind === 'pageview') row(value).pageviews++;
      }
      for (const visit of model.visits) {
        if (!inPeriod(visit.start, visit.day)) continue;
        const r = row(visitValue(visit) ?? '');
        r.visits++;
        r.bounces += visit.bounce ? 1 : 0;
        r.durationMs += visit.durationMs;
      }
    }
    return rows;
  }

  /**
   * The hour buckets of a local day: the instants (UTC seconds) at which a local hour starts.
   * Offsets are whole quarter hours, so looking every 15 minutes finds them all.
   */
  #bucketsOf(domain: string, day: number): number[] {
    const { timezone } = this.#model(domain).site;
    const buckets: number[] = [];
    for (let t = (day - 1) * 86_400; t < (day + 2) * 86_400; t += 900) {
      const local = localTime(timezone, t * 1000);
      if (local.day === day && local.bucket === t) buckets.push(t);
    }
    return buckets;
  }

  /** The local days an instant range touches. */
  daysOf(domain: string, range: Instants): number[] {
    const { timezone } = this.#model(domain).site;
    const days: number[] = [];
    const last = localTime(timezone, range.to * 1000 - 1).day;
    for (let day = localTime(timezone, range.from * 1000).day; day <= last; day++) days.push(day);
    return days;
  }

  /**
   * Counters per value. Over periods, every counter (visitors included) is summed. Over an
   * instant range, counters are summed over its hours, and visitors are, per local day, the
   * day's visitors when the range covers the whole day, else the sum of the day's hourly
   * visitors in the range capped at the day's visitors.
   */
  counters(domain: string, dim: string, span: Span): Map<string, RefCounters> {
    const out = new Map<string, RefCounters>();
    const counter = (value: string) => {
      let c = out.get(value);
      if (!c) {
        c = { visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0, engagedMs: 0 };
        out.set(value, c);
      }
      return c;
    };
    const addAll = (c: RefCounters, r: Row) => {
      c.visits += r.visits;
      c.pageviews += r.pageviews;
      c.events += r.events;
      c.bounces += r.bounces;
      c.durationMs += r.durationMs;
      c.engagedMs += r.engagedMs;
    };
    if ('from' in span) {
      for (const day of this.daysOf(domain, span)) {
        const buckets = this.#bucketsOf(domain, day);
        const perValue = new Map<string, number>();
        for (const hour of buckets) {
          if (hour < span.from || hour >= span.to) continue;
          for (const [value, r] of this.#rows(domain, dim, { hour })) {
            addAll(counter(value), r);
            perValue.set(value, (perValue.get(value) ?? 0) + r.visitors.size);
          }
        }
        const covered =
          (buckets[0] ?? 0) >= span.from && (this.#bucketsOf(domain, day + 1)[0] ?? 0) <= span.to;
        const whole = this.#rows(domain, dim, { day });
        for (const [value, sum] of perValue) {
          const dayVisitors = whole.get(value)?.visitors.size ?? 0;
          counter(value).visitors += covered ? dayVisitors : Math.min(dayVisitors, sum);
        }
      }
    } else {
      for (const period of span) {
        for (const [value, r] of this.#rows(domain, dim, period)) {
          const c = counter(value);
          c.visitors += r.visitors.size;
          addAll(c, r);
        }
      }
    }
    // A value with nothing to show (e.g. an exit page every visit moved away from) has no row.
    for (const [value, c] of out) {
      if (c.visitors === 0 && c.visits === 0 && c.pageviews === 0 && c.events === 0 && c.engagedMs === 0) {
        out.delete(value);
      }
    }
    return out;
  }

  /** `GET /api/stats/aggregate` without a filter. */
  aggregate(domain: string, span: Span) {
    const c = this.counters(domain, 'total', span).get('') ?? {
      visitors: 0,
      visits: 0,
      pageviews: 0,
      events: 0,
      bounces: 0,
      durationMs: 0,
      engagedMs: 0,
    };
    return {
      visitors: c.visitors,
      visits: c.visits,
      pageviews: c.pageviews,
      bounce_rate: ratio(c.bounces, c.visits, 4),
      visit_duration: ratio(c.durationMs / 1000, c.visits, 1),
      views_per_visit: ratio(c.pageviews, c.visits, 2),
    };
  }

  /**
   * `GET /api/stats/aggregate&filter=dim:value`: the row of that value, with the metrics the
   * dimension's kind has (CONTRACT.md, "What a dimension's rows count") and `null` for the others.
   */
  aggregateFiltered(domain: string, dim: string, value: string, span: Span) {
    const c = this.counters(domain, dim, span).get(value);
    if (!c) throw new Error(`no ${dim} row ${value} on ${domain}`);
    const visit = {
      visits: c.visits,
      bounce_rate: ratio(c.bounces, c.visits, 4),
      visit_duration: ratio(c.durationMs / 1000, c.visits, 1),
    };
    const none = {
      visits: null,
      pageviews: null,
      bounce_rate: null,
      visit_duration: null,
      views_per_visit: null,
    };
    if (dim === 'page') return { ...none, visitors: c.visitors, pageviews: c.pageviews };
    if (dim === 'event') return { ...none, visitors: c.visitors, events: c.events };
    if (dim === 'entry_page' || dim === 'exit_page') return { ...none, visitors: c.visitors, ...visit };
    return {
      visitors: c.visitors,
      ...visit,
      pageviews: c.pageviews,
      views_per_visit: ratio(c.pageviews, c.visits, 2),
    };
  }

  /** `GET /api/stats/timeseries?interval=hour`: one point per local hour of the days, inside `range` if given. */
  timeseriesHours(domain: string, days: readonly number[], range?: Instants) {
    const out = [];
    for (const day of days) {
      for (const hour of this.#bucketsOf(domain, day)) {
        if (range && (hour < range.from || hour >= range.to)) continue;
        const time = new Date(hour * 1000).toISOString().replace('.000Z', 'Z');
        out.push({ time, ...this.aggregate(domain, [{ hour }]) });
      }
    }
    return out;
  }

  /** `GET /api/stats/timeseries?interval=day`: whole days, or each day's part of `range`. */
  timeseriesDays(domain: string, days: readonly number[], range?: Instants) {
    return days.map((day) => {
      const part = range && {
        from: Math.max(range.from, this.#bucketsOf(domain, day)[0] ?? 0),
        to: Math.min(range.to, this.#bucketsOf(domain, day + 1)[0] ?? 0),
      };
      return {
        time: new Date(day * 86_400_000).toISOString().slice(0, 10),
        ...this.aggregate(domain, part ?? [{ day }]),
      };
    });
  }

  /** `GET /api/stats/breakdown?by=dim`, every row (in no particular order). */
  breakdown(domain: string, dim: string, span: Span): BreakdownRow[] {
    const rows: BreakdownRow[] = [];
    for (const [value, c] of this.counters(domain, dim, span)) {
      const visit = {
        visits: c.visits,
        bounce_rate: ratio(c.bounces, c.visits, 4),
        visit_duration: ratio(c.durationMs / 1000, c.visits, 1),
      };
      if (dim === 'page') {
        rows.push({
          value,
          visitors: c.visitors,
          pageviews: c.pageviews,
          time_on_page: ratio(c.engagedMs / 1000, c.pageviews, 1),
        });
      } else if (dim === 'event') {
        rows.push({ value, visitors: c.visitors, events: c.events });
      } else if (dim === 'entry_page' || dim === 'exit_page') {
        rows.push({ value, visitors: c.visitors, ...visit });
      } else {
        rows.push({ value, visitors: c.visitors, ...visit, pageviews: c.pageviews });
      }
    }
    return rows;
  }

  /** `GET /api/stats/dropped` over whole local days: by reason, most first, then by name. */
  dropped(domain: string, days: readonly number[]) {
    const counts = new Map<string, number>();
    for (const drop of this.#model(domain).drops) {
      if (days.includes(drop.day)) counts.set(drop.reason, (counts.get(drop.reason) ?? 0) + 1);
    }
    return [...counts]
      .map(([reason, events]) => ({ reason, events }))
      .sort((a, b) => b.events - a.events || (a.reason < b.reason ? -1 : 1));
  }

  /** `GET /api/stats/dropped` over an instant range: the drops of the hour buckets that start inside it. */
  droppedIn(domain: string, range: Instants) {
    const counts = new Map<string, number>();
    for (const drop of this.#model(domain).drops) {
      if (drop.bucket >= range.from && drop.bucket < range.to) {
        counts.set(drop.reason, (counts.get(drop.reason) ?? 0) + 1);
      }
    }
    return [...counts]
      .map(([reason, events]) => ({ reason, events }))
      .sort((a, b) => b.events - a.events || (a.reason < b.reason ? -1 : 1));
  }
}

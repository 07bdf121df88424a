/**
 * @module Synthetic history through the real ingest pipeline, with a controllable clock.
 *
 * For each day (oldest first): a number of pageviews that follows a weekly rhythm, a slow
 * trend and some noise; sessions start along a daily curve (quiet nights, busy evenings);
 * each session's events (pageviews, engagements, custom events, from the same
 * {@link SessionModel} as the load test) are spaced seconds to minutes apart. The day's
 * events are sorted by time and each goes through `runPipeline` with the clock set to
 * its time, then to the group committer, exactly as `POST /api/event` would have done
 * at that moment. At each midnight the maintenance job runs (salts and visitor states
 * of the past day are destroyed, as in production).
 */
import {
  ENGAGED_MS,
  makeVisitor,
  Rng,
  type SessionEvent,
  SessionModel,
  type SiteSpec,
  toRequest,
} from '../workload.ts';
import { openInProcess } from './in-process.ts';

export interface SeedOptions {
  db: string;
  site: string;
  days: number;
  /** Human pageviews in total (bots and opt-outs come on top and are dropped). */
  pageviews: number;
  /** The last day seeded, `YYYY-MM-DD` (UTC); default yesterday. */
  end?: string;
  seed?: number;
  /** Distinct pages of the site (Zipf). */
  pages?: number;
  /** Called after each chunk with pageviews done so far. */
  progress?: (done: number, total: number, day: string) => void;
}

export interface SeedResult {
  site: string;
  from: string;
  to: string;
  days: number;
  pageviews: number;
  events: number;
  seconds: number;
}

const DAY_MS = 86_400_000;
/** Share of the day's sessions starting in each UTC hour. */
const HOURS = [
  0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 0.9, 1.0, 1.05, 1.1, 1.15, 1.1, 1.05, 1.0, 1.0, 1.05, 1.15,
  1.3, 1.35, 1.2, 0.8, 0.45,
];

export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const spec: SiteSpec = { domain: options.site, weight: 1, pages: options.pages ?? 3000, kind: 'news' };
  const model = new SessionModel([spec]);
  const site = model.sites[0] as (typeof model.sites)[number];
  const rng = new Rng(options.seed ?? 42);
  const endMs = options.end
    ? Date.parse(`${options.end}T00:00:00Z`)
    : Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
  if (!Number.isFinite(endMs)) throw new Error(`--end ${options.end}: not a YYYY-MM-DD date`);
  const firstMs = endMs - (options.days - 1) * DAY_MS;

  // Pageviews per day: weekly rhythm × trend × noise, scaled to the total.
  const weights: number[] = [];
  for (let d = 0; d < options.days; d++) {
    const weekday = new Date(firstMs + d * DAY_MS).getUTCDay();
    const week = weekday === 0 || weekday === 6 ? 0.72 : 1.08;
    const trend = 0.8 + (0.4 * d) / Math.max(1, options.days - 1);
    weights.push(week * trend * (0.9 + 0.2 * rng.next()));
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const perDay = weights.map((w) => Math.round((w / sum) * options.pageviews));

  const app = await openInProcess(options.db, [options.site]);
  let visitorIndex = 0;
  let done = 0;
  let events = 0;
  try {
    for (let d = 0; d < options.days; d++) {
      const dayMs = firstMs + d * DAY_MS;
      const day = isoDay(dayMs);
      const timed: { at: number; event: SessionEvent; visitor: ReturnType<typeof makeVisitor> }[] = [];
      let views = 0;
      while (views < (perDay[d] as number)) {
        const visitor = makeVisitor(visitorIndex++, rng);
        let at = dayMs + sessionStart(rng);
        for (const event of model.session(rng, site, visitor)) {
          if (event.name === 'engagement') at += ENGAGED_MS + rng.int(4000);
          else if (event.name === 'pageview') at += 1000 + rng.int(90_000);
          else at += 500 + rng.int(10_000);
          if (at >= dayMs + DAY_MS) break; // the session ends at midnight (the salt rotates there)
          timed.push({ at, event, visitor });
          if (event.name === 'pageview' && visitor.cls === 'human') views++;
        }
      }
      timed.sort((a, b) => a.at - b.at);
      app.now = dayMs;
      // Midnight: everything acknowledged is counted (in production the count runs within a
      // second, long before the next maintenance run), then yesterday's salts and states go.
      await app.runtime.committer.drain();
      await app.runtime.maintenance.run();
      for (let i = 0; i < timed.length; i += 2000) {
        const waits: Promise<void>[] = [];
        for (const { at, event, visitor } of timed.slice(i, i + 2000)) {
          app.now = at;
          const outcome = await app.pipeline(toRequest(options.site, event, visitor));
          if ('reject' in outcome) throw new Error(`seed event rejected: ${outcome.error}`);
          waits.push((await app.runtime.committer.submitWhenTaken(outcome)).durable);
        }
        await Promise.all(waits);
        events += waits.length;
        options.progress?.(
          done + Math.round((views * Math.min(timed.length, i + 2000)) / timed.length),
          options.pageviews,
          day,
        );
      }
      done += views;
    }
    app.now = endMs + DAY_MS;
    await app.runtime.committer.drain();
    await app.runtime.maintenance.run();
  } finally {
    await app.close();
  }
  return {
    site: options.site,
    from: isoDay(firstMs),
    to: isoDay(endMs),
    days: options.days,
    pageviews: done,
    events,
    seconds: (performance.now() - started) / 1000,
  };
}

function sessionStart(rng: Rng): number {
  const total = HOURS.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  let hour = 0;
  while (hour < 23 && u >= (HOURS[hour] as number)) u -= HOURS[hour++] as number;
  // Sessions need room before midnight; the last minutes are quiet anyway.
  return hour * 3_600_000 + rng.int(3_600_000 - (hour === 23 ? 1_800_000 : 0));
}

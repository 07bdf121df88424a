/**
 * @module The loss check: events sent = events acknowledged = events counted.
 *
 * "Counted" is read back through the stats API, per site, over yesterday..tomorrow (UTC)
 * so that a run across midnight still sees everything:
 * - pageviews: `GET /api/stats/aggregate` → `pageviews`;
 * - custom events: `GET /api/stats/breakdown?by=event` → sum of `events`;
 * - dropped on purpose: `GET /api/stats/dropped` → `bot`, `gpc`, `dnt`, `no_visit`.
 * Engagement events are not counted by any endpoint (they add time, not counts): each
 * carries a fixed `engaged_ms` (`ENGAGED_MS`), so the engaged time stored under `page` in
 * `rollup_day`, read from the database file, divided by it, counts those that joined a
 * visit, and `no_visit` drops count the rest.
 *
 * A snapshot before and after each scenario gives that scenario's counts.
 */
import Database from 'better-sqlite3';
import { ENGAGED_MS, EVENT_CLASSES, type EventClass } from '../workload.ts';
import { BENCH_ADMIN_TOKEN } from './servers.ts';

export interface Counted {
  pageview: number;
  custom: number;
  /** Engagements that joined a visit (engaged time / ENGAGED_MS). */
  engaged: number;
  bot: number;
  gpc: number;
  dnt: number;
  no_visit: number;
  other_drops: number;
}

const zero = (): Counted => ({
  pageview: 0,
  custom: 0,
  engaged: 0,
  bot: 0,
  gpc: 0,
  dnt: 0,
  no_visit: 0,
  other_drops: 0,
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function getJson<T>(origin: string, path: string): Promise<T> {
  const response = await fetch(origin + path, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Counts for `sites` as the stats API (and, for engagements, the database) reports them now. */
export async function snapshot(origin: string, db: string, sites: readonly string[]): Promise<Counted> {
  const total = zero();
  const range = `from=${day(-1)}&to=${day(1)}`;
  for (const site of sites) {
    const q = `site=${encodeURIComponent(site)}&${range}`;
    const [aggregate, events, dropped] = await Promise.all([
      getJson<{ pageviews: number }>(origin, `/api/stats/aggregate?${q}`),
      getJson<{ value: string; events: number }[]>(origin, `/api/stats/breakdown?${q}&by=event&limit=1000`),
      getJson<{ reason: string; events: number }[]>(origin, `/api/stats/dropped?${q}`),
    ]);
    total.pageview += aggregate.pageviews;
    for (const row of events) total.custom += row.events;
    for (const row of dropped) {
      if (row.reason === 'bot' || row.reason === 'gpc' || row.reason === 'dnt' || row.reason === 'no_visit') {
        total[row.reason] += row.events;
      } else total.other_drops += row.events;
    }
  }
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const placeholders = sites.map(() => '?').join(',');
    const engagedMs = conn
      .prepare(
        `SELECT COALESCE(SUM(r.engaged_ms), 0) FROM rollup_day r JOIN site s ON s.id = r.site_id
         WHERE r.dim = 1 AND s.domain IN (${placeholders})`,
      )
      .pluck()
      .get(...sites) as number;
    total.engaged = engagedMs / ENGAGED_MS;
  } finally {
    conn.close();
  }
  return total;
}

export function diff(after: Counted, before: Counted): Counted {
  const out = zero();
  for (const key of Object.keys(out) as (keyof Counted)[]) out[key] = after[key] - before[key];
  return out;
}

export interface LossCheck {
  sent: number;
  acked: number;
  counted: number;
  /** Acknowledged but not counted: must be 0. */
  lostAfterAck: number;
  /** Per class: acknowledged vs counted. */
  byClass: Record<EventClass, { acked: number; counted: number }>;
  ok: boolean;
  /** Why not ok, in words. */
  problems: string[];
}

/**
 * Compares what was acknowledged (202) with what the stats count. Requests that were
 * sent but never answered (a lost connection) may or may not have been committed;
 * they are allowed as the only difference between sent and counted.
 */
export function checkLoss(
  sent: number,
  acked: Map<string, Record<EventClass, number>>,
  counted: Counted,
  failures: { rejected: number; unanswered: number } = { rejected: 0, unanswered: 0 },
): LossCheck {
  const unanswered = failures.unanswered;
  const a: Record<EventClass, number> = { pageview: 0, custom: 0, engagement: 0, bot: 0, gpc: 0, dnt: 0 };
  for (const bySite of acked.values()) for (const cls of EVENT_CLASSES) a[cls] += bySite[cls];
  const byClass: LossCheck['byClass'] = {
    pageview: { acked: a.pageview, counted: counted.pageview },
    custom: { acked: a.custom, counted: counted.custom },
    engagement: { acked: a.engagement, counted: counted.engaged + counted.no_visit },
    bot: { acked: a.bot, counted: counted.bot },
    gpc: { acked: a.gpc, counted: counted.gpc },
    dnt: { acked: a.dnt, counted: counted.dnt },
  };
  const ackedTotal = EVENT_CLASSES.reduce((s, c) => s + a[c], 0);
  const countedTotal = EVENT_CLASSES.reduce((s, c) => s + byClass[c].counted, 0) + counted.other_drops;
  const problems: string[] = [];
  for (const cls of EVENT_CLASSES) {
    const { acked: ac, counted: co } = byClass[cls];
    if (co < ac) problems.push(`${cls}: ${ac} acknowledged, ${co} counted`);
    else if (co > ac + unanswered) problems.push(`${cls}: ${co} counted but only ${ac} acknowledged`);
  }
  if (counted.other_drops > 0) problems.push(`${counted.other_drops} events dropped for another reason`);
  if (sent !== ackedTotal) {
    problems.push(
      `${sent} sent, ${ackedTotal} acknowledged (${failures.rejected} answered with an error, ${unanswered} unanswered)`,
    );
  }
  if (!Number.isInteger(counted.engaged)) problems.push(`engaged time is not a multiple of ${ENGAGED_MS} ms`);
  return {
    sent,
    acked: ackedTotal,
    counted: countedTotal,
    lostAfterAck: Math.max(0, ackedTotal - countedTotal),
    byClass,
    ok: problems.length === 0,
    problems,
  };
}

/**
 * The loss check when the driver cannot attribute answers to requests (wrk): every
 * acknowledged event must be counted, and nothing beyond what was sent and not refused.
 */
export function checkLossBound(sent: number, acked: number, refused: number, counted: Counted): LossCheck {
  const total =
    counted.pageview +
    counted.custom +
    counted.engaged +
    counted.no_visit +
    counted.bot +
    counted.gpc +
    counted.dnt;
  const countedTotal = total + counted.other_drops;
  const problems: string[] = [];
  if (countedTotal < acked) problems.push(`${acked} acknowledged, ${countedTotal} counted`);
  if (countedTotal > sent - refused)
    problems.push(`${countedTotal} counted but only ${sent - refused} sent and not refused`);
  if (refused > 0) problems.push(`${refused} answered with an error`);
  const none = { acked: 0, counted: 0 };
  return {
    sent,
    acked,
    counted: countedTotal,
    lostAfterAck: Math.max(0, acked - countedTotal),
    byClass: { pageview: none, custom: none, engagement: none, bot: none, gpc: none, dnt: none },
    ok: problems.length === 0,
    problems,
  };
}

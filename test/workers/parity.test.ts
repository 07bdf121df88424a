/**
 * Parity: the same seeded stream (test/support/stream/generate.ts, ≥ 10,000 events: sites in
 * several time zones, one with a half-hour offset, three local days with New York's switch
 * to daylight saving time, bots, opt-outs, visits across hours and midnights) through both
 * runtimes must give the same answer to every stats question (parity-stream.ts lists them:
 * aggregates, timeseries, every breakdown, the drop log, the CSV export).
 * `PARITY_VISITORS=5400 npm run test:workers` replays the full ~53,000-event stream.
 *
 * - Node: global-setup.ts posts the stream over HTTP to the real Node app on SQLite
 *   (`startInProcess`, the client in X-Forwarded-For behind `GLIMT_TRUST_PROXY=1`) and
 *   records every answer. Here the same client address goes in CF-Connecting-IP.
 * - Workers: here, in workerd, each event goes to the Worker's `fetch` handler (worker.ts:
 *   the production Worker plus a test clock; call.ts says why not over a socket), then
 *   through the real Queue to the real consumer and into D1; once the Queue has drained,
 *   the same questions are asked.
 *
 * Time, honestly: the stream covers three days, so neither side can use the wall clock.
 * Both take each event's time from its `x-test-time` header, read by a test-only wrapper
 * around the production app (in-process.ts on Node, worker.ts here) and handed to the app
 * through its Clock port, the one place time enters the pipeline. Nothing else is faked:
 * on Workers the event's time travels inside the queue message, as it does in production.
 *
 * Country: Cloudflare puts the country in `request.cf`; here each request carries, as
 * `cf.country`, what Node's dataset says for the same truncated address, so that the
 * country dimension is compared too.
 *
 * Order: each visitor's events are sent one after another on both sides (the next when the
 * previous one is answered), and numbers depend only on each visitor's order.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { sha256Hex } from '../../collector/core/auth.ts';
import { D1Store } from '../../collector/d1/d1-store.ts';
import { call, callMany } from './call.ts';
import {
  ADMIN_TOKEN,
  digestOf,
  eventHeaders,
  orderKey,
  parityStream,
  readAnswer,
  STREAM_SITES,
} from './parity-stream.ts';
import { consumed } from './worker.ts';

const node = inject('nodeParity');
let statuses: number[] = [];
let events: ReturnType<typeof parityStream> = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  const store = new D1Store(env.DB);
  for (const site of STREAM_SITES) {
    await store.addSite(site.domain, { timezone: site.timezone, honourOptOut: site.honourOptOut });
  }
  events = parityStream(node.visitors);
  let started = Date.now();
  statuses = await callMany(
    events.map((event, index) => {
      const country = node.countries[index];
      return {
        key: orderKey(event),
        path: '/api/event',
        method: 'POST',
        headers: { ...eventHeaders(event), 'cf-connecting-ip': event.ip },
        body: JSON.stringify(event.payload),
        ...(country ? { cf: { country } } : {}),
      };
    }),
    32,
    // Miniflare's local Queue keeps a timer per message in flight and allows 10,000 of them;
    // production Queues hold far more. Let the consumer keep up before the next 2,000.
    (sent) => drained(sent.filter((s) => s === 202).length - 2000),
  );
  timings.ingestMs = Date.now() - started;
  started = Date.now();
  await drained(statuses.filter((s) => s === 202).length);
  timings.drainMs = Date.now() - started;
  console.log(
    `parity: ${events.length} events; Node+SQLite ${node.replayMs} ms; Workers ingest ${timings.ingestMs} ms, ` +
      `queue drained ${timings.drainMs} ms later; consumer: ${consumed.batches} batches, ` +
      `${(consumed.ms / consumed.batches).toFixed(1)} ms per batch of ${(consumed.messages / consumed.batches).toFixed(0)} on average`,
  );
});

/** Waits until the consumer has finished `messages` messages. */
async function drained(messages: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (consumed.messages < messages) {
    if (Date.now() > deadline) throw new Error(`the Queue did not drain: ${consumed.messages}/${messages}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Workers (Queue → D1) and Node (SQLite) answer alike', () => {
  it('replays the very same stream of at least 10,000 events', async () => {
    expect(events.length).toBeGreaterThanOrEqual(10_000);
    expect(await digestOf(events)).toBe(node.digest);
  });

  it('answers every event alike, and queues each accepted one once', () => {
    const differ = statuses.flatMap((status, i) =>
      status === node.statuses[i]
        ? []
        : [`#${i}: Workers ${status}, Node ${node.statuses[i]}: ${JSON.stringify(events[i])}`],
    );
    expect(differ.slice(0, 5)).toEqual([]);
    expect(statuses).toEqual(node.statuses);
    expect(consumed.messages).toBe(statuses.filter((s) => s === 202).length);
  });

  it('answers every stats question alike', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect(
      await env.DB.prepare('SELECT 1 FROM token WHERE hash = ?')
        .bind(await sha256Hex(ADMIN_TOKEN))
        .first(),
    ).not.toBeNull();
    let rows = 0;
    const empty: string[] = [];
    for (const expected of node.answers) {
      const response = await call(expected.path, { headers: auth });
      const body = await readAnswer(response);
      expect({ path: expected.path, status: response.status, body }).toEqual(expected);
      if (Array.isArray(body)) rows += body.length;
      // The filtered questions are there to compare the visit grain: they must find something.
      const visits = (body as { visits?: number }).visits;
      if (expected.path.includes('&filter=') && (Array.isArray(body) ? body.length === 0 : visits === 0)) {
        empty.push(expected.path);
      }
    }
    expect(node.answers.length).toBeGreaterThan(100);
    expect(rows).toBeGreaterThan(1000); // the answers are not empty
    expect(empty).toEqual([]);
  });
});

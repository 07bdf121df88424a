/**
 * A Queue delivers at least once: a batch may come again after its commit landed (the ack
 * was lost, the invocation died after D1 answered), whole or regrouped with other messages.
 * None of that may change a number. Real events are sent through the Worker and consumed
 * from the real Queue first; then their messages (same ids, same send times, same bodies)
 * are delivered again to the consumer, as Queues would.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../collector/core/aggregate/aggregate-batch.ts';
import type { Committable } from '../../collector/core/pipeline/collected-event.ts';
import { appliedId, D1Store } from '../../collector/d1/d1-store.ts';
import { call } from './call.ts';
import { dumpTables } from './d1-tables.ts';
import { ADMIN_TOKEN } from './parity-stream.ts';
import worker, { consumed } from './worker.ts';

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  'curl/8.5.0',
];
const T0 = Date.UTC(2026, 2, 7, 10, 0, 0);
const DAY = '2026-03-07';

type Kept = (typeof consumed.kept)[number];
let messages: Kept[] = [];

async function drained(n: number) {
  const deadline = Date.now() + 30_000;
  while (consumed.messages < n) {
    if (Date.now() > deadline) throw new Error(`queue not drained: ${consumed.messages}/${n}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Delivers `list` to the consumer as one batch, the way Queues would; returns the outcome. */
async function deliver(list: readonly Kept[]) {
  const batch = createMessageBatch(
    'glimt-events',
    list.map((m) => ({ id: m.id, timestamp: m.timestamp, body: m.body, attempts: 2 })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function answers() {
  const auth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const out: unknown[] = [];
  for (const path of ['aggregate?', 'breakdown?by=page&', 'breakdown?by=exit_page&', 'dropped?']) {
    out.push(await (await call(`/api/stats/${path}site=example.com&from=${DAY}&to=${DAY}`, auth)).json());
  }
  return out;
}

beforeAll(async () => {
  consumed.keep = true;
  const sent: Promise<Response>[] = [];
  let n = 0;
  // Three visitors (one a bot), several pages, an engagement, a custom event.
  for (let i = 0; i < 12; i++) {
    const ua = UAS[i % 3] ?? '';
    const name = i === 7 ? 'signup' : i === 9 ? 'engagement' : 'pageview';
    sent.push(
      call('/api/event', {
        method: 'POST',
        headers: {
          'user-agent': ua,
          'cf-connecting-ip': `198.51.${i % 3}.20`,
          'x-test-time': String(T0 + i * 60_000),
        },
        body: JSON.stringify({
          site: 'example.com',
          name,
          url: `https://example.com/page-${i % 4}`,
          ...(name === 'engagement' ? { engaged_ms: 5000 } : {}),
        }),
      }),
    );
    n++;
    await sent[sent.length - 1]; // each visitor's events in order
  }
  expect((await Promise.all(sent)).map((r) => r.status)).toEqual(Array(n).fill(202));
  await drained(n);
  consumed.keep = false;
  messages = [...consumed.kept];
  expect(messages).toHaveLength(n);
});

describe('redelivery of a queue batch', () => {
  it('changes no number when the same batch comes again, and is acked', async () => {
    const before = await dumpTables(env.DB);
    const stats = await answers();
    expect((stats[0] as { pageviews: number }).pageviews).toBeGreaterThan(0);

    const outcome = await deliver(messages);
    expect(outcome.outcome).toBe('ok');
    expect(outcome.ackAll).toBe(true);
    expect(outcome.retryBatch.retry).toBe(false);
    expect(await dumpTables(env.DB)).toEqual(before);
    expect(await answers()).toEqual(stats);
  });

  it('counts only the new messages of a regrouped batch', async () => {
    const stats = (await answers()) as [{ pageviews: number; visits: number }, ...unknown[]];
    // Half of the old messages, plus one genuinely new message: a copy of a pageview under a new id.
    const pageview = messages.find((m) => (m.body as Committable & { kind?: string }).kind === 'pageview');
    if (!pageview) throw new Error('no pageview');
    const fresh = { ...pageview, id: 'fresh-message-1', timestamp: new Date() };
    const outcome = await deliver([...messages.slice(3, 9), fresh]);
    expect(outcome.ackAll).toBe(true);
    const after = (await answers()) as typeof stats;
    expect(after[0].pageviews).toBe(stats[0].pageviews + 1);
    // And that message, delivered once more, counts no more.
    await deliver([fresh, ...messages.slice(0, 2)]);
    expect(await answers()).toEqual(after);
  });

  it('rolls a whole commit back when one of its messages was applied meanwhile', async () => {
    const store = new D1Store(env.DB);
    const before = await dumpTables(env.DB);
    const body = messages[0]?.body as Committable;
    const result = aggregateBatch([body], await store.loadVisitors('visitor' in body ? [body.visitor] : []));
    const ids = [
      appliedId(new Date(), 'never-seen'),
      appliedId(messages[0]?.timestamp ?? new Date(), messages[0]?.id ?? ''),
    ];
    // A consumer that checked before another delivery committed: its INSERT into applied_batch fails.
    await expect(store.commit(result, Date.now(), ids)).rejects.toThrow();
    expect(await dumpTables(env.DB)).toEqual(before);
    expect(await store.applied(ids)).toEqual(new Set([ids[1]]));
  });
});

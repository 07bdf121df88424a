/**
 * @module Replays a stream over HTTP with concurrency, each visitor's events strictly in order.
 * Runtime-free: the Node reference model and both sides of the Workers parity test use it.
 */
import { truncateAddress } from '../../../collector/core/pipeline/truncate-ip.ts';
import type { StreamEvent } from './generate.ts';

/** A visitor's events must reach the collector in order: the key is what the collector identifies them by. */
export function orderKey(event: StreamEvent): string {
  return `${event.payload.site}|${truncateAddress(event.ip) ?? event.ip}|${event.ua}`;
}

/**
 * Sends every item, `concurrency` in flight, those of one key strictly one after another
 * (the next leaves when the previous one's answer is in). With the visitor as the key,
 * numbers depend only on each visitor's order, so both runtimes see the same history
 * however the rest interleaves.
 */
export async function replay<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  send: (item: T, index: number) => Promise<number>,
  concurrency: number,
): Promise<number[]> {
  const statuses = new Array<number>(items.length).fill(0);
  const tails = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  const acquire = () => {
    if (inFlight < concurrency) {
      inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  for (const [index, item] of items.entries()) {
    await acquire();
    const key = keyOf(item);
    const previous = tails.get(key);
    const run = (async () => {
      try {
        if (previous) await previous;
        statuses[index] = await send(item, index);
      } finally {
        release();
      }
    })();
    tails.set(key, run);
    void run.then(() => {
      if (tails.get(key) === run) tails.delete(key);
    });
  }
  await Promise.all(tails.values());
  return statuses;
}

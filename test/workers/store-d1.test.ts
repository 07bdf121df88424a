/**
 * The store contract (test/contract/store.contract.ts) against the D1 store, in workerd,
 * on the local D1 that vitest-pool-workers provides (wrangler.toml's `DB`, migrated by
 * setup.ts). Each test starts from empty tables.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { BatchResult } from '../../collector/core/aggregate/aggregate-batch.ts';
import { Deltas } from '../../collector/core/aggregate/cells.ts';
import { appliedId, D1Store } from '../../collector/d1/d1-store.ts';
import { storeContract } from '../contract/store.contract.ts';
import { emptyTables } from './d1-tables.ts';

storeContract('D1', async () => {
  await emptyTables(env.DB);
  return new D1Store(env.DB);
});

describe('D1 store: applied message ids', () => {
  it('are kept by the day their message was sent, and forgotten by it', async () => {
    await emptyTables(env.DB);
    const store = new D1Store(env.DB);
    const site = await store.addSite('a.example', {});
    const empty: BatchResult = { deltas: new Deltas(), touched: new Map() };
    const old = appliedId(new Date('2026-03-05T23:59:59Z'), 'm1');
    const recent = appliedId(new Date('2026-03-06T00:00:00Z'), 'm2');
    expect([old, recent]).toEqual(['2026-03-05/m1', '2026-03-06/m2']);
    await store.commit(empty, 1, [old, recent]);
    expect(await store.applied([old, recent, 'other'])).toEqual(new Set([old, recent]));
    await store.forgetAppliedBefore(new Date('2026-03-06T12:00:00Z'));
    expect(await store.applied([old, recent])).toEqual(new Set([recent]));
    expect(site.domain).toBe('a.example');
  });
});

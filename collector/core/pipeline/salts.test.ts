import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../sqlite/sqlite-store.ts';
import { SALT_BYTES, Salts } from './salts.ts';

let store: SqliteStore;
beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.addSite('example.com', {});
});
afterEach(() => store.close());

describe('Salts', () => {
  it('makes one random salt per site and day, and shares it through the store', async () => {
    const a = new Salts(store);
    const b = new Salts(store); // another process or isolate
    const salt = await a.forDay(1, 100);
    expect(salt).toHaveLength(SALT_BYTES);
    expect(await b.forDay(1, 100)).toEqual(salt);
    expect(await a.forDay(1, 101)).not.toEqual(salt);
  });

  it('forgets older days in memory', async () => {
    const salts = new Salts(store);
    const old = await salts.forDay(1, 100);
    await salts.forDay(1, 101); // a new day evicts the old salt from the cache
    store.db.prepare('DELETE FROM salt WHERE day = 100').run();
    expect(await salts.forDay(1, 100)).not.toEqual(old);
  });
});

/**
 * The store contract (test/contract/store.contract.ts) against the SQLite store: a fresh,
 * migrated file per test, in WAL mode, as `npm start` opens it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../collector/sqlite/sqlite-store.ts';
import { storeContract } from '../contract/store.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'glimt-store-'));
let n = 0;

storeContract('SQLite', async () => openSqliteStore(join(dir, `store-${n++}.db`)));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

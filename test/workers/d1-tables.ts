/** Reading and emptying every table of a D1 database, for tests. */
import type { D1Database } from '../../collector/d1/d1-types.ts';

/** Glimt's tables (D1's own `_cf_*` tables are not readable, and the migration record stays). */
export async function tableNames(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

export async function emptyTables(db: D1Database): Promise<void> {
  const names = (await tableNames(db)).filter((name) => name !== 'd1_migrations');
  await db.batch(names.map((name) => db.prepare(`DELETE FROM ${name}`)));
}

/** Every row of every table, as JSON text per table. */
export async function dumpTables(db: D1Database): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const name of await tableNames(db))
    dump[name] = (await db.prepare(`SELECT * FROM ${name}`).all()).results;
  return dump;
}

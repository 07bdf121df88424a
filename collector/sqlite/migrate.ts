/**
 * @module Applies `collector/migrations/NNNN_name.sql` in order, once each.
 *
 * The record table has D1's name and shape (`d1_migrations`), so the same files and
 * the same bookkeeping serve `wrangler d1 migrations apply` and the Node store.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

export const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

export function migrate(db: Database.Database): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`);
  const done = new Set(
    db
      .prepare('SELECT name FROM d1_migrations')
      .pluck()
      .all()
      .map((name) => String(name)),
  );
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const sql = readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(file);
    })();
    applied.push(file);
  }
  return applied;
}

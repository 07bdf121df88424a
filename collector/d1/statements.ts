/**
 * @module The D1 store's SQL, in one place: where it differs from the SQLite store's, and why.
 *
 * The schema and the statements' meaning are the SQLite store's (`collector/sqlite/sqlite-store.ts`,
 * `collector/migrations/`). Two D1 limits shape the text
 * (https://developers.cloudflare.com/d1/platform/limits/):
 * - at most 100 bound parameters per statement, and
 * - every statement of a `batch()` counts toward the queries a Worker invocation may make
 *   (1,000 on the paid plan, 50 on the free one).
 * So a batch's rows do not go one statement per row, nor one `?` per value: each table gets
 * its rows as ONE JSON parameter, unpacked by `json_each`. A commit of any size is a handful
 * of statements, and a lookup of any number of keys is one. The SQL is plain SQLite (JSON1 is
 * built in), which D1 runs as it is.
 */
import { COUNTERS } from '../core/dimensions.ts';

/** Column `i` of the JSON array row that `json_each` yields. */
const at = (i: number) => `json_extract(value, '$[${i}]')`;
const columns = (n: number) => Array.from({ length: n }, (_, i) => at(i)).join(', ');

const ROLLUP_COLUMNS = `site_id, dim, time, value, ${COUNTERS.join(', ')}`;
const ADD_COUNTERS = COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
const SUMS = COUNTERS.map((c) => `SUM(${c}) AS ${c}`).join(', ');

// `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join constraint of the SELECT
// (https://www.sqlite.org/lang_upsert.html, "Parsing Ambiguity").
const upsertRollup = (table: string) =>
  `INSERT INTO ${table} (${ROLLUP_COLUMNS}) SELECT ${columns(4 + COUNTERS.length)} FROM json_each(?) WHERE true
   ON CONFLICT DO UPDATE SET ${ADD_COUNTERS}`;

export const SQL = {
  listSites: 'SELECT * FROM site ORDER BY domain',
  addSite: `INSERT INTO site (domain, timezone, honour_opt_out, retention_months, created_at)
    VALUES (?, ?, ?, ?, ?) RETURNING *`,
  updateSite: `UPDATE site SET timezone = coalesce(?, timezone), honour_opt_out = coalesce(?, honour_opt_out),
    retention_months = coalesce(?, retention_months) WHERE domain = ? RETURNING *`,
  siteId: 'SELECT id FROM site WHERE domain = ?',
  /** Every table that holds a site's rows, emptied before the site row itself. */
  siteTables: ['rollup_hour', 'rollup_day', 'dropped', 'visitor', 'salt', 'token', 'session'] as const,
  deleteSiteRows: (table: string) =>
    `DELETE FROM ${table} WHERE site_id = (SELECT id FROM site WHERE domain = ?)`,
  deleteSite: 'DELETE FROM site WHERE domain = ?',

  addToken: 'INSERT INTO token (hash, kind, site_id, created_at) VALUES (?, ?, ?, ?)',
  findToken: 'SELECT kind, site_id FROM token WHERE hash = ?',
  hasAdminToken: "SELECT 1 AS yes FROM token WHERE kind = 'admin' LIMIT 1",

  insertSalt: 'INSERT OR IGNORE INTO salt (site_id, day, salt) VALUES (?, ?, ?)',
  selectSalt: 'SELECT salt FROM salt WHERE site_id = ? AND day = ?',

  /** One JSON array of hashes; SQLite looks each one up by primary key. */
  loadVisitors: 'SELECT hash, state FROM visitor WHERE hash IN (SELECT value FROM json_each(?))',
  /** Rows `[site_id, dim, time, value, ...COUNTERS]`. */
  upsertHour: upsertRollup('rollup_hour'),
  upsertDay: upsertRollup('rollup_day'),
  /** Rows `[site_id, time, reason, events]`. */
  upsertDrops: `INSERT INTO dropped (site_id, time, reason, events) SELECT ${columns(4)} FROM json_each(?) WHERE true
    ON CONFLICT DO UPDATE SET events = events + excluded.events`,
  /** Rows `[hash, site_id, day, last_seen, state]`. */
  upsertVisitors: `INSERT INTO visitor (hash, site_id, day, last_seen, state) SELECT ${columns(5)} FROM json_each(?) WHERE true
    ON CONFLICT DO UPDATE SET day = excluded.day, last_seen = excluded.last_seen, state = excluded.state`,

  /** A plain INSERT: one id already there fails the statement, and with it the whole batch. */
  insertApplied: 'INSERT INTO applied_batch (id, at) SELECT value, ? FROM json_each(?)',
  selectApplied: 'SELECT id FROM applied_batch WHERE id IN (SELECT value FROM json_each(?))',
  forgetApplied: 'DELETE FROM applied_batch WHERE id < ?',

  rollup: (table: string, byValue: boolean, byTime: boolean, onlyValue: boolean) => {
    const group = [byValue && 'value', byTime && 'time'].filter(Boolean).join(', ');
    return `SELECT ${byValue ? 'value' : "''"} AS value, ${byTime ? 'time' : '0'} AS time, ${SUMS} FROM ${table}
      WHERE site_id = ? AND dim = ? AND time BETWEEN ? AND ? ${onlyValue ? 'AND value = ?' : ''}
      ${group ? `GROUP BY ${group}` : ''}`;
  },
  dropped: `SELECT reason, SUM(events) AS events FROM dropped WHERE site_id = ? AND time BETWEEN ? AND ?
    GROUP BY reason ORDER BY events DESC, reason`,
  liveVisitors: 'SELECT count(*) AS n FROM visitor WHERE site_id = ? AND last_seen >= ?',

  purge: [
    'DELETE FROM salt WHERE site_id = ? AND day < ?',
    'DELETE FROM visitor WHERE site_id = ? AND day < ?',
    'DELETE FROM rollup_hour WHERE site_id = ? AND time < ?',
    'DELETE FROM dropped WHERE site_id = ? AND time < ?',
    'DELETE FROM rollup_day WHERE site_id = ? AND time < ?',
  ] as const,
};

/**
 * Splits rows into JSON arrays of at most ~`maxChars` characters each: D1 caps a string
 * value at 2 MB, and a batch's visitor states can approach that.
 */
export function jsonChunks(rows: readonly unknown[], maxChars = 512 * 1024): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (parts.length > 0 && size + text.length + 1 > maxChars) {
      chunks.push(`[${parts.join(',')}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(',')}]`);
  return chunks;
}

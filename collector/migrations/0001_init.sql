-- Glimt schema, version 1. Applied by the Node store at start and by
-- `wrangler d1 migrations apply` on Workers: keep it to SQL that both SQLite and D1 take.

CREATE TABLE site (
  id INTEGER PRIMARY KEY,
  domain TEXT NOT NULL UNIQUE,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  honour_opt_out INTEGER NOT NULL DEFAULT 1,
  retention_months INTEGER NOT NULL DEFAULT 25,
  created_at INTEGER NOT NULL
);

-- Tokens are kept only as SHA-256 hashes: a database leak reveals none.
CREATE TABLE token (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('admin', 'share')),
  site_id INTEGER REFERENCES site(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One salt per site and local day: 32 bytes from a CSPRNG, deleted at the next rotation.
CREATE TABLE salt (
  site_id INTEGER NOT NULL REFERENCES site(id) ON DELETE CASCADE,
  day INTEGER NOT NULL,
  salt BLOB NOT NULL,
  PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

-- Visit and distinct-visitor state per visitor hash, for the hash's one day.
-- A rowid table: its rows (a few hundred bytes of JSON) are too large to sit well in
-- the B-tree of a WITHOUT ROWID table (https://www.sqlite.org/withoutrowid.html, 4.0).
CREATE TABLE visitor (
  hash TEXT NOT NULL UNIQUE,
  site_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  state TEXT NOT NULL
);

-- Rollups: `time` is the local hour's start in UTC seconds (hour grain) or the local
-- day as days since 1970-01-01 (day grain). `dim` codes: collector/core/dimensions.ts.
CREATE TABLE rollup_hour (
  site_id INTEGER NOT NULL,
  dim INTEGER NOT NULL,
  time INTEGER NOT NULL,
  value TEXT NOT NULL,
  visitors INTEGER NOT NULL DEFAULT 0,
  visits INTEGER NOT NULL DEFAULT 0,
  pageviews INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  bounces INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  engaged_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, dim, time, value)
) WITHOUT ROWID;

CREATE TABLE rollup_day (
  site_id INTEGER NOT NULL,
  dim INTEGER NOT NULL,
  time INTEGER NOT NULL,
  value TEXT NOT NULL,
  visitors INTEGER NOT NULL DEFAULT 0,
  visits INTEGER NOT NULL DEFAULT 0,
  pageviews INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  bounces INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  engaged_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, dim, time, value)
) WITHOUT ROWID;

-- The drop log: events dropped on purpose, by reason, per site and hour bucket.
CREATE TABLE dropped (
  site_id INTEGER NOT NULL,
  time INTEGER NOT NULL,
  reason TEXT NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (site_id, time, reason)
) WITHOUT ROWID;

-- Batches already applied (Workers queue redelivery must not count twice).
CREATE TABLE applied_batch (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL
) WITHOUT ROWID;

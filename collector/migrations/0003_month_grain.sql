-- Month grain: months folded from rollup_day by the maintenance job (completed months once,
-- the current month up to yesterday, daily), so that a year's breakdown reads 12 rows per
-- value instead of 365. Every counter is additive,
-- visitors included: over whole days, visitors are distinct (day, hash) pairs (CONTRACT.md).
-- `time` is the month as year * 12 + (month - 1).
CREATE TABLE rollup_month (
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

-- Which months of a site are folded, and through which day: a month row holds the days
-- from the month's first to `through_day`, and only ranges covering those read it.
CREATE TABLE folded_month (
  site_id INTEGER NOT NULL,
  month INTEGER NOT NULL,
  through_day INTEGER NOT NULL,
  PRIMARY KEY (site_id, month)
) WITHOUT ROWID;

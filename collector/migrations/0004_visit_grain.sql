-- Visit grain: what `filter=` reads when one dimension's rollup cannot answer a question
-- (a breakdown by page of the visits from Google; two filters at once). One row per visit,
-- keyed by its start hour and a random number: no visitor hash, no address, nothing that
-- links two visits of one visitor. Times are hour buckets, as in the rollups.
-- Counted at the same commit as the rollups (collector/core/aggregate/cells.ts).
CREATE TABLE visit (
  site_id INTEGER NOT NULL,
  -- The hour bucket (UTC seconds) the visit started in, and its local day.
  time INTEGER NOT NULL,
  id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  source TEXT NOT NULL,
  referrer TEXT NOT NULL,
  utm_source TEXT NOT NULL,
  utm_medium TEXT NOT NULL,
  utm_campaign TEXT NOT NULL,
  utm_term TEXT NOT NULL,
  utm_content TEXT NOT NULL,
  browser TEXT NOT NULL,
  browser_version TEXT NOT NULL,
  os TEXT NOT NULL,
  device TEXT NOT NULL,
  country TEXT NOT NULL,
  entry_page TEXT NOT NULL,
  exit_page TEXT NOT NULL,
  bounce INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (site_id, time, id)
) WITHOUT ROWID;

-- A visit's pageviews and engaged time per page and hour bucket (`time`: when they happened).
CREATE TABLE visit_page (
  site_id INTEGER NOT NULL,
  visit_time INTEGER NOT NULL,
  visit_id INTEGER NOT NULL,
  page TEXT NOT NULL,
  time INTEGER NOT NULL,
  pageviews INTEGER NOT NULL,
  engaged_ms INTEGER NOT NULL,
  PRIMARY KEY (site_id, visit_time, visit_id, page, time)
) WITHOUT ROWID;

-- A visit's custom events per name and hour bucket.
CREATE TABLE visit_event (
  site_id INTEGER NOT NULL,
  visit_time INTEGER NOT NULL,
  visit_id INTEGER NOT NULL,
  event TEXT NOT NULL,
  time INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (site_id, visit_time, visit_id, event, time)
) WITHOUT ROWID;

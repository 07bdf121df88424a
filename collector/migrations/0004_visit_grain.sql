-- Visit grain: what `filter=` reads when one dimension's rollup cannot answer a question
-- (a breakdown by page of the visits from Google; two filters at once). One row per visit,
-- keyed by its start hour and a random number: no visitor hash, no address, nothing that
-- links two visits of one visitor. Times are hour buckets, as in the rollups.
-- Counted at the same commit as the rollups (collector/sqlite/visit-grain.ts).

-- Every text a site's visit rows refer to, once: a visit holds 14 of them, so rows keep their
-- ids (a few bytes) instead of the text. `dim` is the dimension code (collector/core/dimensions.ts);
-- pages, entry and exit pages share the code of `page`. `month` (year * 12 + month - 1) is the
-- latest month a row referring to the label was written: retention deletes a label with the
-- last month that used it, and a removed site takes its labels along.
CREATE TABLE label (
  id INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL,
  dim INTEGER NOT NULL,
  value TEXT NOT NULL,
  month INTEGER NOT NULL,
  UNIQUE (site_id, dim, value)
);

CREATE TABLE visit (
  site_id INTEGER NOT NULL,
  -- The hour bucket (UTC seconds) the visit started in, and its local day.
  time INTEGER NOT NULL,
  id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  -- Label ids.
  source INTEGER NOT NULL,
  referrer INTEGER NOT NULL,
  utm_source INTEGER NOT NULL,
  utm_medium INTEGER NOT NULL,
  utm_campaign INTEGER NOT NULL,
  utm_term INTEGER NOT NULL,
  utm_content INTEGER NOT NULL,
  browser INTEGER NOT NULL,
  browser_version INTEGER NOT NULL,
  os INTEGER NOT NULL,
  device INTEGER NOT NULL,
  country INTEGER NOT NULL,
  entry_page INTEGER NOT NULL,
  exit_page INTEGER NOT NULL,
  -- The whole visit's pageviews and custom events (a visit stays within its local day).
  pageviews INTEGER NOT NULL,
  events INTEGER NOT NULL,
  bounce INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (site_id, time, id)
) WITHOUT ROWID;

-- A visit's pageviews and engaged time per page (label id) and hour bucket (`time`: when they happened).
CREATE TABLE visit_page (
  site_id INTEGER NOT NULL,
  visit_time INTEGER NOT NULL,
  visit_id INTEGER NOT NULL,
  page INTEGER NOT NULL,
  time INTEGER NOT NULL,
  pageviews INTEGER NOT NULL,
  engaged_ms INTEGER NOT NULL,
  PRIMARY KEY (site_id, visit_time, visit_id, page, time)
) WITHOUT ROWID;

-- A visit's custom events per name (label id) and hour bucket.
CREATE TABLE visit_event (
  site_id INTEGER NOT NULL,
  visit_time INTEGER NOT NULL,
  visit_id INTEGER NOT NULL,
  event INTEGER NOT NULL,
  time INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (site_id, visit_time, visit_id, event, time)
) WITHOUT ROWID;

-- The Node runtime's write-ahead journal (collector/core/commit/group-commit.ts): each
-- acknowledged batch of events waits here, as one JSON array, for a second or so, until a
-- rollup commit counts it and deletes it. Events hold a visitor hash and derived dimensions,
-- never an address or a User-Agent.
CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  events TEXT NOT NULL
);

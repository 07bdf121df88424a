-- The Node runtime's write-ahead journal (collector/core/commit/group-commit.ts): accepted
-- events wait here, for a second or so, until a rollup commit counts them and deletes them.
-- They hold a visitor hash and derived dimensions, never an address or a User-Agent.
CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  event TEXT NOT NULL
);

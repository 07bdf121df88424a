-- The Node runtime's journal moved to a file of its own (collector/sqlite/sqlite-journal.ts), so
-- that appending a batch never waits for a count's transaction here. What a count has counted
-- is marked here instead, in the count's own transaction: journal entries up to `through` are
-- counted, whatever the journal file still holds. (The `journal` table of 0002 is emptied into
-- the new file at start, then left empty.)
CREATE TABLE journal_mark (
  through INTEGER NOT NULL
);
INSERT INTO journal_mark (through) VALUES (0);

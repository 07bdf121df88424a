-- Dashboard login sessions: the one cookie Glimt sets (CONTRACT.md, privacy invariant 4) is a
-- random session token; only its SHA-256 hash is kept here, with what it grants and until when.
-- A share session dies with its site.
CREATE TABLE session (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('admin', 'share')),
  site_id INTEGER REFERENCES site(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_expiry ON session (expires_at);

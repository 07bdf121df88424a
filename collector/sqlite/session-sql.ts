/**
 * @module The `session` table's SQL (collector/migrations/0006_session.sql), which the SQLite
 * and D1 stores both run as it is, and its row as the core's `SessionRecord`.
 */
import type { SessionRecord } from '../core/store.ts';

export const SESSION_SQL = {
  purgeExpired: 'DELETE FROM session WHERE expires_at <= ?',
  add: 'INSERT INTO session (hash, kind, site_id, expires_at) VALUES (?, ?, ?, ?)',
  find: 'SELECT kind, site_id, expires_at FROM session WHERE hash = ? AND expires_at > ?',
  delete: 'DELETE FROM session WHERE hash = ?',
  revokeAdminTokens: "DELETE FROM token WHERE kind = 'admin' AND hash != ?",
  deleteAdminSessions: "DELETE FROM session WHERE kind = 'admin'",
} as const;

export interface SessionRow {
  kind: 'admin' | 'share';
  site_id: number | null;
  expires_at: number;
}

export const toSessionRecord = (row: SessionRow): SessionRecord => ({
  kind: row.kind,
  siteId: row.site_id,
  expiresAt: row.expires_at,
});

/**
 * @module A `site` table row (collector/migrations/0001_init.sql) as the core's `Site`: one
 * mapping for every SQL store, SQLite and D1 alike.
 */
import type { Site } from './store.ts';

export interface SiteRow {
  id: number;
  domain: string;
  timezone: string;
  honour_opt_out: number;
  retention_months: number;
}

export const toSite = (row: SiteRow): Site => ({
  id: row.id,
  domain: row.domain,
  timezone: row.timezone,
  honourOptOut: row.honour_opt_out === 1,
  retentionMonths: row.retention_months,
});

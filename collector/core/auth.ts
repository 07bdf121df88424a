/**
 * @module Who may read stats: the admin token (every site) or a share token (one site).
 *
 * Tokens are random, shown once, and stored only as their SHA-256 hash.
 */
import type { Store, TokenRecord } from './store.ts';

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new token: 32 random bytes, base64url. */
export function newToken(prefix: 'glimt_admin' | 'glimt_share' | 'glimt_session'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `${prefix}_${base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

export type Reader = { kind: 'admin' } | { kind: 'share'; siteId: number };

export async function readerFor(
  store: Store,
  authorization: string | undefined,
): Promise<Reader | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  return readerForToken(store, match[1]);
}

/** The reader an admin or share token grants (the dashboard's login form sends one). */
export async function readerForToken(store: Store, token: string): Promise<Reader | undefined> {
  return asReader(await store.findToken(await sha256Hex(token)));
}

/** A stored token or session record as a reader; a share record without its site grants nothing. */
export function asReader(record: TokenRecord | undefined): Reader | undefined {
  if (!record) return undefined;
  if (record.kind === 'admin') return { kind: 'admin' };
  return record.siteId === null ? undefined : { kind: 'share', siteId: record.siteId };
}

/**
 * @module Dashboard login sessions: `glimt_session`, the one cookie Glimt sets (CONTRACT.md,
 * privacy invariant 4), and only after the site owner logs in with a token.
 *
 * The cookie holds a new random session token; the store keeps only its SHA-256 hash, with
 * the reader it grants and its expiry. A request is authenticated by `Authorization: Bearer`
 * when it has that header, else by the cookie. A state-changing request that the cookie
 * authenticates must come from a page of this origin: the browser sends the cookie with a
 * cross-site request too (SameSite=Strict stops that in current browsers; the Origin check
 * does not depend on it). https://owasp.org/www-community/attacks/csrf
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { asReader, newToken, type Reader, readerFor, sha256Hex } from './auth.ts';
import type { Store } from './store.ts';

export const SESSION_COOKIE = 'glimt_session';
export const SESSION_MAX_AGE_S = 30 * 86_400;

export interface Authenticated {
  reader: Reader;
  via: 'bearer' | 'cookie';
}

/** Starts a session for `reader` and sets its cookie on the answer. */
export async function startSession(c: Context, store: Store, reader: Reader, now: number): Promise<void> {
  const token = newToken('glimt_session');
  const siteId = reader.kind === 'share' ? reader.siteId : null;
  const expiresAt = now + SESSION_MAX_AGE_S * 1000;
  await store.addSession(await sha256Hex(token), { kind: reader.kind, siteId, expiresAt }, now);
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: isHttps(c),
    maxAge: SESSION_MAX_AGE_S,
  });
}

/** Deletes the request's session, if any, and tells the browser to drop the cookie. */
export async function endSession(c: Context, store: Store): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await store.deleteSession(await sha256Hex(token));
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}

/** Who the request is: its Bearer token when it has an Authorization header, else its session cookie. */
export async function authenticate(
  c: Context,
  store: Store,
  now: number,
): Promise<Authenticated | undefined> {
  const authorization = c.req.header('authorization');
  if (authorization !== undefined) {
    const reader = await readerFor(store, authorization);
    return reader && { reader, via: 'bearer' };
  }
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return undefined;
  const reader = asReader(await store.findSession(await sha256Hex(token), now));
  return reader && { reader, via: 'cookie' };
}

/**
 * Why a state-changing request may not act on its cookie: its `Origin` is missing or names
 * another host than the one it was sent to. Undefined when it may.
 */
export function crossOrigin(c: Context): string | undefined {
  const origin = c.req.header('origin');
  if (!origin) return 'the "Origin" header is required with a session cookie';
  const host = new URL(c.req.url).host;
  let from: string;
  try {
    from = new URL(origin).host;
  } catch {
    from = origin;
  }
  return from === host ? undefined : `"Origin" ${JSON.stringify(origin)} is not this dashboard's (${host})`;
}

/** Secure cookies over https, and behind a proxy that terminates TLS and says so. */
function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  return new URL(c.req.url).protocol === 'https:' || forwarded === 'https';
}

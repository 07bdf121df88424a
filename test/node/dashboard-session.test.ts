/**
 * The dashboard's login session and site management against the real `glimt serve`: the
 * `glimt_session` cookie (flags, what it grants, logout, expiry), the Origin check on
 * state-changing requests it authenticates, and `/api/sites` with the CLI's validation.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../collector/core/auth.ts';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN, type RunningServer, startServer } from '../support/server.ts';

const SHARE_TOKEN = 'glimt_share_test-share-token-for-shop-0123456789';
const today = () => new Date().toISOString().slice(0, 10);

let server: RunningServer;
let db: Database.Database;

interface Answer {
  status: number;
  body: unknown;
  cookies: string[];
}

async function call(
  method: string,
  path: string,
  options: { cookie?: string; body?: unknown; origin?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = `glimt_session=${options.cookie}`;
  if (options.origin) headers.origin = options.origin;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(server.url + path, {
    method,
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body, cookies: response.headers.getSetCookie() };
}

/** Logs in with `token`; returns the session cookie's value. */
async function login(token: string, headers: Record<string, string> = {}): Promise<string> {
  const answer = await call('POST', '/api/session', { body: { token }, headers });
  expect(answer.status).toBe(200);
  const value = /^glimt_session=([^;]+)/.exec(answer.cookies[0] ?? '')?.[1];
  if (!value) throw new Error(`no session cookie in ${JSON.stringify(answer.cookies)}`);
  return value;
}

const stats = (site: string) => `/api/stats/aggregate?site=${site}&from=${today()}&to=${today()}`;
const errorOf = (answer: Answer) => (answer.body as { error: string }).error;

beforeAll(async () => {
  server = await startServer({ sites: ['example.com', 'shop.example.org'] });
  db = new Database(server.db);
  const shop = db.prepare("SELECT id FROM site WHERE domain = 'shop.example.org'").pluck().get() as number;
  db.prepare("INSERT INTO token (hash, kind, site_id, created_at) VALUES (?, 'share', ?, 0)").run(
    await sha256Hex(SHARE_TOKEN),
    shop,
  );
});

afterAll(async () => {
  closeAgents();
  db?.close();
  if (server && server.child.exitCode === null) await server.stop();
});

describe('dashboard login', () => {
  it('sets one HttpOnly, SameSite=Strict cookie for 30 days, Secure behind https', async () => {
    const answer = await call('POST', '/api/session', { body: { token: ADMIN_TOKEN } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ kind: 'admin' });
    expect(answer.cookies).toHaveLength(1);
    const cookie = answer.cookies[0] ?? '';
    expect(cookie).toMatch(/^glimt_session=glimt_session_[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/; HttpOnly(;|$)/);
    expect(cookie).toMatch(/; SameSite=Strict(;|$)/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; Max-Age=2592000(;|$)/);
    expect(cookie).not.toMatch(/Secure/);
    const https = await call('POST', '/api/session', {
      body: { token: ADMIN_TOKEN },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(https.cookies[0]).toMatch(/; Secure(;|$)/);
  });

  it('stores only the hash of a new random session token, with its reader and expiry', async () => {
    const before = Date.now();
    const first = await login(ADMIN_TOKEN);
    const second = await login(ADMIN_TOKEN);
    expect(first).not.toBe(second);
    expect(first).not.toContain(ADMIN_TOKEN);
    const row = db.prepare('SELECT * FROM session WHERE hash = ?').get(await sha256Hex(first)) as
      | { kind: string; site_id: number | null; expires_at: number }
      | undefined;
    expect(row).toMatchObject({ kind: 'admin', site_id: null });
    expect(row?.expires_at).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(row?.expires_at).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    expect(db.prepare('SELECT count(*) FROM session WHERE hash = ?').pluck().get(first)).toBe(0);
  });

  it('refuses a wrong token with 401, a missing one with 400, naming the cause', async () => {
    const wrong = await call('POST', '/api/session', { body: { token: 'glimt_admin_not-the-token' } });
    expect(wrong.status).toBe(401);
    expect(errorOf(wrong)).toMatch(/"token" is not an admin or share token/);
    expect(wrong.cookies).toEqual([]);
    for (const body of [{}, { token: '' }, { token: 42 }, 'not json']) {
      const answer = await call('POST', '/api/session', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(answer)).toMatch(/"token" is required/);
      expect(answer.cookies).toEqual([]);
    }
  });

  it('the cookie reads the stats API and the export, like a Bearer token', async () => {
    const cookie = await login(ADMIN_TOKEN);
    expect(await call('GET', '/api/session', { cookie })).toMatchObject({
      status: 200,
      body: { kind: 'admin' },
    });
    const aggregate = await call('GET', stats('example.com'), { cookie });
    expect(aggregate.status).toBe(200);
    expect(aggregate.body).toMatchObject({ visitors: 0, pageviews: 0 });
    const csv = await call('GET', `/api/export?site=example.com&from=${today()}&to=${today()}`, { cookie });
    expect(csv.status).toBe(200);
    expect(String(csv.body)).toMatch(/^period,site,dimension/);
    // Without it (or with a made-up one), 401 names both ways in.
    for (const other of [undefined, 'glimt_session_made-up']) {
      const refused = await call('GET', stats('example.com'), other ? { cookie: other } : {});
      expect(refused.status).toBe(401);
      expect(errorOf(refused)).toMatch(/Bearer.*dashboard login/);
    }
  });

  it('a share login reads its one site only, and may not add sites', async () => {
    const share = await call('POST', '/api/session', { body: { token: SHARE_TOKEN } });
    expect(share.body).toEqual({ kind: 'share', site: 'shop.example.org' });
    const cookie = /^glimt_session=([^;]+)/.exec(share.cookies[0] ?? '')?.[1] ?? '';
    expect((await call('GET', stats('shop.example.org'), { cookie })).status).toBe(200);
    const other = await call('GET', stats('example.com'), { cookie });
    expect(other.status).toBe(403);
    expect(errorOf(other)).toMatch(/share login does not grant access to example\.com/);
    // An unregistered domain gets the same answer: a share reader cannot probe which sites exist.
    const unknown = await call('GET', stats('not-here.example'), { cookie });
    expect(unknown.status).toBe(403);
    expect(errorOf(unknown)).toMatch(/share login does not grant access to not-here\.example/);
    expect(await call('GET', '/api/sites', { cookie })).toMatchObject({
      status: 200,
      body: [{ domain: 'shop.example.org', timezone: 'UTC' }],
    });
    const add = await call('POST', '/api/sites', {
      cookie,
      origin: server.url,
      body: { domain: 'x.example' },
    });
    expect(add.status).toBe(403);
    expect(errorOf(add)).toMatch(/only the admin/);
  });

  it('logout deletes the session and clears the cookie', async () => {
    const cookie = await login(ADMIN_TOKEN);
    const out = await call('DELETE', '/api/session', { cookie, origin: server.url });
    expect(out.status).toBe(204);
    expect(out.cookies[0]).toMatch(/^glimt_session=;.*Max-Age=0/);
    expect(
      db
        .prepare('SELECT count(*) FROM session WHERE hash = ?')
        .pluck()
        .get(await sha256Hex(cookie)),
    ).toBe(0);
    expect((await call('GET', stats('example.com'), { cookie })).status).toBe(401);
    expect((await call('GET', '/api/session', { cookie })).status).toBe(401);
  });

  it('an expired session reads nothing, and is purged at the next login', async () => {
    const cookie = await login(ADMIN_TOKEN);
    const hash = await sha256Hex(cookie);
    expect((await call('GET', stats('example.com'), { cookie })).status).toBe(200);
    db.prepare('UPDATE session SET expires_at = ? WHERE hash = ?').run(Date.now() - 1, hash);
    const expired = await call('GET', stats('example.com'), { cookie });
    expect(expired.status).toBe(401);
    expect(db.prepare('SELECT count(*) FROM session WHERE hash = ?').pluck().get(hash)).toBe(1);
    await login(ADMIN_TOKEN);
    expect(db.prepare('SELECT count(*) FROM session WHERE hash = ?').pluck().get(hash)).toBe(0);
  });
});

describe('CSRF: a cookie changes state only from this origin', () => {
  it('refuses a cookie-authenticated POST or DELETE without Origin or from another origin', async () => {
    const cookie = await login(ADMIN_TOKEN);
    const none = await call('POST', '/api/sites', { cookie, body: { domain: 'csrf.example' } });
    expect(none.status).toBe(403);
    expect(errorOf(none)).toMatch(/"Origin" header is required/);
    const evil = await call('POST', '/api/sites', {
      cookie,
      origin: 'https://evil.example',
      body: { domain: 'csrf.example' },
    });
    expect(evil.status).toBe(403);
    expect(errorOf(evil)).toMatch(/"Origin" "https:\/\/evil\.example" is not this dashboard's/);
    const logout = await call('DELETE', '/api/session', { cookie, origin: 'https://evil.example' });
    expect(logout.status).toBe(403);
    // Nothing happened: the site is not there, the session still works.
    expect((await call('GET', '/api/sites', { cookie })).body).not.toContainEqual(
      expect.objectContaining({ domain: 'csrf.example' }),
    );
    expect((await call('GET', stats('example.com'), { cookie })).status).toBe(200);
    // A login form posted from another site is refused too.
    const foreignLogin = await call('POST', '/api/session', {
      body: { token: ADMIN_TOKEN },
      origin: 'https://evil.example',
    });
    expect(foreignLogin.status).toBe(403);
    expect(foreignLogin.cookies).toEqual([]);
  });

  it('a Bearer token needs no Origin (scripts, curl)', async () => {
    const answer = await call('POST', '/api/sites', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { domain: 'bearer.example' },
    });
    expect(answer).toMatchObject({ status: 201, body: { domain: 'bearer.example', timezone: 'UTC' } });
  });
});

describe('/api/sites', () => {
  it('adds a site with the CLI checks, each error naming its field', async () => {
    const cookie = await login(ADMIN_TOKEN);
    const post = (body: unknown) => call('POST', '/api/sites', { cookie, origin: server.url, body });
    const cases: [unknown, number, RegExp][] = [
      [{}, 400, /^"domain": a domain name is required/],
      [{ domain: 'bad_domain!' }, 400, /^"domain": .*"bad_domain!"/],
      [{ domain: 42 }, 400, /^"domain" must be a string/],
      [
        { domain: 'ok.example', timezone: 'Mars/Base' },
        400,
        /^"timezone": "Mars\/Base" is not an IANA time zone/,
      ],
      [{ domain: 'ok.example', retention_months: 0 }, 400, /^"retention_months": /],
      ['[1', 400, /JSON object/],
      [{ domain: 'Example.COM.' }, 409, /^"domain": example\.com is already registered/],
    ];
    for (const [body, status, error] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(errorOf(answer)).toMatch(error);
    }
    const added = await post({ domain: 'New.Example.NET', timezone: 'Europe/Oslo' });
    expect(added).toMatchObject({
      status: 201,
      body: { domain: 'new.example.net', timezone: 'Europe/Oslo' },
    });
    // Its events are accepted at once.
    const event = await postEvent(server.url, {
      site: 'new.example.net',
      name: 'pageview',
      url: 'https://new.example.net/',
    });
    expect(event.status).toBe(202);
    // The same new domain twice at once: one 201, one 409 that names it, never a 500.
    const twice = await Promise.all([post({ domain: 'twice.example' }), post({ domain: 'twice.example' })]);
    expect(twice.map((answer) => answer.status).sort()).toEqual([201, 409]);
  });

  it('lists every site for the admin, by domain', async () => {
    const cookie = await login(ADMIN_TOKEN);
    const list = await call('GET', '/api/sites', { cookie });
    expect(list.status).toBe(200);
    const domains = (list.body as { domain: string }[]).map((s) => s.domain);
    expect(domains).toEqual([...domains].sort());
    expect(domains).toEqual(expect.arrayContaining(['example.com', 'shop.example.org', 'new.example.net']));
    expect((await call('GET', '/api/sites')).status).toBe(401);
  });
});

describe('a new GLIMT_ADMIN_TOKEN', () => {
  it('leaves the previous admin token, and the logins made with it, worthless', async () => {
    const oldLogin = await login(ADMIN_TOKEN);
    const shareLogin = await login(SHARE_TOKEN);
    expect(await server.stop()).toBe(0);
    const NEW_TOKEN = 'test-admin-token-rotated-0123456789';
    server = await startServer({
      sites: ['example.com', 'shop.example.org'],
      dir: server.dir,
      env: { GLIMT_ADMIN_TOKEN: NEW_TOKEN },
    });
    expect(server.output()).toMatch(/previous admin token and its dashboard logins no longer work/);
    expect((await call('POST', '/api/session', { body: { token: ADMIN_TOKEN } })).status).toBe(401);
    expect((await call('GET', '/api/sites', { cookie: oldLogin })).status).toBe(401);
    expect((await call('GET', '/api/sites', { cookie: shareLogin })).status).toBe(200);
    expect((await call('GET', '/api/sites', { cookie: await login(NEW_TOKEN) })).status).toBe(200);
  });
});

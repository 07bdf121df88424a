/**
 * The dashboard on Workers, in workerd: the page and its assets as Node serves them, and a
 * login session stored in D1 that reads the stats API, adds a site and logs out.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../collector/core/auth.ts';
import { call } from './call.ts';
import { ADMIN_TOKEN } from './parity-stream.ts';

const ORIGIN = 'https://glimt.example';
const day = new Date().toISOString().slice(0, 10);

describe('the dashboard on Workers', () => {
  it('serves the page, its script and stylesheet, setting no cookie', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('set-cookie')).toBeNull();
    expect(await page.text()).toContain('<script defer src="/dashboard.js">');
    const script = await call('/dashboard.js');
    expect(script.headers.get('content-type')).toContain('javascript');
    expect((await script.text()).length).toBeGreaterThan(1000);
    expect((await call('/dashboard.css')).headers.get('content-type')).toContain('text/css');
    const etag = page.headers.get('etag') ?? '';
    expect((await call('/', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('logs in with the admin token: a Secure session cookie, its hash in D1, and it reads the stats', async () => {
    const wrong = await call('/api/session', { method: 'POST', body: JSON.stringify({ token: 'nope' }) });
    expect(wrong.status).toBe(401);
    const login = await call('/api/session', {
      method: 'POST',
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^glimt_session=glimt_session_[^;]+; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    const value = /^glimt_session=([^;]+)/.exec(setCookie)?.[1] ?? '';
    const stored = await env.DB.prepare('SELECT kind FROM session WHERE hash = ?')
      .bind(await sha256Hex(value))
      .first<{ kind: string }>();
    expect(stored).toEqual({ kind: 'admin' });
    const cookie = `glimt_session=${value}`;

    const aggregate = await call(`/api/stats/aggregate?site=example.com&from=${day}&to=${day}`, {
      headers: { cookie },
    });
    expect(aggregate.status).toBe(200);
    const refused = await call('/api/sites', {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
      body: JSON.stringify({ domain: 'workers.example' }),
    });
    expect(refused.status).toBe(403);
    const added = await call('/api/sites', {
      method: 'POST',
      headers: { cookie, origin: ORIGIN },
      body: JSON.stringify({ domain: 'workers.example', timezone: 'Europe/Oslo' }),
    });
    expect(added.status).toBe(201);
    const sites = (await (await call('/api/sites', { headers: { cookie } })).json()) as { domain: string }[];
    expect(sites.map((s) => s.domain)).toContain('workers.example');

    expect(
      (await call('/api/session', { method: 'DELETE', headers: { cookie, origin: ORIGIN } })).status,
    ).toBe(204);
    expect((await call('/api/sites', { headers: { cookie } })).status).toBe(401);
  });
});

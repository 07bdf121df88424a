/**
 * Privacy invariants 1, 2 and 4 of CONTRACT.md, end to end against the real `glimt serve`.
 *
 * Three loopback clients (127.45.67.89, 127.45.67.200, 127.45.68.89) post pageviews with
 * the same User-Agent. The server trusts no proxy, so the TCP peer is the client (the
 * server listens on `::` and sees `::ffff:127.45.67.89`). Identity must use the /24:
 * the first two are one visitor. Then the bytes of the database, its WAL and shm, the
 * server's whole output and a CSV export are searched for each full address (as text in
 * UTF-8 and UTF-16, and as its 4 raw bytes) and for the secrets sent in query strings.
 * A positive control proves the byte search finds what it looks for.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN, getJson, type RunningServer, startServer } from '../support/server.ts';

const CLIENTS = ['127.45.67.89', '127.45.67.200', '127.45.68.89'] as const;
/** Sent in X-Forwarded-For by a client; without GLIMT_TRUST_PROXY it must be ignored (and never stored). */
const SPOOFED = '198.51.100.77';
const EMAIL_SECRET = 'alice.secret@example.org';
const REFERRER_SECRET = 'ref-token-9f8e7d6c5b4a';
const SECRETS = [EMAIL_SECRET, encodeURIComponent(EMAIL_SECRET), REFERRER_SECRET];

const today = () => new Date().toISOString().slice(0, 10);

/** Every way a full address could sit in a file: text (UTF-8, UTF-16LE) and the 4 raw bytes. */
function needlesFor(address: string): { label: string; bytes: Buffer }[] {
  const octets = address.split('.').map(Number);
  return [
    { label: `text ${address}`, bytes: Buffer.from(address, 'utf8') },
    { label: `text ::ffff:${address}`, bytes: Buffer.from(`::ffff:${address}`, 'utf8') },
    { label: `utf16 ${address}`, bytes: Buffer.from(address, 'utf16le') },
    { label: `raw bytes ${address}`, bytes: Buffer.from(octets) },
  ];
}

const ADDRESS_NEEDLES = [...CLIENTS, SPOOFED].flatMap(needlesFor);
const SECRET_NEEDLES = SECRETS.flatMap((secret) => [
  { label: `secret ${secret}`, bytes: Buffer.from(secret, 'utf8') },
  { label: `secret utf16 ${secret}`, bytes: Buffer.from(secret, 'utf16le') },
]);

/** The database file, its journal file, and the WAL, shm and rollback journal of each, those that exist, as bytes. */
function storageFiles(db: string): { name: string; bytes: Buffer }[] {
  return [db, `${db}.journal`]
    .flatMap((file) => [file, `${file}-wal`, `${file}-shm`, `${file}-journal`])
    .filter((file) => existsSync(file))
    .map((file) => ({ name: file, bytes: readFileSync(file) }));
}

/** `file: needle` for every needle found in any of the haystacks. */
function findNeedles(
  haystacks: { name: string; bytes: Buffer }[],
  needles: { label: string; bytes: Buffer }[],
): string[] {
  const found: string[] = [];
  for (const hay of haystacks) {
    for (const needle of needles) {
      if (hay.bytes.includes(needle.bytes)) found.push(`${hay.name}: ${needle.label}`);
    }
  }
  return found;
}

const pageview = (url: string, extra: Record<string, unknown> = {}) => ({
  site: 'example.com',
  name: 'pageview',
  url,
  ...extra,
});

describe('privacy: no full IP, no query secrets, no cookies', () => {
  let server: RunningServer;
  const eventResponses: { status: number; headers: Record<string, unknown>; body: string }[] = [];
  let csvExport = '';
  let badBody = '';

  beforeAll(async () => {
    server = await startServer();
    const post = async (body: unknown, localAddress: string) => {
      const response = await postEvent(server.url, body, { localAddress });
      eventResponses.push(response);
      return response;
    };
    // A page URL and a referrer carrying secrets in their query strings. First in its visit:
    // utm_* and the referrer belong to the visit, so they come from its first pageview.
    const secretUrl = `https://example.com/signup?email=${encodeURIComponent(EMAIL_SECRET)}&utm_source=news`;
    const secretReferrer = `https://mail.example.net/inbox?token=${REFERRER_SECRET}&email=${EMAIL_SECRET}`;
    expect((await post(pageview(secretUrl, { referrer: secretReferrer }), CLIENTS[0])).status).toBe(202);
    // One plain pageview from each client (same Chrome UA).
    for (const [i, localAddress] of CLIENTS.entries()) {
      expect((await post(pageview(`https://example.com/client-${i}`), localAddress)).status).toBe(202);
    }
    // A forged X-Forwarded-For: no proxy is trusted, so the peer (127.45.68.89) stays the client.
    const spoofed = await postEvent(server.url, pageview('https://example.com/forged'), {
      localAddress: CLIENTS[2],
      headers: { 'x-forwarded-for': SPOOFED },
    });
    eventResponses.push(spoofed);
    expect(spoofed.status).toBe(202);
    // Refused requests from the same client: malformed body, unknown site, foreign host.
    const malformed = await post('{"site": "example.com", "name": ', CLIENTS[0]);
    expect(malformed.status).toBe(400);
    badBody = malformed.body;
    expect((await post(pageview('https://example.com/x', { site: 'nope.example' }), CLIENTS[0])).status).toBe(
      403,
    );
    expect((await post(pageview('https://evil.example.net/x'), CLIENTS[1])).status).toBe(403);
    expect(
      (await post(pageview('https://example.com/x', { engaged_ms: 'abc', name: 'engagement' }), CLIENTS[2]))
        .status,
    ).toBe(400);

    const exported = await fetch(`${server.url}/api/export?site=example.com&from=${today()}&to=${today()}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(exported.status).toBe(200);
    csvExport = await exported.text();
    const daily = await fetch(
      `${server.url}/api/export?site=example.com&from=${today()}&to=${today()}&interval=day`,
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    );
    csvExport += await daily.text();
  });

  afterAll(async () => {
    closeAgents();
    if (server && server.child.exitCode === null) await server.stop();
  });

  it('positive control: the byte search finds an address stored in a SQLite file and its WAL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glimt-privacy-control-'));
    const file = join(dir, 'control.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (ip_blob BLOB, ip_text TEXT)');
    db.prepare('INSERT INTO t VALUES (?, ?)').run(Buffer.from([127, 45, 67, 89]), '::ffff:127.45.68.89');
    // Still open: the rows sit in the WAL.
    const whileOpen = findNeedles(storageFiles(file), ADDRESS_NEEDLES);
    expect(whileOpen).toEqual(
      expect.arrayContaining([
        expect.stringContaining('raw bytes 127.45.67.89'),
        expect.stringContaining('text ::ffff:127.45.68.89'),
      ]),
    );
    expect(whileOpen.some((hit) => hit.startsWith(`${file}-wal`))).toBe(true);
    db.close(); // checkpoints into the main file
    const afterClose = findNeedles(storageFiles(file), ADDRESS_NEEDLES);
    expect(afterClose).toEqual(
      expect.arrayContaining([
        `${file}: raw bytes 127.45.67.89`,
        `${file}: text 127.45.68.89`,
        `${file}: text ::ffff:127.45.68.89`,
      ]),
    );
    // And a text haystack (output, CSV) is searched the same way.
    expect(
      findNeedles([{ name: 'log', bytes: Buffer.from('peer ::ffff:127.45.67.200') }], ADDRESS_NEEDLES),
    ).toEqual(['log: text 127.45.67.200', 'log: text ::ffff:127.45.67.200']);
  });

  it('identity uses the /24: 127.45.67.89 and 127.45.67.200 are one visitor, 127.45.68.89 another', async () => {
    const stats = await getJson<{ visitors: number; pageviews: number }>(
      server,
      `/api/stats/aggregate?site=example.com&from=${today()}&to=${today()}`,
    );
    expect(stats.pageviews).toBe(5);
    // 3 if the forged X-Forwarded-For had been believed, 3 if identity used the full address.
    expect(stats.visitors).toBe(2);
  });

  it('keeps utm_source from the query string, drops the rest', async () => {
    const bySource = await getJson<{ value: string; pageviews: number }[]>(
      server,
      `/api/stats/breakdown?site=example.com&from=${today()}&to=${today()}&by=utm_source`,
    );
    expect(bySource.map((row) => row.value)).toContain('news');
    const pages = await getJson<{ value: string }[]>(
      server,
      `/api/stats/breakdown?site=example.com&from=${today()}&to=${today()}&by=page&limit=1000`,
    );
    expect(pages.map((row) => row.value)).toContain('/signup');
    for (const row of pages) expect(row.value).not.toContain('?');
    const referrers = await getJson<{ value: string }[]>(
      server,
      `/api/stats/breakdown?site=example.com&from=${today()}&to=${today()}&by=referrer&limit=1000`,
    );
    expect(referrers.map((row) => row.value)).toContain('mail.example.net/inbox');
  });

  it('no response from /api/event sets a cookie', async () => {
    expect(eventResponses.map((r) => r.status).sort()).toEqual([202, 202, 202, 202, 202, 400, 400, 403, 403]);
    for (const response of eventResponses) {
      expect(response.headers['set-cookie']).toBeUndefined();
      // Any site may post, without credentials: every answer, 202 or 4xx, says so.
      expect(response.headers['access-control-allow-origin']).toBe('*');
    }
    // The CORS preflight neither.
    const preflight = await fetch(`${server.url}/api/event`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('set-cookie')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });

  it('the dashboard, its assets and /t.js set no cookie; only a login does, and it stores no token', async () => {
    for (const path of ['/', '/dashboard.js', '/dashboard.css', '/t.js']) {
      const response = await fetch(server.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('set-cookie'), path).toBeNull();
    }
    const login = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(login.status).toBe(200);
    const cookies = login.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^glimt_session=/);
    const session = /^glimt_session=([^;]+)/.exec(cookies[0] ?? '')?.[1] ?? '';
    // Neither the admin token nor the session's cookie value is written anywhere: only hashes.
    const needles = [ADMIN_TOKEN, session].map((secret) => ({ label: secret, bytes: Buffer.from(secret) }));
    const output = { name: 'server output', bytes: Buffer.from(server.output()) };
    expect(findNeedles([...storageFiles(server.db), output], needles)).toEqual([]);
  });

  it('the 400 for a malformed body names JSON and holds no address; no error answer does', () => {
    expect(JSON.parse(badBody).error).toMatch(/JSON/);
    expect(findNeedles([{ name: '400 body', bytes: Buffer.from(badBody) }], ADDRESS_NEEDLES)).toEqual([]);
    const answers = eventResponses.map((r, i) => ({
      name: `answer ${i} (${r.status})`,
      bytes: Buffer.from(r.body + JSON.stringify(r.headers)),
    }));
    expect(findNeedles(answers, ADDRESS_NEEDLES)).toEqual([]);
  });

  it('no full address and no query secret in the CSV export', () => {
    expect(csvExport).toContain('period,site,dimension');
    const hay = [{ name: 'csv export', bytes: Buffer.from(csvExport) }];
    expect(findNeedles(hay, [...ADDRESS_NEEDLES, ...SECRET_NEEDLES])).toEqual([]);
  });

  it('no full address and no query secret in db, -wal, -shm or output while the server runs', () => {
    const files = storageFiles(server.db);
    expect(files.map((f) => f.name)).toContain(server.db);
    expect(files.map((f) => f.name)).toContain(`${server.db}.journal`);
    const output = { name: 'server output', bytes: Buffer.from(server.output()) };
    expect(findNeedles([...files, output], [...ADDRESS_NEEDLES, ...SECRET_NEEDLES])).toEqual([]);
  });

  it('and none after SIGTERM either', async () => {
    expect(await server.stop()).toBe(0);
    const files = storageFiles(server.db);
    const output = { name: 'server output', bytes: Buffer.from(server.output()) };
    expect(server.output()).toContain('stopped cleanly');
    expect(findNeedles([...files, output], [...ADDRESS_NEEDLES, ...SECRET_NEEDLES])).toEqual([]);
  });
});

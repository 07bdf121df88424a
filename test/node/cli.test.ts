/**
 * The `glimt` command (CONTRACT.md, "Start"): sites add/list/remove, share tokens,
 * malformed and unknown settings, and the admin token printed once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const day = () => new Date().toISOString().slice(0, 10);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `glimt ...` with a clean environment; kills it (and fails) if it does not end in time. */
function glimt(args: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'collector/bin/glimt.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`glimt ${args.join(' ')} still running after ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const freshDb = () => join(mkdtempSync(join(tmpdir(), 'glimt-cli-')), 'glimt.db');
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers)
    if (server.child.exitCode === null && !server.child.signalCode) await server.stop();
});

describe('glimt sites', () => {
  const db = freshDb();

  it('adds a site with a time zone, lists it, refuses bad input, removes it', async () => {
    const added = await glimt(['sites', 'add', 'shop.example.org', '--tz', 'Europe/Oslo'], { GLIMT_DB: db });
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/added shop\.example\.org \(time zone Europe\/Oslo\)/);

    const listed = await glimt(['sites', 'list'], { GLIMT_DB: db });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^shop\.example\.org\tEurope\/Oslo\t/m);

    const bad = await glimt(['sites', 'add', 'bad_domain!'], { GLIMT_DB: db });
    expect(bad.code).toBe(1);
    expect(lines(bad.stderr)[0]).toMatch(/^glimt: .*domain.*"bad_domain!"/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // a clear line, not a stack trace

    const mars = await glimt(['sites', 'add', 'mars.example.org', '--tz', 'Mars/Base'], { GLIMT_DB: db });
    expect(mars.code).toBe(1);
    expect(lines(mars.stderr)[0]).toMatch(/^glimt: --tz.*Mars\/Base/);
    expect(mars.stderr).not.toMatch(/\n\s+at /);

    const afterBad = await glimt(['sites', 'list'], { GLIMT_DB: db });
    expect(lines(afterBad.stdout).map((line) => line.split('\t')[0])).toEqual(['shop.example.org']);

    const removed = await glimt(['sites', 'remove', 'shop.example.org'], { GLIMT_DB: db });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/removed shop\.example\.org/);
    expect((await glimt(['sites', 'list'], { GLIMT_DB: db })).stdout).not.toContain('shop.example.org');

    const again = await glimt(['sites', 'remove', 'shop.example.org'], { GLIMT_DB: db });
    expect(again.code).toBe(1);
    expect(lines(again.stderr)[0]).toMatch(/^glimt: .*shop\.example\.org/);
  });
});

describe('glimt share add', () => {
  it('prints a token that reads its own site and gets 403 for another', async () => {
    const server = await startServer({ sites: ['example.com', 'other.example.net'] });
    servers.push(server);
    const shared = await glimt(['share', 'add', 'example.com'], { GLIMT_DB: server.db });
    expect(shared.code).toBe(0);
    const token = shared.stdout.trim();
    expect(token).toMatch(/^glimt_share_[A-Za-z0-9_-]{20,}$/);

    const read = (site: string, path = 'aggregate') =>
      fetch(`${server.url}/api/stats/${path}?site=${site}&from=${day()}&to=${day()}&by=page`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const own = await read('example.com');
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ visitors: 0, pageviews: 0 });
    expect((await read('example.com', 'breakdown')).status).toBe(200);
    const other = await read('other.example.net');
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: string }).error).toMatch(/other\.example\.net/);
    expect((await read('other.example.net', 'breakdown')).status).toBe(403);

    // Stored only as a hash.
    expect(readFileSync(server.db).includes(token)).toBe(false);

    const unknown = await glimt(['share', 'add', 'nope.example.org'], { GLIMT_DB: server.db });
    expect(unknown.code).toBe(1);
    expect(lines(unknown.stderr)[0]).toMatch(/nope\.example\.org/);
  });
});

describe('glimt serve settings', () => {
  const MALFORMED: [string, string][] = [
    ['PORT', 'abc'],
    ['GLIMT_SYNC', 'sometimes'],
    ['GLIMT_QUEUE_MAX', '0'],
    ['GLIMT_TRUST_PROXY', '10.0.0.0/99'],
    ['GLIMT_SITES', 'bad_domain!'],
    ['GLIMT_ADMIN_TOKEN', 'short'],
    ['GLIMT_GEO', 'maybe'],
  ];

  it.each(MALFORMED)('a malformed %s=%s stops the start with one line naming it', async (name, value) => {
    const result = await glimt(['serve'], {
      GLIMT_DB: freshDb(),
      PORT: String(20_000 + Math.floor(Math.random() * 30_000)),
      GLIMT_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
      [name]: value,
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const output = lines(result.stdout + result.stderr);
    expect(output).toHaveLength(1);
    expect(output[0]).toContain(name);
    expect(output[0]).not.toMatch(/listening/);
  });

  it('an unknown GLIMT_* setting (a typo) is warned about by name, and the server still starts', async () => {
    const server = await startServer({ env: { GLIMT_SITE: 'example.com' } });
    servers.push(server);
    expect(server.output()).toMatch(/warning.*GLIMT_SITE\b/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('without GLIMT_ADMIN_TOKEN the first start prints a token once; the second start does not', async () => {
    const first = await startServer({ env: { GLIMT_ADMIN_TOKEN: '' } });
    servers.push(first);
    const match = /admin token[^\n]*?(glimt_admin_[A-Za-z0-9_-]+)/.exec(first.output());
    expect(match, first.output()).not.toBeNull();
    const token = match?.[1] ?? '';
    expect(first.output().split(token)).toHaveLength(2); // printed exactly once
    const stats = await fetch(`${first.url}/api/stats/aggregate?site=example.com&from=${day()}&to=${day()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stats.status).toBe(200);
    expect(await first.stop()).toBe(0);
    expect(readFileSync(first.db).includes(token)).toBe(false); // stored only as a hash

    const second = await startServer({ dir: first.dir, env: { GLIMT_ADMIN_TOKEN: '' } });
    servers.push(second);
    expect(second.output()).not.toMatch(/admin token/);
    expect(second.output()).not.toContain(token);
    const still = await fetch(
      `${second.url}/api/stats/aggregate?site=example.com&from=${day()}&to=${day()}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(still.status).toBe(200);
    expect(await second.stop()).toBe(0);
  });
});

/**
 * Smoke test of the real thing: `wrangler dev` (the wrangler.toml Worker, its `[build]`, a
 * local D1 migrated with `wrangler d1 migrations apply --local`, the local Queue and its
 * consumer) as a child process on a random loopback port, driven over HTTP from Node.
 * Started directly from node_modules/.bin (not npx) and stopped by its PID, which stops
 * workerd with it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const TOKEN = 'smoke-admin-token-0123456789abcdef';
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** Two addresses in one /24 (one visitor), one in another /24 (a second visitor). */
const CLIENTS = ['203.0.113.77', '203.0.113.78', '198.51.100.9'];
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' };

let dir: string;
let child: ChildProcess | undefined;
let output = '';
let base = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glimt-wrangler-'));
  execFileSync(WRANGLER, ['d1', 'migrations', 'apply', 'glimt', '--local', '--persist-to', dir], {
    cwd: ROOT,
    env,
    stdio: 'pipe',
  });
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const inspector = port + 1;
  child = spawn(
    WRANGLER,
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      dir,
      '--var',
      'GLIMT_SITES:example.com',
      '--var',
      `GLIMT_ADMIN_TOKEN:${TOKEN}`,
      '--show-interactive-dev-session=false',
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 90_000;
  while (!/Ready on http/.test(output)) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output}`);
    await sleep(100);
  }
  base = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('wrangler dev', () => {
  it('serves the tracker script', async () => {
    const response = await fetch(`${base}/t.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('javascript');
    expect(response.headers.get('etag')).toMatch(/^"/);
    expect((await response.text()).length).toBeGreaterThan(100);
  });

  it('serves the dashboard, and logs in against the local D1', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toBeNull();
    expect(await page.text()).toContain('<script defer src="/dashboard.js">');
    expect((await fetch(`${base}/dashboard.js`)).status).toBe(200);
    const login = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^glimt_session=glimt_session_/);
    const sites = await fetch(`${base}/api/sites`, { headers: { cookie } });
    expect(await sites.json()).toEqual([{ domain: 'example.com', timezone: 'UTC' }]);
  });

  it('accepts events (202), reads the client from CF-Connecting-IP, and answers the stats API', async () => {
    for (const ip of CLIENTS) {
      const response = await fetch(`${base}/api/event`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': UA, 'cf-connecting-ip': ip },
        body: JSON.stringify({
          site: 'example.com',
          name: 'pageview',
          url: `https://example.com/p?ip=${ip}`,
        }),
      });
      expect(response.status).toBe(202);
      expect(await response.text()).toBe('');
    }
    const day = new Date().toISOString().slice(0, 10);
    const range = `site=example.com&from=${day}&to=${day}`;
    expect((await fetch(`${base}/api/stats/aggregate?${range}`)).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    // The Queue's consumer commits within its batch timeout (wrangler.toml: 5 s).
    let aggregate: Record<string, number> = {};
    const deadline = Date.now() + 30_000;
    while (aggregate.pageviews !== CLIENTS.length && Date.now() < deadline) {
      await sleep(250);
      aggregate = (await (
        await fetch(`${base}/api/stats/aggregate?${range}`, { headers: auth })
      ).json()) as Record<string, number>;
    }
    expect(aggregate).toMatchObject({ pageviews: 3, visitors: 2, visits: 2 });
    const pages = await (
      await fetch(`${base}/api/stats/breakdown?${range}&by=page`, { headers: auth })
    ).json();
    expect(pages).toMatchObject([{ value: '/p', pageviews: 3 }]);
    const series = await (
      await fetch(`${base}/api/stats/timeseries?${range}&interval=day`, { headers: auth })
    ).json();
    expect(series).toMatchObject([{ time: day, pageviews: 3 }]);
  });

  it('runs the maintenance job on the cron trigger', async () => {
    const response = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('5 * * * *')}`);
    expect(response.status).toBe(200);
    expect(output).not.toMatch(/glimt could not start|error on (GET|POST)|queue: a batch/);
  });

  it('writes no full client address to the local D1 files or the output', () => {
    const files = walk(dir);
    expect(files.some((f) => f.endsWith('.sqlite'))).toBe(true);
    for (const ip of CLIENTS) {
      const raw = Buffer.from(ip.split('.').map(Number));
      for (const file of files) {
        const bytes = readFileSync(file);
        expect(bytes.includes(ip), `${ip} in ${file}`).toBe(false);
        expect(bytes.includes(raw), `${ip} as 4 bytes in ${file}`).toBe(false);
      }
      expect(output.includes(ip), `${ip} in wrangler's output`).toBe(false);
    }
  });
});

function walk(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

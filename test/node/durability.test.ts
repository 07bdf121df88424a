/**
 * Durability of a 202 (CONTRACT.md, "durability" and "Ingest"), against the real `glimt serve`:
 *
 * - SIGKILL under load: every acknowledged event is counted after a restart on the same file.
 * - SIGTERM drains: the process exits 0, every acknowledged event is counted, and every
 *   event it commits while draining is answered.
 * - Overload (`GLIMT_QUEUE_MAX=1`): refusals are 503 + Retry-After + JSON, and the count
 *   of 202s is exactly the count of pageviews stored.
 */
import http from 'node:http';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROME_UA, closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN, getJson, type RunningServer, startServer } from '../support/server.ts';

/** Yesterday to tomorrow (UTC): counts are additive, so a run across midnight still adds up. */
function around(): { from: string; to: string } {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { from: day(-1), to: day(1) };
}

async function pageviews(server: RunningServer): Promise<number> {
  const { from, to } = around();
  const stats = await getJson<{ pageviews: number }>(
    server,
    `/api/stats/aggregate?site=example.com&from=${from}&to=${to}`,
  );
  return stats.pageviews;
}

/** Distinct User-Agents, so that one loopback address still plays many visitors. */
const userAgent = (n: number) => CHROME_UA.replace('Chrome/131.0.0.0', `Chrome/131.0.${n % 20}.0`);

const running: RunningServer[] = [];
async function start(options: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const server = await startServer(options);
  running.push(server);
  return server;
}

afterAll(async () => {
  closeAgents();
  for (const server of running)
    if (server.child.exitCode === null && !server.child.signalCode) await server.kill();
});

describe('durability', () => {
  it('SIGKILL under load: every acknowledged event survives a restart', async () => {
    const TOTAL = 3000;
    const CONCURRENCY = 50;
    const KILL_AFTER = 1500;
    const server = await start();
    const acked: number[] = [];
    const failed: string[] = [];
    let started = 0;
    let killing: Promise<void> | undefined;
    let next = 0;

    const worker = async (w: number) => {
      // Each worker is its own /24 (127.0.w.1); the User-Agent varies per event.
      const localAddress = `127.0.${w + 1}.1`;
      while (next < TOTAL && !killing) {
        const n = next++;
        started++;
        try {
          const response = await postEvent(
            server.url,
            { site: 'example.com', name: 'pageview', url: `https://example.com/p/${n}` },
            { localAddress, userAgent: userAgent(n) },
          );
          if (response.status === 202) acked.push(n);
          else failed.push(`${n}: ${response.status} ${response.body}`);
        } catch (error) {
          failed.push(`${n}: ${(error as Error).message}`);
        }
        if (acked.length >= KILL_AFTER && !killing) killing = server.kill();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    await killing;
    expect(server.child.signalCode).toBe('SIGKILL');
    closeAgents(); // the dead server's keep-alive sockets

    // Before the kill, nothing but 202s; after it, only connection errors.
    expect(failed.filter((line) => /: \d{3} /.test(line))).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);

    const restarted = await start({ dir: server.dir });
    const counted = await pageviews(restarted);
    expect(counted).toBeGreaterThanOrEqual(acked.length);
    expect(counted).toBeLessThanOrEqual(started);
    console.log(`SIGKILL: ${started} sent, ${acked.length} acknowledged, ${counted} counted after restart`);

    // Every acknowledged page is there (the export lists all pages, without a limit).
    const { from, to } = around();
    const response = await fetch(
      `${restarted.url}/api/export?site=example.com&from=${from}&to=${to}&interval=day`,
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    );
    expect(response.status).toBe(200);
    const rows = parse(await response.text(), { columns: true }) as Record<string, string>[];
    const pages = new Map<string, number>();
    for (const row of rows) {
      if (row.dimension === 'page')
        pages.set(row.value ?? '', (pages.get(row.value ?? '') ?? 0) + Number(row.pageviews));
    }
    const missing = acked.filter((n) => (pages.get(`/p/${n}`) ?? 0) < 1);
    expect(missing).toEqual([]);
    for (const count of pages.values()) expect(count).toBe(1);
    expect(await restarted.stop()).toBe(0);
  });

  describe('SIGTERM drains', () => {
    const BURST = 300;
    let exitCode: number | null = null;
    let output = '';
    let acked = 0;
    let counted = 0;
    const outcomes: Record<string, number> = {};

    beforeAll(async () => {
      const server = await start();
      const written: Promise<void>[] = [];
      const answered: Promise<void>[] = [];
      const outcome = (what: string) => {
        outcomes[what] = (outcomes[what] ?? 0) + 1;
      };
      for (let n = 0; n < BURST; n++) {
        const body = JSON.stringify({
          site: 'example.com',
          name: 'pageview',
          url: `https://example.com/t/${n}`,
        });
        const request = http.request({
          host: '127.0.0.1',
          port: server.port,
          path: '/api/event',
          method: 'POST',
          agent: false, // one connection each: truly concurrent
          localAddress: `127.1.${n % 200}.1`,
          headers: {
            'content-type': 'text/plain',
            'content-length': Buffer.byteLength(body),
            'user-agent': CHROME_UA,
          },
        });
        written.push(
          new Promise<void>((resolve) => request.on('finish', resolve).on('error', () => resolve())),
        );
        answered.push(
          new Promise<void>((resolve) => {
            request.on('response', (response) => {
              response.resume();
              response.on('end', () => {
                outcome(String(response.statusCode));
                if (response.statusCode === 202) acked++;
                resolve();
              });
              response.on('error', () => resolve());
            });
            request.on('error', (error) => {
              outcome(error.message);
              resolve();
            });
          }),
        );
        request.end(body);
      }
      await Promise.all(written);
      exitCode = await server.stop(); // SIGTERM as soon as every request is written, not answered
      await Promise.all(answered);
      output = server.output();
      const restarted = await start({ dir: server.dir });
      counted = await pageviews(restarted);
      expect(await restarted.stop()).toBe(0);
      console.log(
        `SIGTERM: ${BURST} sent, answers ${JSON.stringify(outcomes)}, ${counted} counted after restart`,
      );
    });

    it('exits with code 0 after draining', () => {
      expect(exitCode).toBe(0);
      expect(output).toMatch(/SIGTERM: draining \d+ waiting events/);
      expect(output).toContain('stopped cleanly');
    });

    it('answers are 202 (or 503: not taken), never a 500', () => {
      expect(Object.keys(outcomes).filter((o) => /^\d{3}$/.test(o) && o !== '202' && o !== '503')).toEqual(
        [],
      );
    });

    it('every acknowledged event is counted after restart', () => {
      expect(counted).toBeGreaterThanOrEqual(acked);
      expect(counted).toBeLessThanOrEqual(BURST);
    });

    // Regression: the drain used to commit the waiting events and exit before writing their 202s,
    // so clients saw "socket hang up" for stored events (and a retrying client counted them twice).
    it('answers every event it commits (no committed event is answered with a dropped connection)', () => {
      expect(counted, `committed ${counted}, acknowledged ${acked}: ${JSON.stringify(outcomes)}`).toBe(acked);
    });
  });

  it('overload: refusals are 503 with Retry-After and JSON; 202s equal the pageviews counted', async () => {
    const server = await start({ env: { GLIMT_QUEUE_MAX: '1' } });
    const TOTAL = 600;
    const CONCURRENCY = 120;
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let next = 0;
    const worker = async (w: number) => {
      const localAddress = `127.2.${w + 1}.1`;
      while (next < TOTAL) {
        const n = next++;
        const response = await postEvent(
          server.url,
          { site: 'example.com', name: 'pageview', url: `https://example.com/o/${n}` },
          { localAddress, userAgent: userAgent(n) },
        );
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 202) {
          if (response.body !== '') bad.push(`${n}: 202 with a body`);
          continue;
        }
        if (response.status !== 503) bad.push(`${n}: ${response.status} ${response.body}`);
        if (!/^\d+$/.test(String(response.headers['retry-after']))) bad.push(`${n}: no Retry-After`);
        if (!/application\/json/.test(String(response.headers['content-type']))) bad.push(`${n}: not JSON`);
        let error: unknown;
        try {
          error = (JSON.parse(response.body) as { error?: unknown }).error;
        } catch {
          error = `not JSON: ${response.body}`;
        }
        if (typeof error !== 'string' || !/overloaded|retry/i.test(error)) bad.push(`${n}: error ${error}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    expect(bad).toEqual([]);
    expect([...statuses.keys()].every((status) => status === 202 || status === 503)).toBe(true);
    const accepted = statuses.get(202) ?? 0;
    expect(accepted).toBeGreaterThan(0);
    expect(await pageviews(server)).toBe(accepted);
    console.log(`overload: ${accepted} × 202, ${statuses.get(503) ?? 0} × 503 of ${TOTAL}`);
    expect(await server.stop()).toBe(0);
  });
});

/**
 * A smoke run of the bench code: a few hundred events through every driver mode against
 * the real server, each with its loss check, plus the seeder, the pipeline bench and the
 * report. No timings are asserted: a bench is not a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, type Load } from './lib/drive.ts';
import { checkLoss, diff, snapshot } from './lib/loss.ts';
import { pipelineBench } from './lib/pipeline-bench.ts';
import { type BenchResults, budgets, markdown, type Round, svgChart } from './lib/report.ts';
import { seed } from './lib/seed.ts';
import { type Child, removeDir, startCeiling, startGlimt } from './lib/servers.ts';
import { LatencyLog } from './lib/stats.ts';
import { ipFor, TrafficStream } from './workload.ts';

describe('p99 over every arrival', () => {
  it('counts a dropped arrival as slower than any answer', () => {
    const log = new LatencyLog();
    for (let ms = 1; ms <= 1000; ms++) log.add(ms); // 1 … 1000 ms
    expect(log.p99WithMissed(0)).toBe(990);
    // 5 of 1005 arrivals dropped: 5 of the 10 slowest places are theirs.
    expect(log.p99WithMissed(5)).toBe(995);
    expect(log.p99WithMissed(11)).toBe(Number.POSITIVE_INFINITY); // more than 1 % dropped
  });
});

describe('workload', () => {
  it('is deterministic, realistic in shape, and spreads visitors over /24s', () => {
    const a = new TrafficStream({ seed: 5 });
    const b = new TrafficStream({ seed: 5 });
    const requests = Array.from({ length: 3000 }, () => a.next());
    expect(requests.map((r) => r.body)).toEqual(Array.from({ length: 3000 }, () => b.next().body));
    const classes = new Set(requests.map((r) => r.cls));
    for (const cls of ['pageview', 'engagement', 'custom', 'bot', 'gpc', 'dnt'])
      expect(classes).toContain(cls);
    expect(new Set(requests.map((r) => r.site)).size).toBe(5);
    const nets = new Set(requests.map((r) => r.ip.split('.').slice(0, 3).join('.')));
    expect(nets.size).toBeGreaterThan(600);
    let repeats = 0;
    for (let i = 1; i < requests.length; i++) if (requests[i]?.ip === requests[i - 1]?.ip) repeats++;
    expect(repeats).toBeLessThan(30); // successive requests come from other visitors
    expect(
      new Set(Array.from({ length: 5000 }, (_, i) => ipFor(i).split('.').slice(0, 3).join('.'))).size,
    ).toBe(5000);
    const single = new TrafficStream({ seed: 5, singleVisitor: true });
    expect(new Set(Array.from({ length: 200 }, () => single.next().ip)).size).toBe(1);
  });
});

describe('load driver and loss check against the real server', () => {
  let glimt: Child;
  let ceiling: Child;
  beforeAll(async () => {
    const sites = new TrafficStream().sites;
    [glimt, ceiling] = await Promise.all([startGlimt({ sites }), startCeiling()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([glimt?.stop(), ceiling?.stop()]);
    if (glimt) removeDir(glimt.dir);
    if (ceiling) removeDir(ceiling.dir);
  });

  const run = async (server: Child, stream: TrafficStream, load: Load) => {
    const before = await snapshot(server.origin, server.db, stream.sites);
    const result = await drive({ origin: server.origin, connections: 8, load, next: () => stream.next() });
    const after = await snapshot(server.origin, server.db, stream.sites);
    return { result, check: checkLoss(result.sent, result.acked, diff(after, before)) };
  };

  it('closed loop: sent = acknowledged = counted', async () => {
    const { result, check } = await run(glimt, new TrafficStream({ seed: 21 }), {
      kind: 'closed',
      seconds: 20,
      max: 400,
    });
    expect(result.sent).toBe(400);
    expect(check.problems).toEqual([]);
    expect(check).toMatchObject({ sent: 400, acked: 400, counted: 400, lostAfterAck: 0, ok: true });
    expect(check.byClass.pageview.counted).toBeGreaterThan(100);
    expect(check.byClass.engagement.counted).toBeGreaterThan(50);
    // The CPU split by thread sees the event loop and the count thread (at a lower priority), and adds up.
    const usage = glimt.usage();
    expect(usage?.threads.mainMs).toBeGreaterThan(0);
    expect(usage?.threads.sideMs).toBeGreaterThan(0);
    const { mainMs = 0, sideMs = 0, otherMs = 0 } = usage?.threads ?? {};
    expect(mainMs + sideMs + otherMs).toBeCloseTo(usage?.cpuMs ?? -1, 6);
  }, 30_000);

  it('open model at a fixed rate, and the single-visitor contrast', async () => {
    const open = await run(glimt, new TrafficStream({ seed: 22 }), {
      kind: 'open',
      stages: [{ name: '200/s', seconds: 1, rate: 200 }],
    });
    expect(open.result.sent + (open.result.stages[0]?.dropped ?? 0)).toBe(200);
    expect(open.check.ok).toBe(true);
    const single = await run(glimt, new TrafficStream({ seed: 23, singleVisitor: true }), {
      kind: 'closed',
      seconds: 20,
      max: 150,
    });
    expect(single.check).toMatchObject({ sent: 150, acked: 150, counted: 150, ok: true });
  }, 30_000);

  it('the loss check notices events that were acknowledged but not counted', () => {
    const acked = new Map([['a.example', { pageview: 3, custom: 1, engagement: 0, bot: 0, gpc: 0, dnt: 0 }]]);
    const counted = {
      pageview: 2,
      custom: 1,
      engaged: 0,
      bot: 0,
      gpc: 0,
      dnt: 0,
      no_visit: 0,
      other_drops: 0,
    };
    const check = checkLoss(4, acked, counted);
    expect(check.ok).toBe(false);
    expect(check.lostAfterAck).toBe(1);
  });

  it('drives the bare-Hono ceiling the same way', async () => {
    const stream = new TrafficStream({ seed: 24 });
    const result = await drive({
      origin: ceiling.origin,
      connections: 8,
      load: { kind: 'closed', seconds: 20, max: 200 },
      next: () => stream.next(),
    });
    expect(result).toMatchObject({ sent: 200, ackedTotal: 200, lost: 0 });
    expect(result.stages[0]?.status).toEqual({ 204: 200 });
  }, 30_000);
});

describe('in-process: seed, pipeline bench, report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimt-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('seeds history through the real pipeline, day by day', async () => {
    const db = join(dir, 'seed.db');
    const result = await seed({ db, site: 'seed.example', days: 3, pageviews: 300, end: '2026-01-10' });
    expect(result).toMatchObject({ from: '2026-01-08', to: '2026-01-10', days: 3 });
    const conn = new Database(db, { readonly: true });
    const stored = conn
      .prepare('SELECT SUM(pageviews) AS pv, COUNT(DISTINCT time) AS days FROM rollup_day WHERE dim = 0')
      .get() as { pv: number; days: number };
    const visitors = conn.prepare('SELECT COUNT(*) FROM visitor').pluck().get();
    conn.close();
    expect(stored.pv).toBe(result.pageviews);
    expect(stored.days).toBe(3);
    expect(visitors).toBe(0); // the last midnight's maintenance destroyed the states
  }, 30_000);

  it('runs the pipeline bench and its raw-insert ceiling', async () => {
    const p = await pipelineBench(600, { warmup: 200, walBatches: [10] });
    expect(p.events).toBe(600);
    for (const rate of [p.glimtPerS, p.pipelinePerS, p.commitPerS, p.rawInsertPerS])
      expect(rate).toBeGreaterThan(0);
    expect(p.storage.rawBytes).toBeGreaterThan(0);
    expect(p.storage.rollupBytes).toBeGreaterThan(0);
    expect(p.wal[0]?.pagesPerCommit).toBeGreaterThan(0);
  }, 30_000);

  const stage = {
    name: '5k',
    offered: 5000,
    seconds: 1,
    sent: 10,
    acked: 10,
    status: { 202: 10 },
    lost: 0,
    dropped: 0,
    throughput: 10,
    latency: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1.5 },
    p99Arrivals: 3,
  };
  const results: BenchResults = {
    schema: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    seconds: 1,
    mode: 'smoke',
    profiled: false,
    machine: {
      cpus: 'cpu',
      cores: 2,
      memoryGb: 1,
      node: '20',
      os: 'linux',
      loadavg: { start: [0], end: [0] },
    },
    driver: 'autocannon',
    saturation: { rounds: [], ceiling: 100, glimt: 70, ratio: 0.7 },
    ramp: { glimt: [stage], ceiling: [stage] },
    loss: [],
    targets: [{ name: 'x', target: 'y', measured: 'z', pass: true }],
    notes: [],
  };

  it('writes a report and a chart', () => {
    expect(markdown(results)).toContain('70% of the ceiling');
    expect(svgChart(results)).toMatch(/^<svg[\s\S]*Glimt p99[\s\S]*<\/svg>\n$/);
  });

  it('says what CPU per event the throughput targets leave, from the run', () => {
    const round = (
      target: Round['target'],
      throughput: number,
      cpu: number,
      generatorCores: number,
    ): Round => ({
      target,
      name: target,
      stage: { ...stage, throughput },
      cpuPerEventUs: cpu,
      threadsPerEventUs: { eventLoop: 73, side: 30, other: 2 },
      serverCores: 1,
      generatorCores,
    });
    const withRuns: BenchResults = {
      ...results,
      saturation: {
        rounds: [round('ceiling', 50_000, 18, 1), round('glimt', 14_000, 105, 0.4)],
        ceiling: 50_000,
        glimt: 14_000,
        ratio: 0.28,
      },
      pipeline: {
        events: 1,
        pageviews: 1,
        glimtPerS: 25_000,
        pipelinePerS: 80_000,
        commitPerS: 40_000,
        rawInsertPerS: 300_000,
        storage: {
          events: 1,
          pageviews: 1,
          rollupBytes: 1,
          visitGrainBytes: 1,
          rawBytes: 1,
          visitorBytes: 1,
        },
        wal: [],
      },
    };
    const lines = budgets(withRuns).join('\n');
    // 60 % of 50k is 30k/s: one core is 33 µs per event; 2 cores less the generator's
    // 20 µs per request (0.6 of a core at 30k/s) is 1.4 cores, 47 µs per event.
    expect(lines).toContain('30,000 events/s');
    expect(lines).toContain('at most **33 µs** per event');
    expect(lines).toContain('at most **47 µs**');
    expect(lines).toContain('the event loop **73 µs**');
    expect(lines).toContain('2.2× its budget, all threads 2.3× theirs');
    expect(lines).toContain('is 5.0 µs per event');
    expect(lines).toContain('keyed hash) 13 µs');
    expect(markdown(withRuns)).toContain('What the throughput targets leave per event');
  });
});

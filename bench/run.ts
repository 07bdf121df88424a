/**
 * @module `npm run bench`: the hot ingest path under load, side by side with its ceilings.
 *
 *   npm run bench                   the default run (≲ 3 min): items 1–6 of bench/README.md
 *   npm run bench -- --soak         2 minutes at 5k events/s: RSS and its drift, p99, loss
 *   npm run bench -- --profile      the same, with `node --cpu-prof` on the servers: where the time goes
 *   npm run bench -- --seed-year    seed (once) and cache the 5M-pageview year for the query benchmark
 *   npm run bench -- --only ingest,pipeline,queries
 *   npm run bench -- --only workers  Glimt's Worker vs a bare Worker under wrangler dev (workers.{json,md})
 *   npm run bench -- --glimt-root ../other-checkout   Glimt from another tree (A/B a change)
 *
 * Writes bench/results/latest.{json,md,svg} (soak: soak.{json,md}). Loopback only; every
 * loop is bounded in count and time; the servers are child processes it stops itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  autocannonVersion,
  type DriveResult,
  drive,
  type Load,
  type Stage,
  type StageResult,
} from './lib/drive.ts';
import { checkLoss, checkLossBound, diff, snapshot } from './lib/loss.ts';
import type { PipelineResult } from './lib/pipeline-bench.ts';
import { formatProfile, mainProfile, summariseProfile } from './lib/profile.ts';
import { runQueries, yearQueries } from './lib/queries.ts';
import {
  type BenchResults,
  markdown,
  type Round,
  svgChart,
  type Target,
  type ThreadSplit,
} from './lib/report.ts';
import {
  type Child,
  ROOT,
  RssSampler,
  removeDir,
  startCeiling,
  startGlimt,
  type Usage,
} from './lib/servers.ts';
import { median, round } from './lib/stats.ts';
import { workersBench, writeWorkers } from './lib/workers.ts';
import { driveWrk, wrkVersion } from './lib/wrk.ts';
import { cachedYears, copyYear, seedYear, type YearMeta } from './lib/year.ts';
import { TrafficStream } from './workload.ts';

const USAGE = `usage: npm run bench [-- options]
  (none)               the default run (about 3 min): ceiling, ingest, ramp, spike, pipeline, storage, queries
  --soak               2 minutes at 5k events/s: RSS and its drift, p99, loss check (writes soak.json/.md)
  --soak-minutes N     a longer (or shorter) soak, at most 60
  --profile            run the servers under node --cpu-prof and report where the time goes
  --seed-year          seed the 5M-pageview year for the query benchmark once (cached in bench/results/cache)
  --year-pageviews N   size of that year (default 5000000)
  --only LIST          ingest,pipeline,queries (default: all three), workers (not by default:
                       Glimt's Worker vs a bare Worker under wrangler dev, about 2.5 min; writes workers.{json,md})
  --glimt-root DIR     run Glimt from another checkout (A/B a change)
  --driver wrk         saturation rounds with wrk (when installed); open-model scenarios stay on autocannon`;

const RESULTS = join(ROOT, 'bench/results');
const SATURATION_CONNECTIONS = 50;
const OPEN_CONNECTIONS = 100;
const FULL_YEAR = 5_000_000;
const SCALED_YEAR = 250_000;

/** The ramp: constant-arrival-rate stages, the fixed rates of the targets among them. */
export const RAMP: Stage[] = [
  { name: 'warm-up', seconds: 2, rate: 1000, warmup: true },
  { name: '1k', seconds: 4, rate: 1000 },
  { name: '2.5k', seconds: 3, rate: 2500 },
  { name: '5k', seconds: 5, rate: 5000 },
  { name: '7.5k', seconds: 3, rate: 7500 },
  { name: '10k', seconds: 4, rate: 10_000 },
  { name: '15k', seconds: 3, rate: 15_000 },
  { name: '20k', seconds: 3, rate: 20_000 },
];

/** A spike: 1k/s, ten times that for 4 s, and back. */
export const SPIKE: Stage[] = [
  { name: 'before', seconds: 3, rate: 1000 },
  { name: 'spike 10k', seconds: 4, rate: 10_000 },
  { name: 'after', seconds: 4, rate: 1000 },
];

/** After the soak: 30 s offered at twice what Glimt acknowledges at saturation here. */
export const OVERLOAD: Stage = { name: 'overload 20k', seconds: 30, rate: 20_000 };

/** The soak at 5k/s: a warm-up, then 10-second stages (`minutes` × 6 of them; 2 minutes by default). */
export function soakStages(minutes = 2): Stage[] {
  return [
    { name: 'warm-up', seconds: 5, rate: 2000, warmup: true },
    ...Array.from({ length: Math.round(minutes * 6) }, (_, i) => ({
      name: `${(i + 1) * 10}s`,
      seconds: 10,
      rate: 5000,
    })),
  ];
}

// ---------------------------------------------------------------------------

class Progress {
  readonly #t0 = performance.now();
  readonly #tty = Boolean(process.stderr.isTTY);
  #last = 0;
  #section = '';
  section(name: string) {
    this.#section = name;
    this.line('starting');
  }
  line(text: string) {
    const now = performance.now();
    if (!this.#tty && now - this.#last < 3000) return;
    this.#last = now;
    const elapsed = (now - this.#t0) / 1000;
    const stamp = `${String(Math.floor(elapsed / 60)).padStart(2, '0')}:${String(Math.floor(elapsed % 60)).padStart(2, '0')}`;
    const line = `[${stamp}] ${this.#section}: ${text}`;
    if (this.#tty) process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K`);
    else console.error(line);
  }
  log(text: string) {
    if (this.#tty) process.stderr.write('\r\x1b[K');
    console.error(text);
    this.#last = 0;
  }
  get seconds() {
    return (performance.now() - this.#t0) / 1000;
  }
}

interface Measured {
  result: DriveResult;
  /** The first (for closed loops: the only) stage. */
  stage: StageResult;
  cpuPerEventUs: number;
  /** The same by thread (`Usage.threads`), µs per acknowledged event. */
  threadsPerEventUs: ThreadSplit;
  serverCores: number;
  generatorCores: number;
}

/** Server CPU between two readings, by thread, µs per acknowledged event. */
function threadsPerEvent(u0: Usage | undefined, u1: Usage | undefined, acked: number): ThreadSplit {
  if (!u0 || !u1 || acked === 0) return { eventLoop: 0, side: 0, other: 0 };
  const per = (ms: number) => (ms * 1000) / acked;
  return {
    eventLoop: per(u1.threads.mainMs - u0.threads.mainMs),
    side: per(u1.threads.sideMs - u0.threads.sideMs),
    other: per(u1.threads.otherMs - u0.threads.otherMs),
  };
}

/** One load against one server: its CPU, the generator's CPU, and (for Glimt) the loss check. */
async function measure(
  results: BenchResults,
  progress: Progress,
  server: Child,
  scenario: string,
  load: Load,
  stream: TrafficStream,
  connections: number,
): Promise<Measured> {
  const glimt = server.name === 'glimt';
  const before = glimt ? await snapshot(server.origin, server.db, stream.sites) : undefined;
  const u0 = server.usage();
  const g0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await drive({
    origin: server.origin,
    connections,
    load,
    next: () => stream.next(),
    progress: (line) => progress.line(`${scenario}: ${line}`),
  });
  const wallMs = performance.now() - t0;
  const g1 = process.cpuUsage(g0);
  const u1 = server.usage();
  const serverCpuMs = u0 && u1 ? u1.cpuMs - u0.cpuMs : 0;
  if (before) {
    const after = await snapshot(server.origin, server.db, stream.sites);
    const rejected = result.stages.reduce((s, st) => s + st.sent - st.acked - st.lost, 0);
    const check = checkLoss(result.sent, result.acked, diff(after, before), {
      rejected,
      unanswered: result.lost,
    });
    results.loss.push({ scenario, check });
    if (!check.ok) progress.log(`LOSS CHECK ${scenario}: ${check.problems.join('; ')}`);
  }
  return {
    result,
    stage: result.stages[0] as StageResult,
    cpuPerEventUs: result.ackedTotal > 0 ? (serverCpuMs * 1000) / result.ackedTotal : 0,
    threadsPerEventUs: threadsPerEvent(u0, u1, result.ackedTotal),
    serverCores: serverCpuMs / wallMs,
    generatorCores: (g1.user + g1.system) / 1000 / wallMs,
  };
}

/** A closed-loop round driven by wrk: the same stream, pre-generated; the loss check is a bound. */
async function measureWrk(
  results: BenchResults,
  progress: Progress,
  server: Child,
  scenario: string,
  seconds: number,
  stream: TrafficStream,
  connections: number,
): Promise<Measured> {
  const requests = Array.from({ length: 60_000 }, () => stream.next());
  const glimt = server.name === 'glimt';
  const before = glimt ? await snapshot(server.origin, server.db, stream.sites) : undefined;
  const u0 = server.usage();
  progress.line(`${scenario}: wrk, ${seconds} s`);
  const t0 = performance.now();
  const { stage, sentWithInFlight } = await driveWrk({
    origin: server.origin,
    connections,
    seconds,
    requests,
    name: scenario,
  });
  const wallMs = performance.now() - t0;
  const u1 = server.usage();
  const serverCpuMs = u0 && u1 ? u1.cpuMs - u0.cpuMs : 0;
  if (before) {
    const after = await snapshot(server.origin, server.db, stream.sites);
    const refused = (stage.status.other ?? 0) as number;
    const check = checkLossBound(sentWithInFlight, stage.acked, refused, diff(after, before));
    results.loss.push({ scenario: `${scenario} (wrk: bound)`, check });
    if (!check.ok) progress.log(`LOSS CHECK ${scenario}: ${check.problems.join('; ')}`);
  }
  const result: DriveResult = {
    stages: [stage],
    acked: new Map(),
    sent: stage.sent,
    ackedTotal: stage.acked,
    lost: stage.lost,
    seconds: stage.seconds,
  };
  return {
    result,
    stage,
    cpuPerEventUs: stage.acked > 0 ? (serverCpuMs * 1000) / stage.acked : 0,
    threadsPerEventUs: threadsPerEvent(u0, u1, stage.acked),
    serverCores: serverCpuMs / wallMs,
    generatorCores: Number.NaN,
  };
}

function toRound(target: Round['target'], name: string, m: Measured): Round {
  return {
    target,
    name,
    stage: m.stage,
    cpuPerEventUs: round(m.cpuPerEventUs, 1),
    threadsPerEventUs: {
      eventLoop: round(m.threadsPerEventUs.eventLoop, 1),
      side: round(m.threadsPerEventUs.side, 1),
      other: round(m.threadsPerEventUs.other, 1),
    },
    serverCores: round(m.serverCores),
    generatorCores: round(m.generatorCores),
  };
}

interface IngestOptions {
  profileDir?: string;
  root?: string;
  driver: 'autocannon' | 'wrk';
}

async function ingest(results: BenchResults, progress: Progress, options: IngestOptions) {
  const stream = new TrafficStream({ seed: 1 });
  const single = new TrafficStream({ seed: 2, singleVisitor: true, visitorBase: 9_000_000 });
  progress.section('ingest');
  const [ceiling, glimt] = await Promise.all([
    startCeiling(options.profileDir ? { cpuProfDir: join(options.profileDir, 'ceiling') } : {}),
    startGlimt({
      sites: stream.sites,
      ...(options.profileDir ? { cpuProfDir: join(options.profileDir, 'glimt') } : {}),
      ...(options.root ? { root: options.root } : {}),
    }),
  ]);
  const idleRss = glimt.usage()?.rssBytes ?? 0;
  const closed = (seconds: number): Load => ({ kind: 'closed', seconds });
  const saturate = (server: Child, scenario: string, seconds: number, s: TrafficStream) =>
    options.driver === 'wrk'
      ? measureWrk(results, progress, server, scenario, seconds, s, SATURATION_CONNECTIONS)
      : measure(results, progress, server, scenario, closed(seconds), s, SATURATION_CONNECTIONS);
  try {
    // JIT warm-up for both, then saturation rounds, alternating so that noise hits both.
    await measure(results, progress, ceiling, 'ceiling warm-up', closed(2), stream, SATURATION_CONNECTIONS);
    await measure(results, progress, glimt, 'warm-up', closed(3), stream, SATURATION_CONNECTIONS);
    const rounds: Round[] = [];
    for (let i = 1; i <= 2; i++) {
      const c = await saturate(ceiling, `ceiling #${i}`, 5, stream);
      rounds.push(toRound('ceiling', `ceiling (bare Hono) #${i}`, c));
      const g = await saturate(glimt, `saturation #${i}`, 5, stream);
      rounds.push(toRound('glimt', `Glimt #${i}`, g));
    }
    const s = await saturate(glimt, 'single visitor', 5, single);
    const ceilingSat = median(rounds.filter((r) => r.target === 'ceiling').map((r) => r.stage.throughput));
    const glimtSat = median(rounds.filter((r) => r.target === 'glimt').map((r) => r.stage.throughput));
    results.saturation = {
      rounds,
      ceiling: round(ceilingSat, 0),
      glimt: round(glimtSat, 0),
      ratio: round(glimtSat / ceilingSat, 3),
      singleVisitor: toRound('glimt', 'Glimt, single visitor (contrast)', s),
    };
    progress.log(
      `saturation: Glimt ${Math.round(glimtSat)}/s, ceiling ${Math.round(ceilingSat)}/s (${((glimtSat / ceilingSat) * 100).toFixed(0)}%)`,
    );

    const gr = await measure(
      results,
      progress,
      glimt,
      'ramp',
      { kind: 'open', stages: RAMP },
      stream,
      OPEN_CONNECTIONS,
    );
    const cr = await measure(
      results,
      progress,
      ceiling,
      'ceiling ramp',
      { kind: 'open', stages: RAMP },
      stream,
      OPEN_CONNECTIONS,
    );
    results.ramp = { glimt: gr.result.stages, ceiling: cr.result.stages };
    const sp = await measure(
      results,
      progress,
      glimt,
      'spike',
      { kind: 'open', stages: SPIKE },
      stream,
      OPEN_CONNECTIONS,
    );
    results.spike = sp.result.stages;
    const usage = glimt.usage();
    const glimtRounds = rounds.filter((r) => r.target === 'glimt');
    results.glimtProcess = {
      idleRss,
      peakRss: usage?.peakRssBytes ?? 0,
      cpuPerEventUs: round(median(glimtRounds.map((r) => r.cpuPerEventUs)), 1),
    };
  } finally {
    await Promise.all([glimt.stop(), ceiling.stop()]);
    removeDir(glimt.dir);
    removeDir(ceiling.dir);
  }
}

async function soak(
  results: BenchResults,
  progress: Progress,
  options: { profileDir?: string; root?: string; minutes?: number },
) {
  const stages = soakStages(options.minutes);
  const stream = new TrafficStream({ seed: 3 });
  progress.section('soak');
  const glimt = await startGlimt({
    sites: stream.sites,
    ...(options.profileDir ? { cpuProfDir: join(options.profileDir, 'glimt') } : {}),
    ...(options.root ? { root: options.root } : {}),
  });
  try {
    const sampler = new RssSampler(glimt.pid, 1000);
    const m = await measure(
      results,
      progress,
      glimt,
      'soak 5k/s',
      { kind: 'open', stages },
      stream,
      OPEN_CONNECTIONS,
    );
    const rss = sampler.stop();
    // Drift: least-squares slope of RSS over the second half of the soak, MB per minute.
    const end = sampler.samples[sampler.samples.length - 1]?.t ?? 0;
    const half = sampler.samples.filter((s) => s.t >= end / 2 + (stages[0]?.seconds ?? 0) / 2);
    const n = half.length;
    const mx = half.reduce((a, s) => a + s.t, 0) / Math.max(1, n);
    const my = half.reduce((a, s) => a + s.rss, 0) / Math.max(1, n);
    const slope =
      half.reduce((a, s) => a + (s.t - mx) * (s.rss - my), 0) /
      Math.max(
        1e-9,
        half.reduce((a, s) => a + (s.t - mx) ** 2, 0),
      );
    results.soak = {
      stages: m.result.stages,
      rss: sampler.samples.map((s) => ({ t: round(s.t, 1), rss: s.rss })),
      peakRss: Math.max(rss.peak, glimt.usage()?.peakRssBytes ?? 0),
      driftMbPerMin: round((slope * 60) / 1e6, 2),
    };
    results.glimtProcess = { peakRss: results.soak.peakRss, cpuPerEventUs: round(m.cpuPerEventUs, 1) };

    // Then overload: offered well past saturation, so that what Glimt holds for counting, and
    // its refusals (503 once 100k acknowledged events are uncounted), show in its memory.
    progress.section('overload');
    const overloadSampler = new RssSampler(glimt.pid, 500);
    const o = await measure(
      results,
      progress,
      glimt,
      `overload ${OVERLOAD.rate / 1000}k/s`,
      { kind: 'open', stages: [OVERLOAD] },
      stream,
      OPEN_CONNECTIONS,
    );
    results.soak.overload = { stage: o.stage, peakRss: overloadSampler.stop().peak };
  } finally {
    await glimt.stop();
    removeDir(glimt.dir);
  }
}

async function pipeline(results: BenchResults, progress: Progress, profileDir?: string) {
  progress.section('pipeline');
  progress.line('100,000 events in-process, then the raw insert ceiling');
  const args = ['--import', 'tsx'];
  if (profileDir) args.push('--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'pipeline')}`);
  args.push(join(ROOT, 'bench/lib/pipeline-bench.ts'), '100000');
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`pipeline bench exited ${code}`));
    });
  });
  const p = JSON.parse(output.trim().split('\n').pop() as string) as PipelineResult;
  results.pipeline = p;
  results.storage = {
    burst: {
      pageviews: p.storage.pageviews,
      rollupBytes: p.storage.rollupBytes,
      visitGrainBytes: p.storage.visitGrainBytes,
      rawBytes: p.storage.rawBytes,
      visitorBytes: p.storage.visitorBytes,
    },
  };
  progress.log(
    `pipeline: Glimt ${Math.round(p.glimtPerS)}/s in-process, raw insert ${Math.round(p.rawInsertPerS)}/s`,
  );
}

async function queries(
  results: BenchResults,
  progress: Progress,
  options: { seedYear: boolean; yearPageviews: number },
) {
  progress.section('queries');
  let year: YearMeta | undefined;
  const seedProgress = (done: number, total: number, day: string) =>
    progress.line(`seeding ${done}/${total} pageviews (${day})`);
  if (options.seedYear) year = await seedYear(options.yearPageviews, seedProgress);
  year ??= cachedYears().find((y) => y.pageviews >= options.yearPageviews) ?? cachedYears()[0];
  if (!year) {
    progress.log(
      `no cached year: seeding a scaled-down year (${SCALED_YEAR} pageviews) into bench/results/cache`,
    );
    year = await seedYear(SCALED_YEAR, seedProgress);
  }
  const dir = mkdtempSync(join(tmpdir(), 'glimt-year-'));
  const glimt = await startGlimt({ sites: [year.site], db: copyYear(year, dir) });
  try {
    const list = yearQueries(year.site, year.from, year.to);
    const res = await runQueries(glimt.origin, list, {
      samples: 100,
      maxSeconds: 6,
      progress: (line) => progress.line(line),
    });
    results.queries = {
      site: year.site,
      from: year.from,
      to: year.to,
      pageviews: year.pageviews,
      scaled:
        year.pageviews < FULL_YEAR
          ? `${year.pageviews.toLocaleString('en-US')} pageviews instead of about 5M: \`npm run bench -- --seed-year\` seeds the full year once (several minutes) and later runs reuse it.`
          : null,
      results: res,
    };
    if (results.storage) {
      results.storage.year = {
        pageviews: year.pageviews,
        rollupBytes: year.rollupBytes,
        visitGrainBytes: year.visitGrainBytes,
        fileBytes: year.bytes,
      };
    }
  } finally {
    await glimt.stop();
    removeDir(glimt.dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Which code was measured: the commit, and whether collector/ had uncommitted changes. */
function codeUnderTest(root: string): string {
  const git = (...args: string[]) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return `Code under test: ${root} (not a git checkout).`;
  const dirty = git('status', '--porcelain', '--', 'collector')
    .stdout.split('\n')
    .filter((line) => line.trim() !== '').length;
  return `Code under test: commit ${head.stdout.trim()}${dirty ? `, with ${dirty} uncommitted change(s) in collector/` : ''}.`;
}

function targets(r: BenchResults): Target[] {
  const t: Target[] = [];
  const s = r.saturation;
  if (s) {
    t.push({
      name: 'Glimt ingest vs bare-Hono ceiling',
      target: '≥ 60%',
      measured: `${(s.ratio * 100).toFixed(0)}% (${Math.round(s.glimt)} vs ${Math.round(s.ceiling)} /s)`,
      pass: s.ratio >= 0.6,
    });
  }
  // The ramp's 5k stage, or every stage of the soak (the worst of them).
  const at5k = r.ramp ? r.ramp.glimt.filter((st) => st.offered === 5000) : (r.soak?.stages ?? []);
  if (at5k.length > 0) {
    const errors = at5k.reduce((n, st) => n + st.sent - st.acked, 0);
    const dropped = at5k.reduce((n, st) => n + st.dropped, 0);
    const arrivals = at5k.reduce((n, st) => n + st.sent + st.dropped, 0);
    const p99 = Math.max(...at5k.map((st) => st.latency.p99));
    // A dropped arrival found all connections busy (a stall): it counts as slower than any answer.
    const p99Arrivals = Math.max(...at5k.map((st) => st.p99Arrivals));
    const seconds = at5k.reduce((n, st) => n + st.seconds, 0);
    const acked = at5k.reduce((n, st) => n + st.acked, 0);
    t.push({
      name: 'p99 at 5k events/s, zero errors',
      target: '≤ 10 ms over every arrival (a dropped one counts as slower than any answer), 0 errors',
      measured: `p99 ${p99} ms of answers, ${p99Arrivals} ms of arrivals (${dropped} of ${arrivals} dropped)${at5k.length > 1 ? ', worst 10 s stage' : ''}; ${errors} errors; ${Math.round(acked / seconds)}/s acked`,
      pass: p99Arrivals <= 10 && errors === 0,
    });
  }
  if (r.loss.length > 0) {
    const lost = r.loss.reduce((a, l) => a + l.check.lostAfterAck, 0);
    const bad = r.loss.filter((l) => !l.check.ok).map((l) => l.scenario);
    t.push({
      name: 'acknowledged but lost',
      target: '0, in every scenario',
      measured: `${lost}${bad.length ? ` (problems in: ${bad.join(', ')})` : ''}`,
      pass: bad.length === 0,
    });
  }
  if (r.pipeline) {
    t.push({
      name: 'in-process pipeline',
      target: '≥ 200,000 events/s',
      measured: `${Math.round(r.pipeline.glimtPerS).toLocaleString('en-US')} events/s`,
      pass: r.pipeline.glimtPerS >= 200_000,
    });
  }
  if (r.soak) {
    t.push({
      name: `RSS through a ${r.soak.stages.reduce((sum, st) => sum + st.seconds, 0) / 60}-minute soak at 5k/s`,
      target: '≤ 200 MB, no upward drift',
      measured: `peak ${(r.soak.peakRss / 1e6).toFixed(0)} MB, drift ${r.soak.driftMbPerMin} MB/min`,
      pass: r.soak.peakRss <= 200e6 && r.soak.driftMbPerMin < 1,
    });
  } else if (r.glimtProcess) {
    t.push({
      name: 'Glimt RSS (this run; the soak is `--soak`)',
      target: '≤ 200 MB',
      measured: `peak ${(r.glimtProcess.peakRss / 1e6).toFixed(0)} MB`,
      pass: r.glimtProcess.peakRss <= 200e6,
    });
  }
  if (r.queries) {
    // The issue's four (aggregate, timeseries, breakdown by page and by source); filtered
    // views are reported beside them, without a target.
    const worst = Math.max(...r.queries.results.filter((q) => !q.filtered).map((q) => q.latency.p99));
    t.push({
      name: `year-of-data queries${r.queries.scaled ? ' (scaled-down year)' : ''}, unfiltered`,
      target: '≤ 50 ms p99',
      measured: `worst p99 ${worst} ms`,
      pass: worst <= 50,
    });
  }
  return t;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      soak: { type: 'boolean', default: false },
      'soak-minutes': { type: 'string', default: '2' },
      profile: { type: 'boolean', default: false },
      'seed-year': { type: 'boolean', default: false },
      'year-pageviews': { type: 'string' },
      only: { type: 'string' },
      'glimt-root': { type: 'string' },
      driver: { type: 'string', default: 'autocannon' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const driver = values.driver === 'wrk' ? 'wrk' : 'autocannon';
  if (values.driver !== driver) throw new Error(`--driver ${values.driver}: autocannon or wrk`);
  const wrk = wrkVersion();
  if (driver === 'wrk' && !wrk)
    throw new Error('--driver wrk: wrk is not installed (apt-get install -y wrk)');
  const only = new Set((values.only ?? 'ingest,pipeline,queries').split(',').map((s) => s.trim()));
  const progress = new Progress();
  mkdirSync(RESULTS, { recursive: true });
  if (only.has('workers') && !values.soak) {
    progress.section('workers');
    const workers = await workersBench((line) => progress.line(line));
    const md = writeWorkers(RESULTS, workers);
    progress.log(`\nwrote bench/results/workers.json, workers.md in ${workers.seconds} s\n`);
    console.log(md);
    only.delete('workers');
    // `--only workers` alone leaves latest.* (the Node run) as it was.
    if (only.size === 0) return workers.loss.ok ? 0 : 1;
  }
  const profileDir = values.profile
    ? join(RESULTS, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
    : undefined;
  const root = values['glimt-root'];
  const cpu = cpus();
  const results: BenchResults = {
    schema: 1,
    startedAt: new Date().toISOString(),
    seconds: 0,
    mode: values.soak ? 'soak' : 'default',
    profiled: Boolean(profileDir),
    machine: {
      cpus: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      memoryGb: Math.round(totalmem() / 1e9),
      node: process.versions.node,
      os: `${type()} ${release()}`,
      loadavg: { start: loadavg().map((x) => round(x)), end: [] },
    },
    driver:
      `autocannon ${autocannonVersion()} (programmatic API, with this bench's request stream and arrival schedule)` +
      (driver === 'wrk' ? `; saturation rounds: wrk ${wrk}, 1 thread` : ''),
    loss: [],
    targets: [],
    notes: [],
  };
  results.notes.push(codeUnderTest(root ?? ROOT));
  if (root) results.notes.push(`Glimt ran from ${root}, not from this checkout.`);

  if (values.soak) {
    const minutes = Number(values['soak-minutes']);
    if (!(minutes > 0 && minutes <= 60)) throw new Error('--soak-minutes: a number of minutes, at most 60');
    await soak(results, progress, {
      ...(profileDir ? { profileDir } : {}),
      ...(root ? { root } : {}),
      minutes,
    });
  } else {
    if (only.has('ingest')) {
      await ingest(results, progress, {
        driver,
        ...(profileDir ? { profileDir } : {}),
        ...(root ? { root } : {}),
      });
    }
    if (only.has('pipeline')) await pipeline(results, progress, profileDir);
    if (only.has('queries') || values['seed-year']) {
      await queries(results, progress, {
        seedYear: values['seed-year'],
        yearPageviews: Number(values['year-pageviews'] ?? FULL_YEAR),
      });
    }
  }

  if (profileDir) {
    const parts: string[] = [];
    // Frames of the ingest path (old and new committer names; absent ones are left out).
    const inclusive = [
      'bodyLimit',
      'newRequestFromIncoming',
      'runPipeline',
      'hashVisitor',
      'parseUserAgent',
      'lookupCountry',
      '#append',
      'aggregateInto',
      'append',
      '#commit',
      'aggregateBatch',
      'commitThrough',
      'commitSync',
      'responseViaResponseObject',
      'parserOnHeadersComplete',
    ];
    for (const [name, title] of [
      ['glimt', 'Glimt server (whole run)'],
      ['ceiling', 'bare-Hono ceiling'],
      ['pipeline', 'in-process pipeline bench'],
    ] as const) {
      try {
        const file = mainProfile(join(profileDir, name));
        if (file) parts.push(formatProfile(summariseProfile(file, inclusive), title));
      } catch {
        // that part did not run
      }
    }
    results.profile = `${parts.join('\n\n')}\n\nProfiles: ${profileDir.replace(ROOT, '')} (open in Chrome DevTools or speedscope).`;
  }

  results.machine.loadavg.end = loadavg().map((x) => round(x));
  results.seconds = round(progress.seconds, 1);
  results.targets = targets(results);
  results.notes.push(
    'The machine is shared and the load generator runs on it too: compare figures within one run (ratios), not across runs.',
  );
  const base = values.soak ? 'soak' : 'latest';
  // JSON has no Infinity (a p99 over arrivals when over 1 % were dropped): written as "Infinity", not null.
  const finite = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
  writeFileSync(join(RESULTS, `${base}.json`), `${JSON.stringify(results, finite, 2)}\n`);
  const md = markdown(results);
  writeFileSync(join(RESULTS, `${base}.md`), md);
  if (!values.soak && results.ramp) writeFileSync(join(RESULTS, 'latest.svg'), svgChart(results));
  progress.log(
    `\nwrote bench/results/${base}.json, ${base}.md${values.soak ? '' : ', latest.svg'} in ${results.seconds} s\n`,
  );
  console.log(md);
  return results.loss.every((l) => l.check.ok) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

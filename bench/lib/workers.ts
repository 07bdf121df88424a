/**
 * @module The Workers scenario (`npm run bench -- --only workers`): Glimt's Worker and a bare
 * Worker (`bench/workers/bare-worker.ts`, body read, 204) each under `wrangler dev` (workerd
 * behind wrangler's local proxy), driven by the same closed loop, alternating bare / Glimt.
 *
 * - Glimt runs from the project's wrangler.toml (its `[build]`, the local D1 migrated first
 *   in a temp `--persist-to` dir, the local Queue and its consumer), with `GLIMT_SITES` for
 *   the workload's sites. The client address travels in `CF-Connecting-IP` (what the Worker
 *   reads), one per visitor, as the Node bench sends `X-Forwarded-For`.
 * - CPU per request: user + system time of the `workerd` processes under each `wrangler dev`
 *   (from /proc, summed over the descendants of the wrangler PID) over a round, divided by
 *   its 2xx answers. That includes the local proxy Worker and, for Glimt, the Queue broker
 *   and the consumer batches that ran during the round; wrangler's own Node CPU is reported
 *   apart.
 * - One D1 batch of the consumer: the local Queue broker logs every delivered batch as
 *   `QUEUE glimt-events acked/total (ms)`, timed around the consumer's `queue()` (read,
 *   aggregate, one D1 transaction). Those lines are collected; after each Glimt round the
 *   bench waits until the stats API counts every acknowledged pageview (the drain), which
 *   is also the loss check.
 *
 * Started from node_modules/.bin directly (not npx) and stopped by PID, which stops workerd.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRequest } from '../workload.ts';
import { TrafficStream } from '../workload.ts';
import { type DriveResult, drive, type StageResult } from './drive.ts';
import { BENCH_ADMIN_TOKEN, ROOT, readUsage, removeDir } from './servers.ts';
import { median, percentiles, round } from './stats.ts';

const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' };
export const WORKERS_CONNECTIONS = 32;
export const WORKERS_ROUND_SECONDS = 10;
const WARMUP_SECONDS = 3;
const ROUNDS = 3;
const DRAIN_TIMEOUT_MS = 90_000;
const INGEST_TOML = 'bench/workers/wrangler.ingest.toml';

interface QueueLine {
  /** ms since wrangler dev was started. */
  at: number;
  acked: number;
  total: number;
  ms: number;
}

interface Wrangler {
  name: string;
  origin: string;
  pid: number;
  dir: string;
  child: ChildProcess;
  output(): string;
  queueLines: QueueLine[];
  /** ms on the clock of `queueLines`. */
  now(): number;
  /** CPU ms of the workerd processes and of the wrangler (Node) processes under this child. */
  cpu(): { workerdMs: number; nodeMs: number };
  stop(): Promise<void>;
}

const randomPort = () => 20_000 + Math.floor(Math.random() * 30_000);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The descendants of a process, from /proc/<pid>/task/<tid>/children. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number, depth: number) => {
    if (depth > 8) return;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        out.push(c);
        walk(c, depth + 1);
      }
    }
  };
  walk(pid, 0);
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function startWrangler(name: string, args: string[], dir: string): Promise<Wrangler> {
  const port = randomPort();
  const t0 = performance.now();
  const child = spawn(
    WRANGLER,
    [
      'dev',
      ...args,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(port + 1),
      '--persist-to',
      dir,
      '--show-interactive-dev-session=false',
    ],
    { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let partial = '';
  const queueLines: QueueLine[] = [];
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours
      const m = /QUEUE\s+glimt-events\s+(\d+)\/(\d+)\s+\((\d+)ms\)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) {
        queueLines.push({
          at: performance.now() - t0,
          acked: Number(m[1]),
          total: Number(m[2]),
          ms: Number(m[3]),
        });
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (!/Ready on http/.test(output)) {
    if (child.exitCode !== null)
      throw new Error(`${name}: wrangler dev exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name}: wrangler dev did not start:\n${output}`);
    }
    await sleep(100);
  }
  const pid = child.pid as number;
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    pid,
    dir,
    child,
    output: () => output,
    queueLines,
    now: () => performance.now() - t0,
    cpu() {
      let workerdMs = 0;
      let nodeMs = readUsage(pid)?.cpuMs ?? 0;
      for (const p of descendants(pid)) {
        const ms = readUsage(p)?.cpuMs ?? 0;
        if (comm(p).startsWith('workerd')) workerdMs += ms;
        else nodeMs += ms;
      }
      return { workerdMs, nodeMs };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(5_000)]);
      }
    },
  };
}

/** The Node bench's stream, with the visitor's address in CF-Connecting-IP (what the Worker reads). */
function workersStream(seed: number): { sites: string[]; next: () => BenchRequest } {
  const stream = new TrafficStream({ seed });
  return {
    sites: stream.sites,
    next: () => {
      const r = stream.next();
      return { ...r, headers: { ...r.headers, 'cf-connecting-ip': r.ip } };
    },
  };
}

/** bare: POST → 204; glimt: the project's wrangler.toml; ingest: the same Worker without a consumer. */
export type WorkersTarget = 'bare' | 'glimt' | 'ingest';

export interface WorkersRound {
  target: WorkersTarget;
  round: number;
  throughput: number;
  sent: number;
  acked: number;
  /** Non-2xx answers plus requests lost with their connection. */
  errors: number;
  status: Record<string, number>;
  latency: StageResult['latency'];
  /** workerd CPU ms per 2xx answer (includes the local proxy; for Glimt, also consumer batches in the round). */
  workerdCpuMsPerRequest: number;
  /** wrangler's own Node CPU ms per 2xx answer. */
  wranglerCpuMsPerRequest: number;
  workerdCores: number;
  /** Glimt: ms from the end of the round until the stats API counted every acknowledged pageview. */
  drainMs?: number;
  /** Glimt: workerd CPU ms spent during that drain. */
  drainWorkerdCpuMs?: number;
}

export interface BatchSummary {
  phase: string;
  batches: number;
  events: number;
  meanSize: number;
  wallMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  msPerEvent: number;
}

export interface WorkersResults {
  schema: 1;
  startedAt: string;
  seconds: number;
  versions: { wrangler: string; workerd: string; autocannon: string };
  connections: number;
  roundSeconds: number;
  rounds: WorkersRound[];
  summary: {
    bareThroughput: number;
    glimtThroughput: number;
    ratio: number;
    /** Glimt without the consumer (bench/workers/wrangler.ingest.toml) / bare. */
    ingestThroughput: number;
    ingestRatio: number;
    ingestCpuMsPerRequest: number;
    ingestPass: boolean;
    /** (Glimt − ingest only) workerd CPU per event × 100: what a full consumer batch costs in CPU. */
    consumerCpuMsPer100: number;
    target: number;
    pass: boolean;
    bareCpuMsPerRequest: number;
    glimtCpuMsPerRequest: number;
  };
  batches: BatchSummary[];
  loss: { expectedPageviews: number; countedPageviews: number; ok: boolean };
  startupSeconds: { bare: number; glimt: number; ingest: number };
  notes: string[];
}

function version(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

async function countedPageviews(origin: string, sites: readonly string[]): Promise<number> {
  const day = new Date().toISOString().slice(0, 10);
  let total = 0;
  for (const site of sites) {
    const response = await fetch(`${origin}/api/stats/aggregate?site=${site}&from=${day}&to=${day}`, {
      headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
    });
    if (!response.ok) throw new Error(`stats API ${response.status}: ${await response.text()}`);
    total += ((await response.json()) as { pageviews?: number }).pageviews ?? 0;
  }
  return total;
}

const ackedPageviews = (r: DriveResult) => [...r.acked.values()].reduce((s, c) => s + c.pageview, 0);

function summariseBatches(phase: string, lines: readonly QueueLine[]): BatchSummary {
  const events = lines.reduce((s, l) => s + l.total, 0);
  const wall = lines.reduce((s, l) => s + l.ms, 0);
  const p = percentiles(lines.map((l) => l.ms));
  return {
    phase,
    batches: lines.length,
    events,
    meanSize: lines.length ? round(events / lines.length, 1) : 0,
    wallMs: { p50: p.p50, p90: p.p90, p99: p.p99, max: p.max, mean: round(p.mean, 1) },
    msPerEvent: events ? round(wall / events, 3) : 0,
  };
}

export async function workersBench(log: (line: string) => void): Promise<WorkersResults> {
  const t0 = performance.now();
  const dirs: string[] = [];
  const servers: Wrangler[] = [];
  const startedAt = new Date().toISOString();
  try {
    const glimtDir = mkdtempSync(join(tmpdir(), 'glimt-bench-workers-'));
    const bareDir = mkdtempSync(join(tmpdir(), 'glimt-bench-bare-'));
    const ingestDir = mkdtempSync(join(tmpdir(), 'glimt-bench-ingest-'));
    dirs.push(glimtDir, bareDir, ingestDir);
    const stream = workersStream(5);
    const bareStream = workersStream(5);
    const ingestStream = workersStream(5);

    log('workers: migrating the local D1');
    execFileSync(WRANGLER, ['d1', 'migrations', 'apply', 'glimt', '--local', '--persist-to', glimtDir], {
      cwd: ROOT,
      env: ENV,
      stdio: 'pipe',
    });
    execFileSync(
      WRANGLER,
      ['d1', 'migrations', 'apply', 'glimt', '--local', '--persist-to', ingestDir, '-c', INGEST_TOML],
      { cwd: ROOT, env: ENV, stdio: 'pipe' },
    );
    log('workers: starting the bare Worker under wrangler dev');
    let s = performance.now();
    const bare = await startWrangler('bare', ['-c', 'bench/workers/wrangler.bare.toml'], bareDir);
    servers.push(bare);
    const bareStartup = (performance.now() - s) / 1000;
    log("workers: starting Glimt's Worker under wrangler dev (build included)");
    s = performance.now();
    const glimt = await startWrangler(
      'glimt',
      ['--var', `GLIMT_SITES:${stream.sites.join(',')}`, '--var', `GLIMT_ADMIN_TOKEN:${BENCH_ADMIN_TOKEN}`],
      glimtDir,
    );
    servers.push(glimt);
    const glimtStartup = (performance.now() - s) / 1000;
    log("workers: starting Glimt's Worker without its consumer (ingest only)");
    s = performance.now();
    const ingest = await startWrangler(
      'ingest',
      [
        '-c',
        INGEST_TOML,
        '--var',
        `GLIMT_SITES:${stream.sites.join(',')}`,
        '--var',
        `GLIMT_ADMIN_TOKEN:${BENCH_ADMIN_TOKEN}`,
      ],
      ingestDir,
    );
    servers.push(ingest);
    const ingestStartup = (performance.now() - s) / 1000;

    const at = () => glimt.now();
    let expectedPageviews = 0;
    let counted = 0;
    const phases: { phase: string; from: number; to: number }[] = [];

    const drainGlimt = async (): Promise<{ ms: number; cpuMs: number }> => {
      const d0 = performance.now();
      const c0 = glimt.cpu().workerdMs;
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      counted = await countedPageviews(glimt.origin, stream.sites);
      while (counted < expectedPageviews && Date.now() < deadline) {
        await sleep(200);
        counted = await countedPageviews(glimt.origin, stream.sites);
      }
      return { ms: performance.now() - d0, cpuMs: glimt.cpu().workerdMs - c0 };
    };

    const run = async (
      server: Wrangler,
      next: () => BenchRequest,
      seconds: number,
      label: string,
    ): Promise<{ result: DriveResult; cpu: { workerdMs: number; nodeMs: number }; wallMs: number }> => {
      const c0 = server.cpu();
      const w0 = performance.now();
      const result = await drive({
        origin: server.origin,
        connections: WORKERS_CONNECTIONS,
        load: { kind: 'closed', seconds, name: label },
        next,
        progress: (line) => log(`workers ${label}: ${line}`),
      });
      const wallMs = performance.now() - w0;
      const c1 = server.cpu();
      return {
        result,
        cpu: { workerdMs: c1.workerdMs - c0.workerdMs, nodeMs: c1.nodeMs - c0.nodeMs },
        wallMs,
      };
    };

    // Warm-up (not counted): both Workers, then let Glimt's consumer drain.
    log('workers: warm-up');
    await run(bare, bareStream.next, WARMUP_SECONDS, 'warm-up bare');
    await run(ingest, ingestStream.next, WARMUP_SECONDS, 'warm-up ingest');
    const warm = await run(glimt, stream.next, WARMUP_SECONDS, 'warm-up glimt');
    expectedPageviews += ackedPageviews(warm.result);
    await drainGlimt();

    const rounds: WorkersRound[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      for (const target of ['bare', 'glimt', 'ingest'] as const) {
        const [server, next] = {
          bare: [bare, bareStream.next],
          glimt: [glimt, stream.next],
          ingest: [ingest, ingestStream.next],
        }[target] as [Wrangler, () => BenchRequest];
        const from = at();
        const m = await run(server, next, WORKERS_ROUND_SECONDS, `${target} ${i}`);
        const loadEnd = at();
        const stage = m.result.stages[0] as StageResult;
        const acked = m.result.ackedTotal;
        const errors = stage.sent - stage.acked;
        const r: WorkersRound = {
          target,
          round: i,
          throughput: round(stage.throughput, 0),
          sent: stage.sent,
          acked,
          errors,
          status: stage.status,
          latency: stage.latency,
          workerdCpuMsPerRequest: acked ? round(m.cpu.workerdMs / acked, 3) : 0,
          wranglerCpuMsPerRequest: acked ? round(m.cpu.nodeMs / acked, 3) : 0,
          workerdCores: round(m.cpu.workerdMs / m.wallMs),
        };
        if (target === 'glimt') {
          expectedPageviews += ackedPageviews(m.result);
          const drained = await drainGlimt();
          r.drainMs = round(drained.ms, 0);
          r.drainWorkerdCpuMs = round(drained.cpuMs, 0);
          phases.push({ phase: `round ${i}: under load`, from, to: loadEnd });
          phases.push({ phase: `round ${i}: drain after the load`, from: loadEnd, to: at() });
        }
        rounds.push(r);
        log(
          `workers ${target} ${i}: ${r.throughput} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
            `errors ${r.errors}, workerd ${r.workerdCpuMsPerRequest} ms CPU/req`,
        );
      }
    }

    const bareRounds = rounds.filter((r) => r.target === 'bare');
    const glimtRounds = rounds.filter((r) => r.target === 'glimt');
    const bareThroughput = median(bareRounds.map((r) => r.throughput));
    const glimtThroughput = median(glimtRounds.map((r) => r.throughput));
    const ratio = bareThroughput ? round(glimtThroughput / bareThroughput, 2) : 0;
    const ingestRounds = rounds.filter((r) => r.target === 'ingest');
    const ingestThroughput = median(ingestRounds.map((r) => r.throughput));
    const inPhase = (p: { from: number; to: number }) =>
      glimt.queueLines.filter((l) => l.at >= p.from && l.at < p.to);
    const underLoad = phases.filter((p) => p.phase.endsWith('under load')).flatMap(inPhase);
    const drain = phases.filter((p) => p.phase.endsWith('drain after the load')).flatMap(inPhase);
    const full = (ls: QueueLine[]) => ls.filter((l) => l.total === 100);
    const batches = [
      summariseBatches('all batches of the measured rounds', [...underLoad, ...drain]),
      summariseBatches('full batches (100 events) while Glimt was under load', full(underLoad)),
      summariseBatches('full batches (100 events) after the load (no ingest beside them)', full(drain)),
    ];
    const failedBatches = glimt.queueLines.filter((l) => l.acked !== l.total).length;
    const notes = [
      `wrangler dev ${version('wrangler')} (local mode: workerd behind wrangler's local proxy), loopback, one machine: the load generator shares the CPU. Compare within one run.`,
      `CPU ms/request: user+system time of the workerd processes under each wrangler dev (/proc/<pid>/stat, summed over the descendants of the wrangler PID) over the round, divided by its 2xx answers. It includes the local proxy Worker's work and, for Glimt, the Queue broker and the consumer batches that ran during the round; wrangler's own Node CPU is the separate "wrangler CPU" column.`,
      'D1 batch: wall time of each consumer invocation as logged by the local Queue broker (`QUEUE glimt-events n/n (ms)`): the `queue()` handler of collector/workers/serve.ts — visitor states read, events aggregated, one D1 transaction — in local D1 (SQLite in workerd), not remote D1.',
      "Ingest only: the same Worker (collector/workers/serve.ts) from bench/workers/wrangler.ingest.toml, without the Queue consumer: under `wrangler dev` the consumer of the full config shares workerd with the requests (in production it runs in its own invocations); the local broker drops the messages it gets with no consumer bound, after the Worker's `QUEUE.send` has completed.",
      `Drain: after each Glimt round the bench polls the stats API until it counts every acknowledged pageview (max_batch_timeout = 5 s bounds the last partial batch).`,
    ];
    if (failedBatches) notes.push(`${failedBatches} consumer batches did not ack every message (retried).`);
    if (/glimt could not start|error on (GET|POST)|queue: a batch/.test(glimt.output())) {
      notes.push("Glimt's Worker logged errors: see wrangler's output.");
    }
    const results: WorkersResults = {
      schema: 1,
      startedAt,
      seconds: 0,
      versions: {
        wrangler: version('wrangler'),
        workerd: version('workerd'),
        autocannon: version('autocannon'),
      },
      connections: WORKERS_CONNECTIONS,
      roundSeconds: WORKERS_ROUND_SECONDS,
      rounds,
      summary: {
        bareThroughput,
        glimtThroughput,
        ratio,
        target: 0.7,
        pass: ratio >= 0.7,
        bareCpuMsPerRequest: round(median(bareRounds.map((r) => r.workerdCpuMsPerRequest)), 3),
        glimtCpuMsPerRequest: round(median(glimtRounds.map((r) => r.workerdCpuMsPerRequest)), 3),
        ingestThroughput,
        ingestRatio: bareThroughput ? round(ingestThroughput / bareThroughput, 2) : 0,
        ingestCpuMsPerRequest: round(median(ingestRounds.map((r) => r.workerdCpuMsPerRequest)), 3),
        ingestPass: bareThroughput > 0 && ingestThroughput / bareThroughput >= 0.7,
        consumerCpuMsPer100: 0,
      },
      batches,
      loss: { expectedPageviews, countedPageviews: counted, ok: counted === expectedPageviews },
      startupSeconds: {
        bare: round(bareStartup, 1),
        glimt: round(glimtStartup, 1),
        ingest: round(ingestStartup, 1),
      },
      notes,
    };
    results.summary.consumerCpuMsPer100 = round(
      (results.summary.glimtCpuMsPerRequest - results.summary.ingestCpuMsPerRequest) * 100,
      1,
    );
    results.seconds = round((performance.now() - t0) / 1000, 1);
    return results;
  } finally {
    for (const server of servers.reverse()) await server.stop();
    for (const dir of dirs) removeDir(dir);
  }
}

export function workersMarkdown(r: WorkersResults): string {
  const s = r.summary;
  const lines = [
    '# Glimt on Workers: ingest under `wrangler dev`',
    '',
    `${r.startedAt}, ${r.seconds} s. wrangler ${r.versions.wrangler}, workerd ${r.versions.workerd}, autocannon ${r.versions.autocannon}; closed loop, ${r.connections} connections, ${r.roundSeconds} s per round, bare / Glimt alternating; BENCH_SITES workload with \`CF-Connecting-IP\` per visitor.`,
    '',
    `**Glimt / bare Worker: ${s.ratio}×** (${s.glimtThroughput} / ${s.bareThroughput} req/s, medians) — target ≥ ${s.target}×: ${s.pass ? 'PASS' : 'FAIL'}. Its consumer runs in the same workerd during the rounds.`,
    `Glimt ingest only (bench/workers/wrangler.ingest.toml: no consumer bound) / bare: ${s.ingestRatio}× (${s.ingestThroughput} req/s) — ≥ ${s.target}×: ${s.ingestPass ? 'PASS' : 'FAIL'}.`,
    `workerd CPU per request: bare ${s.bareCpuMsPerRequest} ms, Glimt ${s.glimtCpuMsPerRequest} ms, Glimt ingest only ${s.ingestCpuMsPerRequest} ms (all include wrangler's local proxy; Glimt's own share is the difference from bare).`,
    '',
    '| round | Worker | req/s | p50 ms | p99 ms | errors (non-2xx + lost) | workerd CPU ms/req | wrangler CPU ms/req | workerd cores | drain ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rounds.map(
      (x) =>
        `| ${x.round} | ${x.target} | ${x.throughput} | ${x.latency.p50} | ${x.latency.p99} | ${x.errors} | ${x.workerdCpuMsPerRequest} | ${x.wranglerCpuMsPerRequest} | ${x.workerdCores} | ${x.drainMs ?? ''} |`,
    ),
    '',
    '## One D1 batch of the consumer',
    '',
    '| batches | count | events | mean size | p50 ms | p90 ms | p99 ms | max ms | ms/event |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.batches
      .filter((b) => b.batches > 0)
      .map(
        (b) =>
          `| ${b.phase} | ${b.batches} | ${b.events} | ${b.meanSize} | ${b.wallMs.p50} | ${b.wallMs.p90} | ${b.wallMs.p99} | ${b.wallMs.max} | ${b.msPerEvent} |`,
      ),
    '',
    `CPU of one full batch, estimated as (Glimt − ingest only) workerd CPU per request × 100: ${s.consumerCpuMsPer100} ms (consumer and Queue broker; noisy, a difference of two medians).`,
    '',
    `Loss check: ${r.loss.expectedPageviews} pageviews acknowledged, ${r.loss.countedPageviews} counted by the stats API: ${r.loss.ok ? 'ok' : 'MISMATCH'}.`,
    `Startup: bare ${r.startupSeconds.bare} s, Glimt ${r.startupSeconds.glimt} s (its \`[build]\` included), ingest only ${r.startupSeconds.ingest} s.`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

export function writeWorkers(resultsDir: string, r: WorkersResults): string {
  writeFileSync(join(resultsDir, 'workers.json'), `${JSON.stringify(r, null, 2)}\n`);
  const md = workersMarkdown(r);
  writeFileSync(join(resultsDir, 'workers.md'), md);
  return md;
}

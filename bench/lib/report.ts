/**
 * @module The run's results as JSON (bench/results/latest.json), a Markdown report
 * (latest.md) and an SVG chart (latest.svg): p50/p99 against offered rate, with the
 * saturation throughputs of Glimt and the bare-Hono ceiling.
 */
import type { StageResult } from './drive.ts';
import type { LossCheck } from './loss.ts';
import type { PipelineResult } from './pipeline-bench.ts';
import type { QueryResult } from './queries.ts';
import { median } from './stats.ts';

export interface Round {
  target: 'ceiling' | 'glimt';
  name: string;
  stage: StageResult;
  /** Server CPU per acknowledged event, µs. */
  cpuPerEventUs: number;
  /** The same by thread (absent in results written before it was measured). */
  threadsPerEventUs?: ThreadSplit;
  /** Server CPU use over the round, in cores (1 = one core busy). */
  serverCores: number;
  /** The load generator's CPU use over the round, in cores. */
  generatorCores: number;
}

/** Server CPU by thread, µs per acknowledged event. */
export interface ThreadSplit {
  /** The main thread: the event loop, which every request waits for. */
  eventLoop: number;
  /** Threads at a lower priority (nice > 0): Glimt's count thread (and its query thread, idle under ingest). */
  side: number;
  /** libuv's pool, V8's helpers, threads that ended. */
  other: number;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean | null;
}

export interface BenchResults {
  schema: 1;
  startedAt: string;
  seconds: number;
  mode: 'default' | 'soak' | 'smoke';
  profiled: boolean;
  machine: {
    cpus: string;
    cores: number;
    memoryGb: number;
    node: string;
    os: string;
    loadavg: { start: number[]; end: number[] };
  };
  driver: string;
  saturation?: { rounds: Round[]; ceiling: number; glimt: number; ratio: number; singleVisitor?: Round };
  ramp?: { glimt: StageResult[]; ceiling: StageResult[] };
  spike?: StageResult[];
  soak?: {
    stages: StageResult[];
    rss: { t: number; rss: number }[];
    peakRss: number;
    driftMbPerMin: number;
    /** Offered past saturation after the soak: what was taken, refused (503) and dropped, and the peak RSS. */
    overload?: { stage: StageResult; peakRss: number };
  };
  glimtProcess?: { peakRss: number; cpuPerEventUs: number; idleRss?: number };
  loss: { scenario: string; check: LossCheck }[];
  pipeline?: PipelineResult;
  storage?: {
    burst: {
      pageviews: number;
      rollupBytes: number;
      visitGrainBytes?: number;
      rawBytes: number;
      visitorBytes: number;
    };
    year?: { pageviews: number; rollupBytes: number; visitGrainBytes?: number; fileBytes: number };
  };
  queries?: {
    site: string;
    from: string;
    to: string;
    pageviews: number;
    scaled: string | null;
    results: QueryResult[];
  };
  targets: Target[];
  profile?: string;
  notes: string[];
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const perMillion = (bytes: number, pageviews: number) => mb((bytes / Math.max(1, pageviews)) * 1e6);

const us = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} µs`;

/**
 * The CPU per event that each throughput target allows on this machine, next to what this
 * run measured, so that a FAIL says how far off it is and where the time goes.
 *
 * Ingest: at 60 % of the ceiling, the event loop (one thread: every request waits for it)
 * has one core, and all of Glimt's threads share the machine's cores less the load
 * generator's, whose cost per request is measured in the ceiling rounds.
 */
export function budgets(r: BenchResults): string[] {
  const lines: string[] = [];
  const s = r.saturation;
  const ceilingRounds = s?.rounds.filter((x) => x.target === 'ceiling') ?? [];
  const glimtRounds = s?.rounds.filter((x) => x.target === 'glimt' && x.threadsPerEventUs) ?? [];
  if (s && ceilingRounds.length > 0 && glimtRounds.length > 0) {
    const rate = 0.6 * s.ceiling;
    const generatorUs = median(ceilingRounds.map((x) => (x.generatorCores * 1e6) / x.stage.throughput));
    const httpUs = median(ceilingRounds.map((x) => x.cpuPerEventUs));
    const loop = median(glimtRounds.map((x) => x.threadsPerEventUs?.eventLoop ?? 0));
    const side = median(glimtRounds.map((x) => x.threadsPerEventUs?.side ?? 0));
    const other = median(glimtRounds.map((x) => x.threadsPerEventUs?.other ?? 0));
    const total = median(glimtRounds.map((x) => x.cpuPerEventUs));
    const loopBudget = 1e6 / rate;
    const allBudget = Number.isFinite(generatorUs)
      ? ((r.machine.cores - (generatorUs * rate) / 1e6) * 1e6) / rate
      : Number.NaN;
    lines.push(
      `- **Ingest at 60 % of the ceiling** is ${n0(rate)} events/s. There the event loop may spend at most **${us(loopBudget)}** per event (one core)` +
        (Number.isFinite(allBudget)
          ? `, and all of Glimt's threads together at most **${us(allBudget)}** (${r.machine.cores} cores less the load generator's ${us(generatorUs)} per request, measured in the ceiling rounds).`
          : '.') +
        ` Measured at saturation (medians): the event loop **${us(loop)}** per event, of which the bare HTTP path is about ${us(httpUs)} (the ceiling's whole CPU per request); the count thread ${us(side)}; other threads ${us(other)}; in all **${us(total)}**.` +
        ` The event loop alone needs ${(loop / loopBudget).toFixed(1)}× its budget${Number.isFinite(allBudget) ? `, all threads ${(total / allBudget).toFixed(1)}× theirs` : ''}.`,
    );
  }
  const p = r.pipeline;
  if (p) {
    const per = (perS: number) => 1e6 / Math.max(1, perS);
    lines.push(
      `- **In-process at 200,000 events/s** is ${us(per(200_000))} per event. Measured: the whole path ${us(per(p.glimtPerS))}; the steps before the committer alone (parse, URL, referrer, User-Agent, country, keyed hash) ${us(per(p.pipelinePerS))}; aggregate + commit alone ${us(per(p.commitPerS))}; a raw batched insert of the same events, which does none of that work, ${us(per(p.rawInsertPerS))}.`,
    );
  }
  return lines;
}

export function markdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(`# Glimt bench: ${r.mode} run, ${r.startedAt}`, '');
  out.push(
    `Machine: ${r.machine.cores} × ${r.machine.cpus}, ${r.machine.memoryGb} GB, ${r.machine.os}, Node ${r.machine.node}; ` +
      `load average ${r.machine.loadavg.start.map((x) => x.toFixed(1)).join('/')} at start, ${r.machine.loadavg.end.map((x) => x.toFixed(1)).join('/')} at end. ` +
      `Load generator: ${r.driver}, on the same machine. The run took ${r.seconds.toFixed(0)} s${r.profiled ? ' (with --cpu-prof: slower than usual)' : ''}.`,
    '',
  );
  if (r.targets.length > 0) {
    out.push('## Targets', '', '| target | goal | measured | |', '| --- | --- | --- | --- |');
    for (const t of r.targets) {
      out.push(
        `| ${t.name} | ${t.target} | ${t.measured} | ${t.pass === null ? '–' : t.pass ? 'pass' : '**FAIL**'} |`,
      );
    }
    out.push('');
    const budget = budgets(r);
    if (budget.length > 0)
      out.push('### What the throughput targets leave per event (from this run)', '', ...budget, '');
  }
  const s = r.saturation;
  if (s) {
    out.push(
      '## 1–2. HTTP ceiling and Glimt ingest at saturation',
      '',
      'Closed loop, 50 connections, the same realistic request stream for both (every request another visitor). Rounds alternate ceiling / Glimt so that noise from other work on the machine hits both.',
      '',
      '| round | events/s | p50 ms | p99 ms | errors | server CPU µs/event | of which event loop / count thread / other | server cores | generator cores |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const rounds = s.singleVisitor ? [...s.rounds, s.singleVisitor] : s.rounds;
    for (const round of rounds) {
      const st = round.stage;
      const errors = st.sent - st.acked;
      const t = round.threadsPerEventUs;
      const split = t ? `${t.eventLoop.toFixed(0)} / ${t.side.toFixed(0)} / ${t.other.toFixed(0)}` : '–';
      out.push(
        `| ${round.name} | ${n0(st.throughput)} | ${ms(st.latency.p50)} | ${ms(st.latency.p99)} | ${errors} | ${round.cpuPerEventUs.toFixed(0)} | ${split} | ${round.serverCores.toFixed(2)} | ${Number.isNaN(round.generatorCores) ? '–' : round.generatorCores.toFixed(2)} |`,
      );
    }
    out.push(
      '',
      `**Glimt ${n0(s.glimt)} events/s vs ceiling ${n0(s.ceiling)} req/s (medians): ${pct(s.ratio)} of the ceiling.**`,
      '',
    );
  }
  if (r.glimtProcess) {
    const idle = r.glimtProcess.idleRss ? ` (${mb(r.glimtProcess.idleRss)} right after start, idle)` : '';
    out.push(`Glimt process: peak RSS ${mb(r.glimtProcess.peakRss)} over the whole run${idle}.`, '');
  }
  if (r.ramp) {
    out.push(
      '## Latency against offered rate (open model)',
      '',
      'Arrivals released evenly at the offered rate to 100 connections (k6 `ramping-arrival-rate` semantics: an arrival that finds no free connection is dropped and counted).',
      '',
      '| offered/s | Glimt acked/s | Glimt p50 | Glimt p90 | Glimt p99 | dropped | errors | ceiling p50 | ceiling p99 |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    r.ramp.glimt.forEach((g, i) => {
      const c = r.ramp?.ceiling[i];
      out.push(
        `| ${n0(g.offered)} | ${n0(g.throughput)} | ${ms(g.latency.p50)} | ${ms(g.latency.p90)} | ${ms(g.latency.p99)} | ${n0(g.dropped)} | ${g.sent - g.acked} | ${c ? ms(c.latency.p50) : '–'} | ${c ? ms(c.latency.p99) : '–'} |`,
      );
    });
    out.push('', '![latency against offered rate](latest.svg)', '');
  }
  if (r.spike) {
    out.push(
      '## Spike',
      '',
      '| stage | offered/s | acked/s | p50 | p99 | max | dropped | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const st of r.spike) {
      out.push(
        `| ${st.name} | ${n0(st.offered)} | ${n0(st.throughput)} | ${ms(st.latency.p50)} | ${ms(st.latency.p99)} | ${ms(st.latency.max)} | ${n0(st.dropped)} | ${st.sent - st.acked} |`,
      );
    }
    out.push('');
  }
  if (r.soak) {
    out.push(
      '## Soak',
      '',
      `Peak RSS ${mb(r.soak.peakRss)}; drift over the second half ${r.soak.driftMbPerMin.toFixed(2)} MB/min.`,
      '',
      '| stage | offered/s | acked/s | p50 | p99 | dropped | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const st of r.soak.stages) {
      out.push(
        `| ${st.name} | ${n0(st.offered)} | ${n0(st.throughput)} | ${ms(st.latency.p50)} | ${ms(st.latency.p99)} | ${n0(st.dropped)} | ${st.sent - st.acked} |`,
      );
    }
    out.push('');
    const o = r.soak.overload;
    if (o) {
      const refused = o.stage.status[503] ?? 0;
      out.push(
        `Then overload, ${o.stage.seconds} s offered at ${n0(o.stage.offered)}/s: ${n0(o.stage.throughput)}/s acknowledged, ${n0(refused)} refused with 503, ${n0(o.stage.dropped)} arrivals dropped (all connections busy), ${o.stage.sent - o.stage.acked - refused} other errors; p99 ${ms(o.stage.latency.p99)} ms; peak RSS ${mb(o.peakRss)}.`,
        '',
      );
    }
  }
  if (r.pipeline) {
    const p = r.pipeline;
    out.push(
      '## 3. Pipeline without HTTP',
      '',
      `${n0(p.events)} events of the same realistic stream, in-process, in chunks of 2000.`,
      '',
      '| path | events/s |',
      '| --- | ---: |',
      `| Glimt: validate → enrich → aggregate → commit | ${n0(p.glimtPerS)} |`,
      `| … of which the steps before the committer alone | ${n0(p.pipelinePerS)} |`,
      `| … of which aggregate + commit alone | ${n0(p.commitPerS)} |`,
      `| raw better-sqlite3 batched insert of the same events (ceiling) | ${n0(p.rawInsertPerS)} |`,
      '',
      `Glimt in-process is ${pct(p.glimtPerS / p.rawInsertPerS)} of the raw insert ceiling.`,
      '',
    );
    if (p.wal?.length) {
      out.push(
        'WAL written when events arrive in groups as large as the requests in flight (fresh visitors, counting included):',
        '',
        '| events per group | WAL pages per group | WAL bytes per event |',
        '| ---: | ---: | ---: |',
        ...p.wal.map((w) => `| ${w.batch} | ${w.pagesPerCommit.toFixed(0)} | ${n0(w.bytesPerEvent)} |`),
        '',
      );
    }
  }
  if (r.storage) {
    const b = r.storage.burst;
    out.push(
      '## 4. Storage',
      '',
      '| data | pageviews | rollups | visit grain | raw event table (+ index) | rollups per 1M pageviews | visit grain per 1M | raw per 1M pageviews |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| pipeline run (one hour, 5 sites) | ${n0(b.pageviews)} | ${mb(b.rollupBytes)} | ${mb(b.visitGrainBytes ?? 0)} | ${mb(b.rawBytes)} | ${perMillion(b.rollupBytes, b.pageviews)} | ${perMillion(b.visitGrainBytes ?? 0, b.pageviews)} | ${perMillion(b.rawBytes, b.pageviews)} |`,
    );
    const y = r.storage.year;
    if (y) {
      out.push(
        `| a year, one site (seeded) | ${n0(y.pageviews)} | ${mb(y.rollupBytes)} | ${mb(y.visitGrainBytes ?? 0)} | ≈ ${mb((b.rawBytes / Math.max(1, b.pageviews)) * y.pageviews)} (extrapolated) | ${perMillion(y.rollupBytes, y.pageviews)} | ${perMillion(y.visitGrainBytes ?? 0, y.pageviews)} | ${perMillion(b.rawBytes, b.pageviews)} |`,
      );
    }
    out.push(
      '',
      `Per-million figures are extrapolated from the run's size. The raw table holds every event (pageviews with their engagement and custom events, ${(b.rawBytes / Math.max(1, b.pageviews)).toFixed(0)} B per pageview), which Glimt never stores. Today's visitor states (${mb(b.visitorBytes)} after this run) are deleted with the day's salt, so they do not grow with history.`,
      '',
    );
  }
  if (r.queries) {
    const q = r.queries;
    out.push(
      '## 5. Queries over a year',
      '',
      `${q.site}, ${q.from} to ${q.to}, ${n0(q.pageviews)} pageviews, through the HTTP API (sequential requests, client-side time).${q.scaled ? ` **Scaled down:** ${q.scaled}` : ''}`,
      '',
      '| query | samples | p50 ms | p99 ms | max ms | answer |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    for (const x of q.results) {
      out.push(
        `| ${x.name} | ${x.samples} | ${ms(x.latency.p50)} | ${ms(x.latency.p99)} | ${ms(x.latency.max)} | ${x.answer} |`,
      );
    }
    out.push('');
  }
  if (r.loss.length > 0) {
    out.push(
      '## 6. Loss check',
      '',
      'Sent = acknowledged (2xx) = counted by the stats API (pageviews, custom events, drops by reason; engagements from stored engaged time).',
      '',
      '| scenario | sent | acknowledged | counted | acknowledged but lost | |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
    );
    for (const { scenario, check } of r.loss) {
      out.push(
        `| ${scenario} | ${n0(check.sent)} | ${n0(check.acked)} | ${n0(check.counted)} | ${check.lostAfterAck} | ${check.ok ? 'ok' : `**${check.problems.join('; ')}**`} |`,
      );
    }
    out.push('');
  }
  if (r.profile) out.push('## Where the time goes (node --cpu-prof)', '', r.profile, '');
  if (r.notes.length > 0) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// The chart: latency (log scale) against offered rate, saturation throughputs as lines.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function svgChart(r: BenchResults): string {
  const W = 760;
  const H = 420;
  const m = { l: 64, r: 24, t: 40, b: 72 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const glimt = r.ramp?.glimt ?? [];
  const ceiling = r.ramp?.ceiling ?? [];
  const satG = r.saturation?.glimt ?? 0;
  const satC = r.saturation?.ceiling ?? 0;
  const xMax =
    Math.max(1000, ...glimt.map((s) => s.offered), ...ceiling.map((s) => s.offered), satG, satC) * 1.05;
  const lat = [...glimt, ...ceiling].flatMap((s) => [s.latency.p50, s.latency.p99]).filter((x) => x > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...lat, 1))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...lat, 10)));
  const x = (v: number) => m.l + (v / xMax) * pw;
  const y = (v: number) =>
    m.t +
    ph -
    ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.l}" y="22" font-size="15" font-weight="600">Ingest latency against offered rate (${esc(r.startedAt.slice(0, 10))})</text>`,
  );
  // Grid and axes.
  for (let d = yMin; d <= yMax * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v > yMax * 1.0001) continue;
      parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      parts.push(
        `<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v >= 1 ? v : v.toFixed(2)}</text>`,
      );
    }
  }
  const step = xMax > 30_000 ? 10_000 : xMax > 12_000 ? 5000 : 2000;
  for (let v = 0; v <= xMax; v += step) {
    parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${m.t}" y2="${m.t + ph}" stroke="#f3f3f3"/>`);
    parts.push(`<text x="${x(v)}" y="${m.t + ph + 16}" text-anchor="middle" fill="#555">${v / 1000}k</text>`);
  }
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    `<text x="${m.l + pw / 2}" y="${m.t + ph + 36}" text-anchor="middle">offered rate, events/s</text>`,
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">latency, ms (log)</text>`,
  );
  // Target: p99 ≤ 10 ms at 5k/s.
  parts.push(
    `<circle cx="${x(5000)}" cy="${y(10)}" r="4" fill="none" stroke="#c00"/>`,
    `<text x="${x(5000) + 7}" y="${y(10) - 6}" fill="#c00">target p99 ≤ 10 ms at 5k/s</text>`,
  );
  const vline = (v: number, color: string, label: string, dy: number) => {
    if (v <= 0) return;
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${m.t}" y2="${m.t + ph}" stroke="${color}" stroke-width="1.5" stroke-dasharray="2 3"/>`,
      x(v) < m.l + pw / 2
        ? `<text x="${x(v) + 4}" y="${m.t + 14 + dy}" fill="${color}">${esc(label)}</text>`
        : `<text x="${x(v) - 4}" y="${m.t + 14 + dy}" text-anchor="end" fill="${color}">${esc(label)}</text>`,
    );
  };
  vline(satG, '#1f6feb', `Glimt saturation ${Math.round(satG).toLocaleString('en-US')}/s`, 0);
  vline(satC, '#6e7781', `bare Hono ceiling ${Math.round(satC).toLocaleString('en-US')}/s`, 16);
  const line = (stages: StageResult[], pick: 'p50' | 'p99', color: string, dash: string) => {
    const pts = stages
      .filter((s) => s.acked > 0)
      .map((s) => `${x(s.offered).toFixed(1)},${y(s.latency[pick]).toFixed(1)}`);
    if (pts.length === 0) return;
    parts.push(
      `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`,
    );
    for (const p of pts) {
      const [px, py] = p.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
  };
  line(ceiling, 'p50', '#6e7781', '');
  line(ceiling, 'p99', '#6e7781', '6 4');
  line(glimt, 'p50', '#1f6feb', '');
  line(glimt, 'p99', '#1f6feb', '6 4');
  // Legend.
  const legend: [string, string, string][] = [
    ['Glimt p50', '#1f6feb', ''],
    ['Glimt p99', '#1f6feb', '6 4'],
    ['ceiling p50', '#6e7781', ''],
    ['ceiling p99', '#6e7781', '6 4'],
  ];
  legend.forEach(([label, color, dash], i) => {
    const lx = m.l + i * 150;
    const ly = H - 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${lx + 34}" y="${ly}">${label}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

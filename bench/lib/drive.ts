/**
 * @module The load driver: autocannon's connections and response parsing, with our own
 * request stream and arrival schedule.
 *
 * autocannon (programmatic API, `setupClient`) owns the keep-alive connections, writes
 * the requests, parses the responses and times them. Two things it cannot do are done
 * here, on each connection it hands to `setupClient`:
 *
 * - **A request stream**: every request is the next one of a {@link TrafficStream}
 *   (another visitor, page, UA…), written as a pre-built raw HTTP/1.1 buffer.
 * - **Open-model arrival** (k6's `constant-arrival-rate` / `ramping-arrival-rate`):
 *   autocannon's own `overallRate` fires each connection's quota in a burst at the top
 *   of every second, which measures burst queueing rather than latency at a rate. Here a
 *   1 ms scheduler releases requests evenly along a rate profile to idle connections;
 *   when no connection is idle the request is counted as dropped, as k6 counts
 *   `dropped_iterations`. Closed-loop saturation (k6 `constant-vus` without sleep) sends
 *   the next request as soon as the previous answer arrives.
 *
 * This reaches into autocannon's `Client` (`_doRequest`, `requestIterator.currentRequest`):
 * autocannon is pinned (9.0.0 exactly) and {@link checkAutocannon} fails loudly on another major.
 * Every request is accounted for: sent, answered (by status) or lost with its connection.
 * A scenario stops sending at its end and waits for the answers in flight, so that
 * "sent = acknowledged" can hold exactly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BenchRequest, EventClass } from '../workload.ts';
import { LatencyLog } from './stats.ts';

const require = createRequire(import.meta.url);

interface AcClient {
  rate: number | undefined;
  destroyed: boolean;
  requestIterator: { currentRequest: { requestBuffer: Buffer } };
  _doRequest(): void;
  on(event: 'response', fn: (status: number, bytes: number, ms: number) => void): void;
}
interface AcInstance {
  stop(): void;
}
type Autocannon = (
  opts: Record<string, unknown>,
  cb: (error: Error | null, result: { errors: number; timeouts: number }) => void,
) => AcInstance;

export function autocannonVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string })
    .version;
}

export function checkAutocannon(): Autocannon {
  const version = autocannonVersion();
  if (!version.startsWith('9.')) {
    throw new Error(`bench/lib/drive.ts relies on autocannon 9 internals; found ${version}`);
  }
  return require('autocannon') as Autocannon;
}

/** One part of a rate profile: `rate` events/s (linearly to `to` when given) for `seconds`. */
export interface Stage {
  name: string;
  seconds: number;
  rate: number;
  to?: number;
  /** Left out of the results (JIT warm-up). */
  warmup?: boolean;
}

export type Load =
  | { kind: 'open'; stages: Stage[] }
  | { kind: 'closed'; seconds: number; name?: string; max?: number };

export interface StageResult {
  name: string;
  /** Offered rate, events/s (open model); 0 for closed-loop. */
  offered: number;
  seconds: number;
  sent: number;
  /** 2xx answers. */
  acked: number;
  /** Answers by status code. */
  status: Record<string, number>;
  /** Requests lost with their connection (error, timeout, reset). */
  lost: number;
  /** Open model: arrivals that found no idle connection (k6 `dropped_iterations`). */
  dropped: number;
  /** Acknowledged per second of the stage. */
  throughput: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** p99 over every arrival, each dropped one counted as slower than any answer (Infinity past 1 %). */
  p99Arrivals: number;
}

export interface DriveResult {
  stages: StageResult[];
  /** 2xx answers by event class and site (for the loss check). */
  acked: Map<string, Record<EventClass, number>>;
  sent: number;
  ackedTotal: number;
  lost: number;
  seconds: number;
}

export interface DriveOptions {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  path?: string;
  connections: number;
  load: Load;
  next: () => BenchRequest;
  /** Called about 4 times a second with the running stage and counts. */
  progress?: (line: string) => void;
  /** Seconds a request may take before autocannon counts a timeout. */
  timeoutS?: number;
}

interface Sent {
  stage: number;
  site: string;
  cls: EventClass;
}

export function requestBuffer(host: string, path: string, r: BenchRequest): Buffer {
  const body = Buffer.from(r.body);
  let head =
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${r.userAgent}\r\nContent-Type: ${r.contentType}\r\n` +
    `Accept: */*\r\nOrigin: https://${r.site}\r\nX-Forwarded-For: ${r.ip}\r\n`;
  for (const [name, value] of Object.entries(r.headers)) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

export async function drive(options: DriveOptions): Promise<DriveResult> {
  const autocannon = checkAutocannon();
  const path = options.path ?? '/api/event';
  const host = new URL(options.origin).host;
  const load = options.load;
  const stages: Stage[] =
    load.kind === 'open'
      ? load.stages
      : [{ name: load.name ?? 'saturation', seconds: load.seconds, rate: 0 }];
  const totalS = stages.reduce((s, st) => s + st.seconds, 0);
  const ends: number[] = [];
  stages.reduce((at, st) => {
    ends.push(at + st.seconds * 1000);
    return at + st.seconds * 1000;
  }, 0);

  const perStage = stages.map(() => ({
    sent: 0,
    acked: 0,
    lost: 0,
    dropped: 0,
    status: {} as Record<string, number>,
    latency: new LatencyLog(),
  }));
  const acked = new Map<string, Record<EventClass, number>>();
  const inflight = new Map<AcClient, Sent>();
  const idle: AcClient[] = [];
  let idleHead = 0;
  let sending = true;
  let sentTotal = 0;
  let t0 = 0;
  const now = () => performance.now() - t0;
  const stageAt = (ms: number) => {
    for (let i = 0; i < ends.length; i++) if (ms < (ends[i] as number)) return i;
    return ends.length - 1;
  };

  // The original `_doRequest` writes `requestIterator.currentRequest.requestBuffer`.
  let doRequest: ((this: AcClient) => void) | undefined;
  const send = (client: AcClient) => {
    if (client.destroyed || !doRequest) return;
    const r = options.next();
    const stage = stageAt(now());
    client.requestIterator.currentRequest.requestBuffer = requestBuffer(host, path, r);
    inflight.set(client, { stage, site: r.site, cls: r.cls });
    (perStage[stage] as (typeof perStage)[number]).sent++;
    sentTotal++;
    doRequest.call(client);
  };
  const max = load.kind === 'closed' ? (load.max ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;

  const setupClient = (client: AcClient) => {
    client.rate = undefined;
    if (!doRequest) doRequest = Object.getPrototypeOf(client)._doRequest as (this: AcClient) => void;
    // Called by autocannon when the connection is free: at connect, after each answer,
    // and after a reconnect (then the request in flight, if any, is lost).
    client._doRequest = function (this: AcClient) {
      const lostOne = inflight.get(this);
      if (lostOne) {
        inflight.delete(this);
        (perStage[lostOne.stage] as (typeof perStage)[number]).lost++;
      }
      if (load.kind === 'closed') {
        if (sending && sentTotal < max) send(this);
      } else idle.push(this);
    };
    client.on('response', (status, _bytes, ms) => {
      const sent = inflight.get(client);
      if (!sent) return;
      inflight.delete(client);
      const st = perStage[sent.stage] as (typeof perStage)[number];
      st.status[status] = (st.status[status] ?? 0) + 1;
      st.latency.add(ms);
      if (status >= 200 && status < 300) {
        st.acked++;
        let bySite = acked.get(sent.site);
        if (!bySite) {
          bySite = { pageview: 0, custom: 0, engagement: 0, bot: 0, gpc: 0, dnt: 0 };
          acked.set(sent.site, bySite);
        }
        bySite[sent.cls]++;
      }
    });
  };

  let finished: (value: { errors: number; timeouts: number }) => void = () => {};
  const done = new Promise<{ errors: number; timeouts: number }>((resolve) => {
    finished = resolve;
  });
  t0 = performance.now();
  const instance = autocannon(
    {
      url: options.origin + path,
      method: 'POST',
      body: '{}',
      connections: options.connections,
      duration: totalS + 30, // a bound only: we stop it ourselves
      timeout: options.timeoutS ?? 10,
      sampleInt: 100,
      setupClient,
      skipAggregateResult: true,
    },
    (error, result) => {
      if (error) throw error;
      finished(result);
    },
  );

  // The open-model scheduler: arrivals due by now along the profile, each to an idle connection.
  const due = (ms: number) => {
    let at = 0;
    let n = 0;
    for (const st of stages) {
      const len = st.seconds * 1000;
      const dt = Math.min(Math.max(ms - at, 0), len);
      const to = st.to ?? st.rate;
      n += (st.rate * dt + ((to - st.rate) * dt * dt) / (2 * len)) / 1000;
      at += len;
    }
    return Math.floor(n);
  };
  let issued = 0;
  let lastProgress = 0;
  let lastAcked = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const ms = now();
      if (load.kind === 'open') {
        const target = due(Math.min(ms, totalS * 1000));
        while (issued < target) {
          issued++;
          const client = idleHead < idle.length ? idle[idleHead++] : undefined;
          if (idleHead > 4096 && idleHead * 2 > idle.length) {
            idle.splice(0, idleHead);
            idleHead = 0;
          }
          if (client) send(client);
          else (perStage[stageAt(ms)] as (typeof perStage)[number]).dropped++;
        }
      }
      if (options.progress && ms - lastProgress > 250) {
        const ackedNow = perStage.reduce((s, p) => s + p.acked, 0);
        const rate = ((ackedNow - lastAcked) * 1000) / (ms - lastProgress);
        lastProgress = ms;
        lastAcked = ackedNow;
        const stage = stages[stageAt(ms)] as Stage;
        options.progress(
          `${stage.name} ${(ms / 1000).toFixed(1)}/${totalS}s  sent ${sentTotal}  acked ${ackedNow}  ${Math.round(rate)}/s`,
        );
      }
      if (ms >= totalS * 1000 || sentTotal >= max) {
        sending = false;
        resolve();
      } else setTimeout(tick, 1);
    };
    tick();
  });

  // Let the answers in flight arrive (bounded by the request timeout), then stop autocannon.
  const waitUntil = performance.now() + (options.timeoutS ?? 10) * 1000 + 1000;
  while (inflight.size > 0 && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 2));
  const elapsed = now() / 1000;
  for (const sent of inflight.values()) (perStage[sent.stage] as (typeof perStage)[number]).lost++;
  inflight.clear();
  instance.stop();
  await done;

  const results: StageResult[] = stages.map((st, i) => {
    const p = perStage[i] as (typeof perStage)[number];
    const seconds = i === stages.length - 1 && load.kind === 'closed' ? elapsed : st.seconds;
    return {
      name: st.name,
      offered: load.kind === 'open' ? (st.to === undefined ? st.rate : (st.rate + st.to) / 2) : 0,
      seconds,
      sent: p.sent,
      acked: p.acked,
      status: p.status,
      lost: p.lost,
      dropped: p.dropped,
      throughput: p.acked / seconds,
      latency: p.latency.summary(),
      p99Arrivals: p.latency.p99WithMissed(p.dropped),
    };
  });
  const kept = results.filter((_, i) => !stages[i]?.warmup);
  return {
    stages: kept,
    acked,
    sent: sentTotal,
    ackedTotal: perStage.reduce((s, p) => s + p.acked, 0),
    lost: perStage.reduce((s, p) => s + p.lost, 0),
    seconds: elapsed,
  };
}

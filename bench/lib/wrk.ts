/**
 * @module The closed-loop saturation rounds with wrk (`npm run bench -- --driver wrk`),
 * when wrk is installed (`apt-get install -y wrk`).
 *
 * wrk is C and much lighter than a Node load generator, so on a small machine it leaves
 * more CPU to the server: a higher (truer) HTTP ceiling. It has no arrival-rate mode
 * (that is wrk2), so the open-model scenarios stay on autocannon.
 *
 * The realistic stream is pre-generated (the same {@link TrafficStream}) into a file of raw
 * requests that a Lua script cycles through. wrk cannot say which request an answer
 * belongs to, nor wait for the answers in flight when it stops, so the loss check of a
 * wrk round is a bound: acknowledged ≤ counted ≤ acknowledged + connections.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRequest } from '../workload.ts';
import type { StageResult } from './drive.ts';
import { requestBuffer } from './drive.ts';

export function wrkVersion(): string | undefined {
  const result = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (result.error) return undefined;
  return /wrk (\S+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? 'unknown';
}

const SEPARATOR = '\x1e'; // ASCII record separator: in no request

const SCRIPT = `
local requests = {}
local classes = {}
local n = 0
local i = 0
ok = 0
bad = 0
sent = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for record in string.gmatch(data, "([^${SEPARATOR}]+)") do
    n = n + 1
    requests[n] = record
  end
  i = (id * 7919) % n
end

function request()
  i = i % n + 1
  sent = sent + 1
  return requests[i]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, reqs)
  local okAll, badAll, sentAll = 0, 0, 0
  for _, t in ipairs(threads) do
    okAll = okAll + t:get("ok")
    badAll = badAll + t:get("bad")
    sentAll = sentAll + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"duration_us":%d,"completed":%d,"ok":%d,"bad":%d,"sent":%d,"errors":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%f}\\n',
    summary.duration, summary.requests, okAll, badAll, sentAll,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
`;

interface WrkJson {
  duration_us: number;
  completed: number;
  ok: number;
  bad: number;
  sent: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** One closed-loop round: `connections` over one wrk thread, `seconds` long. */
export async function driveWrk(options: {
  origin: string;
  connections: number;
  seconds: number;
  requests: BenchRequest[];
  name: string;
}): Promise<{ stage: StageResult; sentWithInFlight: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'glimt-wrk-'));
  try {
    const host = new URL(options.origin).host;
    writeFileSync(
      join(dir, 'requests.bin'),
      options.requests.map((r) => requestBuffer(host, '/api/event', r).toString('latin1')).join(SEPARATOR),
      'latin1',
    );
    writeFileSync(join(dir, 'stream.lua'), SCRIPT);
    const args = [
      '-t1',
      `-c${options.connections}`,
      `-d${options.seconds}s`,
      '--timeout',
      '10s',
      '-s',
      join(dir, 'stream.lua'),
      `${options.origin}/api/event`,
      '--',
      join(dir, 'requests.bin'),
    ];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stderr.on('data', (chunk) => {
        out += chunk;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 30) * 1000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`wrk exited ${code}: ${out}`));
      });
    });
    const line = /WRK_JSON (\{.*\})/.exec(output)?.[1];
    if (!line) throw new Error(`wrk printed no summary: ${output}`);
    const w = JSON.parse(line) as WrkJson;
    const seconds = w.duration_us / 1e6;
    // Requests still in flight when wrk stops were sent but are neither answered nor errors.
    const stage: StageResult = {
      name: options.name,
      offered: 0,
      seconds,
      sent: w.ok + w.bad + w.errors,
      acked: w.ok,
      status: { '2xx': w.ok, other: w.bad },
      lost: w.errors,
      dropped: 0,
      throughput: w.ok / seconds,
      latency: {
        p50: w.p50 / 1000,
        p90: w.p90 / 1000,
        p99: w.p99 / 1000,
        max: w.max / 1000,
        mean: w.mean / 1000,
      },
      p99Arrivals: w.p99 / 1000, // a closed loop drops no arrival
    };
    return { stage, sentWithInFlight: w.sent };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

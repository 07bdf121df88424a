/**
 * @module The servers under load, each a child process: Glimt (`glimt serve`, the real
 * command) and the bare-Hono ceiling. Their CPU time and memory are read from
 * `/proc/<pid>` (Linux), so nothing in the server is changed to measure it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux Node runs on. */
const CLK_TCK = 100;

export interface Usage {
  /** User + system CPU time, ms. */
  cpuMs: number;
  rssBytes: number;
  /** Peak RSS of the process so far (VmHWM). */
  peakRssBytes: number;
  /**
   * The same CPU time by thread: the main thread (the event loop, which every request
   * waits for), threads at a lower priority (nice > 0: Glimt's count and query threads run
   * at nice 10), and the rest (libuv's pool, V8's helpers, and threads that have ended).
   */
  threads: { mainMs: number; sideMs: number; otherMs: number };
}

/** `/proc/<pid>[/task/<tid>]/stat` (proc(5)), after the command: state(0) … utime(11) stime(12) … nice(16). */
function readStat(path: string): { cpuMs: number; nice: number } {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK, nice: Number(fields[16]) };
}

/** RSS and its peak (VmHWM) from `/proc/<pid>/status`. */
function readMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

export function readUsage(pid: number): Usage | undefined {
  try {
    const { cpuMs } = readStat(`/proc/${pid}/stat`);
    let mainMs = 0;
    let sideMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const thread = readStat(`/proc/${pid}/task/${tid}/stat`);
        if (tid === String(pid)) mainMs = thread.cpuMs;
        else if (thread.nice > 0) sideMs += thread.cpuMs;
      } catch {
        // the thread ended meanwhile: its time is in the process's, under "other"
      }
    }
    return {
      cpuMs,
      ...readMemory(pid),
      threads: { mainMs, sideMs, otherMs: Math.max(0, cpuMs - mainMs - sideMs) },
    };
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` while running: peak and the series (for drift). */
export class RssSampler {
  readonly samples: { t: number; rss: number }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #t0 = performance.now();
  constructor(
    readonly pid: number,
    everyMs = 250,
  ) {
    this.#take();
    this.#timer = setInterval(() => this.#take(), everyMs);
    this.#timer.unref();
  }
  /** Only the status file: the CPU split would read every thread's stat file each sample. */
  #take() {
    try {
      const { rssBytes } = readMemory(this.pid);
      this.samples.push({ t: (performance.now() - this.#t0) / 1000, rss: rssBytes });
    } catch {
      // the process has exited
    }
  }
  stop(): { peak: number; first: number; last: number } {
    clearInterval(this.#timer);
    this.#take();
    const rss = this.samples.map((s) => s.rss);
    return { peak: Math.max(0, ...rss), first: rss[0] ?? 0, last: rss[rss.length - 1] ?? 0 };
  }
}

export interface Child {
  name: string;
  origin: string;
  port: number;
  pid: number;
  child: ChildProcess;
  dir: string;
  /** Glimt's database file (empty for the ceiling). */
  db: string;
  output(): string;
  usage(): Usage | undefined;
  /** SIGTERM and wait for the exit (then SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

const randomPort = () => 20_000 + Math.floor(Math.random() * 30_000);

async function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: string,
  dir: string,
  port: number,
  db: string,
  cwd = ROOT,
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!output.includes(ready)) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const pid = child.pid as number;
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    port,
    pid,
    child,
    dir,
    db,
    output: () => output,
    usage: () => readUsage(pid),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface GlimtOptions {
  sites: readonly string[];
  /** An existing database to serve (else a fresh one in a temp dir). */
  db?: string;
  /** Write a V8 CPU profile into this folder on exit (`node --cpu-prof`). */
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** Another checkout to run `collector/bin/glimt.js` from (A/B comparisons of a change). */
  root?: string;
}

/**
 * The Node flags `npm start` gives `glimt` in that checkout's package.json
 * (`node <flags> collector/bin/glimt.js serve`): the bench runs the server as users do.
 */
function startFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (pkg.scripts?.start ?? '').split(/\s+/);
  const script = words.indexOf('collector/bin/glimt.js');
  return words[0] === 'node' && script > 0 ? words.slice(1, script) : [];
}

/** `glimt serve` with a fresh SQLite file, trusting one proxy (the bench's X-Forwarded-For). */
export async function startGlimt(options: GlimtOptions): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'glimt-bench-'));
  const db = options.db ?? join(dir, 'glimt.db');
  const port = randomPort();
  const flags = startFlags(options.root ?? ROOT);
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    // One file per thread (tsx's loader runs in a worker): the largest is the main thread.
    flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  }
  return startChild(
    'glimt',
    [...flags, join(options.root ?? ROOT, 'collector/bin/glimt.js'), 'serve'],
    {
      PORT: String(port),
      GLIMT_HOST: '127.0.0.1',
      GLIMT_DB: db,
      GLIMT_SITES: options.sites.join(','),
      GLIMT_TRUST_PROXY: '1',
      GLIMT_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      ...options.env,
    },
    'glimt listening',
    dir,
    port,
    db,
    options.root ?? ROOT,
  );
}

/** The bare Hono `POST → 204` route (bench/ceiling-server.ts). */
export async function startCeiling(options: { cpuProfDir?: string } = {}): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'glimt-ceiling-'));
  const port = randomPort();
  const flags = ['--import', 'tsx'];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  }
  return startChild(
    'ceiling',
    [...flags, join(ROOT, 'bench/ceiling-server.ts')],
    { PORT: String(port) },
    'ceiling listening',
    dir,
    port,
    '',
  );
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

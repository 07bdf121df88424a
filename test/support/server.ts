/**
 * @module Starts the real Glimt (the `glimt serve` command) on a random port with a fresh
 * SQLite file, and collects everything it prints. Used by every suite under test/node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface RunningServer {
  url: string;
  port: number;
  dir: string;
  db: string;
  child: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no drain, no cleanup. */
  kill(): Promise<void>;
}

export interface ServerOptions {
  sites?: string[];
  env?: Record<string, string>;
  dir?: string;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  // A random port can be taken by another process on this machine: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 5 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startOnce(options: ServerOptions): Promise<RunningServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'glimt-test-'));
  const db = join(dir, 'glimt.db');
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const child = spawn(process.execPath, [join(ROOT, 'collector/bin/glimt.js'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      GLIMT_DB: db,
      GLIMT_SITES: (options.sites ?? ['example.com']).join(','),
      GLIMT_ADMIN_TOKEN: ADMIN_TOKEN,
      ...options.env,
    },
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
  while (!output.includes('glimt listening')) {
    if (child.exitCode !== null) throw new Error(`glimt exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`glimt did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    db,
    child,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A stats API GET with the admin token; throws on non-2xx. */
export async function getJson<T = unknown>(server: RunningServer, path: string): Promise<T> {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

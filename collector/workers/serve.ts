/**
 * @module The Worker (wrangler.toml `main`): `fetch` serves the app, `queue` commits events,
 * `scheduled` runs maintenance. Node's counterpart is `collector/node/serve.ts`.
 *
 * Each isolate builds its runtime on first use (settings, sites from `GLIMT_SITES`, the
 * admin token's hash, the app) and keeps it. If that fails (a malformed setting, D1 not
 * migrated yet), requests answer 500 naming the cause, and the next request tries again.
 */

import { consumeBatch } from './consume.ts';
import type { Env, WorkerHandlers } from './env.ts';
import { runMaintenance } from './maintenance.ts';
import { createWorkersRuntime, type WorkersOptions, type WorkersRuntime } from './runtime.ts';

export function createWorker(options: WorkersOptions = {}): WorkerHandlers {
  const log = options.log ?? ((line: string) => console.log(line));
  const runtimes = new WeakMap<Env, Promise<WorkersRuntime>>();
  const runtimeFor = (env: Env): Promise<WorkersRuntime> => {
    let runtime = runtimes.get(env);
    if (!runtime) {
      runtime = createWorkersRuntime(env, { ...options, log });
      runtime.catch(() => runtimes.delete(env));
      runtimes.set(env, runtime);
    }
    return runtime;
  };

  return {
    async fetch(request, env, ctx) {
      let runtime: WorkersRuntime;
      try {
        runtime = await runtimeFor(env);
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        const hint = /no such table/.test(cause) ? ' (run `wrangler d1 migrations apply glimt`)' : '';
        const message = `glimt could not start: ${cause}${hint}`;
        log(message);
        return Response.json({ error: message }, { status: 500 });
      }
      return runtime.app.fetch(request, env, ctx);
    },
    async queue(batch, env) {
      await consumeBatch(batch, await runtimeFor(env));
    },
    async scheduled(_controller, env) {
      await runMaintenance(await runtimeFor(env));
    },
  };
}

export default createWorker();

/**
 * @module Build step for Workers: the tracker script, prebuilt into a module the Worker imports.
 *
 * Node builds `/t.js` with esbuild at start; a Worker cannot run esbuild, so this runs first
 * (wrangler.toml `[build]`, before `wrangler dev` and `wrangler deploy`; the workers test
 * config calls it too). It uses the same builder and ETag as Node (`collector/node/tracker-script.ts`)
 * and writes `.wrangler/glimt/tracker.js`, which the Worker imports as `glimt-tracker-script`
 * (wrangler.toml `[alias]`).
 *
 *     node --import tsx collector/workers/build-tracker.ts
 */
import { fileURLToPath } from 'node:url';
import { loadTrackerScript } from '../node/tracker-script.ts';
import { writeBuiltModule } from './built-module.ts';

export const TRACKER_MODULE = fileURLToPath(new URL('../../.wrangler/glimt/tracker.js', import.meta.url));

export async function writeTrackerModule(path = TRACKER_MODULE): Promise<string> {
  return writeBuiltModule(path, await loadTrackerScript(), 'collector/workers/build-tracker.ts');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = await writeTrackerModule();
  console.log(`tracker script written to ${path}`);
}

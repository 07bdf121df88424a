/**
 * @module Builds the dashboard: `src/main.ts` bundled and minified by esbuild into one script,
 * `src/style.css` minified, and `index.html` as it is. In memory, like the tracker
 * (`tracker/build.ts`): the collector builds it at start on Node; on Workers,
 * `collector/workers/build-dashboard.ts` builds it before the Worker is bundled.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export interface DashboardSources {
  page: string;
  script: string;
  style: string;
}

export async function buildDashboard(): Promise<DashboardSources> {
  const result = await build({
    entryPoints: [here('./src/main.ts'), here('./src/style.css')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    outdir: 'out',
    legalComments: 'none',
    tsconfigRaw: {},
    write: false,
  });
  const output = (ext: string) => result.outputFiles.find((file) => file.path.endsWith(ext))?.text ?? '';
  return { page: await readFile(here('./index.html'), 'utf8'), script: output('.js'), style: output('.css') };
}

#!/usr/bin/env node
// The `glimt` command. Glimt is written in TypeScript. At start, esbuild bundles the
// collector into one JavaScript module (about 70 ms) and Node runs that: a TypeScript
// loader in the process (tsx) would cost about 30 MB of memory for as long as it runs.
// GLIMT_TSX=1 runs the sources through tsx instead (source maps, no build).
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';

// A collector's live data is small (tens of MB) while it allocates fast: grow the old
// generation in smaller steps, so that memory follows the live data. Measured at 5k events/s:
// peak RSS 298 → 214 MB (bench/README.md). The young generation's size cannot be changed once
// Node runs: `npm start` gives `--max-semi-space-size=4` on the command line (package.json;
// about 25 MB less at 5k events/s than the default, p99 unchanged), and `npx glimt serve` takes it from
// `NODE_OPTIONS`. The same flags given on the command line or in NODE_OPTIONS win. `npm start`
// also gives `--single-threaded-gc` (README, "Memory"), which V8 refuses to take once it runs.
const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
if (!given.includes('--heap-growing-percent')) v8.setFlagsFromString('--heap-growing-percent=20');

const entry = fileURLToPath(new URL('../node/cli.ts', import.meta.url));

async function runThroughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(entry).href);
}

/** Bundles the collector next to its sources (a per-process file) and returns its path. */
async function bundle() {
  const { build, stop } = await import('esbuild');
  // One file per process: tests start many collectors at once from the same checkout.
  const outfile = fileURLToPath(new URL(`../.build/glimt-${process.pid}.mjs`, import.meta.url));
  try {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Packages stay imports, resolved from node_modules as usual (better-sqlite3 is native).
      packages: 'external',
      logLevel: 'silent',
      plugins: [
        {
          // Modules find their files next to them (`new URL('../migrations/', import.meta.url)`):
          // each keeps the URL of its own source file, not the bundle's.
          name: 'own-import-meta-url',
          setup(b) {
            b.onLoad({ filter: /\.ts$/ }, async (args) => ({
              contents: (await readFile(args.path, 'utf8')).replaceAll(
                'import.meta.url',
                JSON.stringify(pathToFileURL(args.path).href),
              ),
              loader: 'ts',
            }));
          },
        },
      ],
    });
    return outfile;
  } finally {
    await stop(); // esbuild's service process is not needed any more
  }
}

if (process.env.GLIMT_TSX === '1') {
  await runThroughTsx();
} else {
  let outfile;
  try {
    outfile = await bundle();
  } catch (error) {
    // A read-only install cannot hold the bundle: the sources run through tsx instead.
    console.error(
      `glimt: no bundle (${error instanceof Error ? error.message.split('\n')[0] : error}); running through tsx`,
    );
  }
  if (outfile === undefined) {
    await runThroughTsx();
  } else {
    try {
      await import(pathToFileURL(outfile).href);
    } finally {
      await rm(outfile, { force: true });
    }
  }
}

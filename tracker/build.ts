/**
 * @module Builds the tracker script with esbuild: a minified IIFE, in memory, from `src/script.ts`.
 *
 * The collector calls it once at start to serve `GET /t.js`; `size.test.ts` holds it to its budget.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { INGEST_PATH } from '../collector/core/protocol.ts';

const ENTRY = fileURLToPath(new URL('./src/script.ts', import.meta.url));

export async function buildTracker(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    // Every browser with sendBeacon, fetch keepalive and optional chaining: nothing to lower.
    target: 'es2020',
    // The path comes from the one wire-protocol source, as a literal in the script's bytes.
    define: { GLIMT_INGEST_PATH: JSON.stringify(INGEST_PATH) },
    legalComments: 'none',
    // Not tsconfig.json: its `strict` would prepend "use strict", 13 bytes that change nothing here.
    tsconfigRaw: {},
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}

/**
 * @module Builds the tracker script with esbuild: a minified IIFE, in memory.
 * (Placeholder until the tracker issue lands: an empty script that does nothing.)
 */
import { build } from 'esbuild';

export async function buildTracker(): Promise<string> {
  const result = await build({
    stdin: { contents: '', loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'iife',
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}

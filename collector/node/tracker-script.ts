/**
 * @module The tracker script for `GET /t.js`, built once at start (esbuild takes ~50 ms).
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { buildTracker } from '../../tracker/build.ts';

export async function loadTrackerScript(): Promise<{ body: string; etag: string }> {
  const body = await buildTracker();
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/** Compressed once at start: a visitor downloads ~640 bytes (brotli) instead of ~1250. */
export function compressTracker(tracker: { body: string; etag: string }) {
  const raw = Buffer.from(tracker.body);
  return {
    ...tracker,
    gzip: new Uint8Array(gzipSync(raw, { level: 9 })),
    br: new Uint8Array(
      brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }),
    ),
  };
}

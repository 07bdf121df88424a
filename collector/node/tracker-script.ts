/**
 * @module The tracker script for `GET /t.js`, built once at start (esbuild takes ~50 ms).
 */
import { createHash } from 'node:crypto';
import { buildTracker } from '../../tracker/build.ts';

export async function loadTrackerScript(): Promise<{ body: string; etag: string }> {
  const body = await buildTracker();
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

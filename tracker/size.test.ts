/**
 * The size budget: every visitor downloads the script, so it has to stay smaller than any
 * rival's (Plausible's legacy script ~726 B gzip, Medama's 764 B, Umami's ~2.5 KB).
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { INGEST_PATH } from '../collector/core/protocol.ts';
import { buildTracker } from './build.ts';

const BUDGET_GZIP = 1024;
const code = await buildTracker();

describe('the tracker script', () => {
  it(`is at most ${BUDGET_GZIP} bytes gzip`, () => {
    const raw = Buffer.byteLength(code);
    const gzip = gzipSync(code, { level: 9 }).length;
    const brotli = brotliCompressSync(code).length;
    console.log(`tracker t.js: ${raw} B raw, ${gzip} B gzip, ${brotli} B brotli`);
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP);
  });

  it('is one minified IIFE that posts to the protocol path', () => {
    expect(code.trim().split('\n')).toHaveLength(1);
    expect(code.startsWith('(()=>{')).toBe(true);
    expect(code).toContain(JSON.stringify(INGEST_PATH));
  });

  it('holds nothing of the protocol but its path: types are imported type-only', () => {
    expect(code).not.toMatch(/maxEngagedMs|utm_source|bodyBytes/);
  });

  it('touches no cookie and no browser storage', () => {
    expect(code).not.toMatch(/cookie|localStorage|sessionStorage|indexedDB|caches/i);
  });

  it('writes nothing to the console', () => {
    expect(code).not.toMatch(/console\./);
  });
});

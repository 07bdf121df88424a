/** `GET /t.js` on the real app: compressed variants, per-variant ETags, revalidation, caching headers. */
import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcess } from '../support/in-process.ts';

let server: InProcessServer;
beforeAll(async () => {
  server = await startInProcess({ 'example.com': {} }, { GLIMT_GEO: 'off' });
});
afterAll(() => server.close());

function get(
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${server.url}/t.js`, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      })
      .on('error', reject);
  });
}

describe('GET /t.js', () => {
  it('serves brotli, gzip or identity by Accept-Encoding, all the same script', async () => {
    const plain = await get({});
    const br = await get({ 'accept-encoding': 'gzip, deflate, br' });
    const gzip = await get({ 'accept-encoding': 'gzip' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length);
    for (const response of [plain, br, gzip]) {
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(response.headers['cache-control']).toMatch(/max-age=86400/);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(new Set([plain, br, gzip].map((r) => r.headers.etag)).size).toBe(3);
  });

  it('answers 304 to its own ETag', async () => {
    const first = await get({ 'accept-encoding': 'br' });
    const again = await get({ 'accept-encoding': 'br', 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });
});

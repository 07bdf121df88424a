/**
 * Privacy invariants 1 and 2 on Workers (CONTRACT.md): the client address Cloudflare gives
 * the Worker (`CF-Connecting-IP`) is truncated before anything is written, so no full
 * address reaches D1 (every row of every table is dumped and searched), the Queue (every
 * message body), or a log line (the Worker's log port and every console method). Also:
 * no response sets a cookie. The on-disk D1 files of `wrangler dev` are searched in
 * wrangler-dev.node.test.ts.
 */
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from './call.ts';
import { dumpTables } from './d1-tables.ts';
import { ADMIN_TOKEN } from './parity-stream.ts';
import worker, { consumed, logs } from './worker.ts';

const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';

/** Each client: the address as sent, the forms it could be written in, and a stretch of its raw bytes. */
const CLIENTS = [
  { ip: '195.159.103.82', texts: ['195.159.103.82'], bytes: [195, 159, 103, 82] },
  { ip: '203.0.113.201', texts: ['203.0.113.201'], bytes: [203, 0, 113, 201] },
  {
    ip: '2001:db8:abcd:12:3456:789a:bcde:f012',
    texts: [
      '2001:db8:abcd:12:3456:789a:bcde:f012',
      '2001:0db8:abcd:0012:3456:789a:bcde:f012',
      '3456:789a:bcde:f012',
    ],
    bytes: [0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12],
  },
  {
    ip: '::ffff:198.51.100.23',
    texts: ['198.51.100.23', '::ffff:198.51.100.23', '::ffff:c633:6417'],
    bytes: [198, 51, 100, 23],
  },
];
/** An address a client may claim in X-Forwarded-For: Workers must ignore it altogether. */
const FORGED = '192.0.2.99';

const printed: string[] = [];
const responses: Response[] = [];

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
      original(...args);
    });
  }
  consumed.keep = true;
  const before = consumed.messages;
  let queued = 0;
  for (const [i, { ip }] of CLIENTS.entries()) {
    const headers = { 'user-agent': UA, 'cf-connecting-ip': ip, 'x-forwarded-for': `${FORGED}, ${ip}` };
    const events: [Record<string, unknown>, Record<string, string>?][] = [
      [
        {
          site: 'example.com',
          name: 'pageview',
          url: `https://example.com/a?utm_source=x&ip=${ip}`,
          referrer: `https://ref.example/?ip=${ip}`,
        },
      ],
      [{ site: 'example.com', name: 'engagement', url: 'https://example.com/a', engaged_ms: 3000 + i }],
      [{ site: 'example.com', name: 'signup', url: 'https://example.com/a', props: { ip } }],
      [{ site: 'example.com', name: 'pageview', url: 'https://example.com/b' }, { dnt: '1' }],
      [
        { site: 'example.com', name: 'pageview', url: 'https://example.com/b' },
        { 'user-agent': 'curl/8.5.0' },
      ],
      // Refused ones: their error messages must not carry the address either.
      [{ site: 'nope.example', name: 'pageview', url: 'https://nope.example/' }],
      [{ site: 'example.com', name: 'pageview', url: 'not a url' }],
    ];
    for (const [body, extra] of events) {
      const response = await call('/api/event', {
        method: 'POST',
        headers: { ...headers, ...extra },
        body: JSON.stringify(body),
        cf: { country: 'NO' },
      });
      if (response.status === 202) queued++;
      responses.push(response);
      printed.push(await response.clone().text());
    }
  }
  const deadline = Date.now() + 30_000;
  while (consumed.messages < before + queued) {
    if (Date.now() > deadline) throw new Error('queue not drained');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  consumed.keep = false;
  // Stats, an export and the maintenance job write and log too.
  const day = new Date().toISOString().slice(0, 10);
  const auth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  for (const path of ['/api/stats/aggregate?', '/api/stats/breakdown?by=referrer&', '/api/export?']) {
    const response = await call(`${path}site=example.com&from=${day}&to=${day}`, auth);
    responses.push(response);
    printed.push(await response.clone().text());
  }
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now() }), env, {} as never);
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('on Workers, no full client address is kept', () => {
  it('took the events: the addresses were read, and as distinct visitors', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const auth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const aggregate = await (
      await call(`/api/stats/aggregate?site=example.com&from=${day}&to=${day}`, auth)
    ).json();
    expect(aggregate).toMatchObject({ visitors: CLIENTS.length, pageviews: CLIENTS.length });
    expect(consumed.kept.length).toBeGreaterThanOrEqual(CLIENTS.length * 5);
  });

  it('in D1: every row of every table', async () => {
    const dump = await dumpTables(env.DB);
    expect(Object.keys(dump)).toEqual(
      expect.arrayContaining(['visitor', 'salt', 'rollup_hour', 'rollup_day']),
    );
    const text = JSON.stringify(dump, (_key, value) =>
      value instanceof ArrayBuffer ? [...new Uint8Array(value)] : value,
    );
    for (const client of CLIENTS) {
      for (const form of [...client.texts, FORGED]) expect(text.includes(form), `${form} in D1`).toBe(false);
    }
    // Blobs (the salts) and every other value, byte for byte.
    const blobs = Object.values(dump)
      .flat()
      .flatMap((row) => Object.values(row as Record<string, unknown>))
      .map(toBytes);
    for (const client of CLIENTS) {
      for (const blob of blobs)
        expect(contains(blob, client.bytes), `${client.ip} as bytes in D1`).toBe(false);
    }
  });

  it('in the Queue: no message holds an address, truncated or not, or the User-Agent', () => {
    const text = JSON.stringify(consumed.kept.map((m) => m.body));
    for (const client of CLIENTS) for (const form of client.texts) expect(text).not.toContain(form);
    for (const prefix of ['195.159.103', '203.0.113', '2001:db8:abcd', '198.51.100', FORGED])
      expect(text).not.toContain(prefix);
    expect(text).not.toContain('Safari/605');
  });

  it('in the logs and answers', () => {
    const all = [...logs, ...printed].join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const client of CLIENTS)
      for (const form of [...client.texts, FORGED]) expect(all).not.toContain(form);
  });

  it('sets no cookie', () => {
    for (const response of responses) expect(response.headers.get('set-cookie')).toBeNull();
  });
});

function toBytes(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number'))
    return Uint8Array.from(value as number[]);
  return new TextEncoder().encode(String(value));
}

function contains(haystack: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

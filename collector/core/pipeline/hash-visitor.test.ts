import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeyedHash } from '../ports.ts';
import { hashVisitor } from './hash-visitor.ts';
import type { TruncatedIp } from './truncate-ip.ts';

// The Node adapter's HMAC, inlined: core tests must not import the runtime adapter.
const hmac: KeyedHash = (key, message) => createHmac('sha256', key).update(message).digest('hex');
const ip = '195.159.103.0' as TruncatedIp;
const salt = new Uint8Array(32).fill(7);

describe('hashVisitor', () => {
  it('is 128 bits of hex and stable for the same inputs', () => {
    const hash = hashVisitor(hmac, salt, 'example.com', ip, 'UA');
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(hashVisitor(hmac, salt, 'example.com', ip, 'UA')).toBe(hash);
  });

  it('changes with the salt, the site, the address and the User-Agent', () => {
    const base = hashVisitor(hmac, salt, 'example.com', ip, 'UA');
    expect(hashVisitor(hmac, new Uint8Array(32).fill(8), 'example.com', ip, 'UA')).not.toBe(base);
    expect(hashVisitor(hmac, salt, 'example.org', ip, 'UA')).not.toBe(base);
    expect(hashVisitor(hmac, salt, 'example.com', '195.159.104.0' as TruncatedIp, 'UA')).not.toBe(base);
    expect(hashVisitor(hmac, salt, 'example.com', ip, 'UA2')).not.toBe(base);
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    expect(loadConfig({}).config).toMatchObject({
      port: 8787,
      db: './data/glimt.db',
      sync: 'normal',
      sites: [],
      trust: { kind: 'none' },
    });
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT=/],
    [{ PORT: '70000' }, /^PORT=/],
    [{ GLIMT_SYNC: 'sometimes' }, /^GLIMT_SYNC=/],
    [{ GLIMT_SITES: 'ok.com,not a domain' }, /^GLIMT_SITES: "not a domain"/],
    [{ GLIMT_TRUST_PROXY: '10.0.0.0/99' }, /^GLIMT_TRUST_PROXY/],
    [{ GLIMT_ADMIN_TOKEN: 'short' }, /^GLIMT_ADMIN_TOKEN/],
  ])('stops on %j with one line naming it', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('warns about an unknown GLIMT_ setting, a likely typo', () => {
    const { warnings } = loadConfig({ GLIMT_SITE: 'example.com' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/GLIMT_SITE\b/);
  });

  it('reads sites and sync', () => {
    expect(
      loadConfig({ GLIMT_SITES: 'Example.com, shop.example.org', GLIMT_SYNC: 'full' }).config,
    ).toMatchObject({
      sites: ['example.com', 'shop.example.org'],
      sync: 'full',
    });
  });
});

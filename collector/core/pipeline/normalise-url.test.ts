import { describe, expect, it } from 'vitest';
import { belongsTo, normaliseUrl } from './normalise-url.ts';

describe('normaliseUrl', () => {
  it('keeps the path and the utm tags, drops every other query parameter and the fragment', () => {
    const page = normaliseUrl(
      'https://WWW.Example.com:8443/Shop/?email=a@b.c&utm_source=News&utm_medium=mail#top',
    );
    expect(page).toEqual({
      host: 'www.example.com',
      path: '/Shop',
      utm: { utm_source: 'News', utm_medium: 'mail' },
    });
    expect(JSON.stringify(page)).not.toContain('a@b.c');
  });

  it('decodes the path for reading, and survives a malformed escape', () => {
    expect(normaliseUrl('https://example.com/caf%C3%A9').path).toBe('/café');
    expect(normaliseUrl('https://example.com/100%').path).toBe('/100%');
  });

  it('keeps a hash route, without a query inside it, and drops other fragments', () => {
    expect(normaliseUrl('https://example.com/#/pricing?token=x').path).toBe('/#/pricing');
    expect(normaliseUrl('https://example.com/app#!/users/7').path).toBe('/app#!/users/7');
    expect(normaliseUrl('https://example.com/doc#section-2').path).toBe('/doc');
  });

  it('gives the root as /', () => {
    expect(normaliseUrl('https://example.com').path).toBe('/');
  });
});

describe('belongsTo', () => {
  it('accepts the site and its subdomains only', () => {
    expect(belongsTo('example.com', 'example.com')).toBe(true);
    expect(belongsTo('shop.example.com', 'example.com')).toBe(true);
    expect(belongsTo('badexample.com', 'example.com')).toBe(false);
    expect(belongsTo('example.com.evil.org', 'example.com')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { attributeSource } from './attribute-source.ts';

describe('attributeSource', () => {
  it.each([
    [
      'https://www.google.com/search?q=secret',
      undefined,
      { source: 'Google', referrer: 'google.com/search' },
    ],
    [
      'https://news.ycombinator.com/item?id=1',
      undefined,
      { source: 'Hacker News', referrer: 'news.ycombinator.com/item' },
    ],
    ['https://www.someblog.net/post/', undefined, { source: 'someblog.net', referrer: 'someblog.net/post' }],
    ['', undefined, { source: 'Direct', referrer: '(none)' }],
    ['not a url', undefined, { source: 'Direct', referrer: '(none)' }],
    ['https://www.google.com/', 'newsletter', { source: 'newsletter', referrer: 'google.com' }],
  ])('%s (utm_source %s)', (referrer, utm, expected) => {
    expect(attributeSource(referrer, utm, 'example.com')).toEqual(expected);
  });

  it('never takes the site itself, or its subdomains, as a source', () => {
    expect(attributeSource('https://example.com/pricing', undefined, 'example.com').source).toBe('Direct');
    expect(attributeSource('https://blog.example.com/', undefined, 'example.com').source).toBe('Direct');
  });
});

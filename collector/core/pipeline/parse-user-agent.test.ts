import { describe, expect, it } from 'vitest';
import { type Client, parseUserAgent, uaCacheSize } from './parse-user-agent.ts';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

const cases: Array<[string, string, Client]> = [
  [
    'Chrome on Windows',
    CHROME_WINDOWS,
    { browser: 'Chrome', browserVersion: 'Chrome 120', os: 'Windows', device: 'Desktop' },
  ],
  [
    'Safari on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
    { browser: 'Safari', browserVersion: 'Safari 17', os: 'macOS', device: 'Desktop' },
  ],
  [
    'Safari on iPhone',
    IPHONE_SAFARI,
    { browser: 'Safari', browserVersion: 'Safari 17', os: 'iOS', device: 'Mobile' },
  ],
  [
    'Safari on iPad',
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    { browser: 'Safari', browserVersion: 'Safari 16', os: 'iOS', device: 'Tablet' },
  ],
  [
    'Chrome on Android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
    { browser: 'Chrome', browserVersion: 'Chrome 120', os: 'Android', device: 'Mobile' },
  ],
  [
    'Chrome WebView on Android',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36',
    { browser: 'Chrome', browserVersion: 'Chrome 120', os: 'Android', device: 'Mobile' },
  ],
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    { browser: 'Samsung Internet', browserVersion: 'Samsung Internet 23', os: 'Android', device: 'Mobile' },
  ],
  [
    'Firefox on Linux',
    'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    { browser: 'Firefox', browserVersion: 'Firefox 121', os: 'Linux', device: 'Desktop' },
  ],
  [
    'Firefox on Ubuntu',
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    { browser: 'Firefox', browserVersion: 'Firefox 121', os: 'Linux', device: 'Desktop' },
  ],
  [
    'Edge on Windows',
    `${CHROME_WINDOWS} Edg/120.0.2210.91`,
    { browser: 'Edge', browserVersion: 'Edge 120', os: 'Windows', device: 'Desktop' },
  ],
  [
    'Opera on Windows',
    `${CHROME_WINDOWS} OPR/106.0.0.0`,
    { browser: 'Opera', browserVersion: 'Opera 106', os: 'Windows', device: 'Desktop' },
  ],
  [
    'Chrome on ChromeOS',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    { browser: 'Chrome', browserVersion: 'Chrome 120', os: 'ChromeOS', device: 'Desktop' },
  ],
  [
    'Chrome on an Android tablet',
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    { browser: 'Chrome', browserVersion: 'Chrome 120', os: 'Android', device: 'Tablet' },
  ],
  [
    'an unparsable UA',
    'something entirely different',
    { browser: 'Unknown', browserVersion: 'Unknown', os: 'Unknown', device: 'Desktop' },
  ],
];

describe('parseUserAgent', () => {
  it.each(cases)('%s', (_name, ua, expected) => {
    expect(parseUserAgent(ua, undefined)).toEqual(expected);
  });

  it('lets the screen width decide the device, at Plausible breakpoints', () => {
    expect(parseUserAgent(CHROME_WINDOWS, 575).device).toBe('Mobile');
    expect(parseUserAgent(CHROME_WINDOWS, 576).device).toBe('Tablet');
    expect(parseUserAgent(CHROME_WINDOWS, 991).device).toBe('Tablet');
    expect(parseUserAgent(CHROME_WINDOWS, 992).device).toBe('Desktop');
  });

  it('takes the device from the UA only when the width is missing or not positive', () => {
    expect(parseUserAgent(IPHONE_SAFARI, 1200).device).toBe('Desktop');
    expect(parseUserAgent(IPHONE_SAFARI, 0).device).toBe('Mobile');
    expect(parseUserAgent(IPHONE_SAFARI, Number.NaN).device).toBe('Mobile');
    expect(parseUserAgent(IPHONE_SAFARI, undefined).device).toBe('Mobile');
  });

  it('answers a repeated UA from the cache, with the same result', () => {
    const ua = `${CHROME_WINDOWS} cache-probe`;
    const first = parseUserAgent(ua, undefined);
    const size = uaCacheSize();
    expect(parseUserAgent(ua, undefined)).toEqual(first);
    expect(parseUserAgent(ua, 400)).toEqual({ ...first, device: 'Mobile' });
    expect(uaCacheSize()).toBe(size);
  });

  it('keys the cache on the 500 characters ua-parser-js reads', () => {
    const long = `${CHROME_WINDOWS} ${'x'.repeat(600)}`;
    parseUserAgent(`${long} one`, undefined);
    const size = uaCacheSize();
    expect(parseUserAgent(`${long} two`, undefined).browser).toBe('Chrome');
    expect(uaCacheSize()).toBe(size);
  });

  it('keeps the cache bounded', () => {
    for (let i = 0; i < 5000; i++) parseUserAgent(`${CHROME_WINDOWS} probe/${i}`, undefined);
    expect(uaCacheSize()).toBe(4096);
  });
});

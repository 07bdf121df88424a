import { describe, expect, it } from 'vitest';
import { parseEvent } from './parse-event.ts';

const ok = { site: 'example.com', name: 'pageview', url: 'https://example.com/' };
const body = (extra: Record<string, unknown>) => JSON.stringify({ ...ok, ...extra });

describe('parseEvent', () => {
  it('accepts a minimal pageview', () => {
    expect(parseEvent(JSON.stringify(ok))).toMatchObject({
      site: 'example.com',
      name: 'pageview',
      engagedMs: 0,
    });
  });

  it.each([
    ['{', /JSON/],
    ['[]', /object/],
    [body({ site: undefined }), /"site"/],
    [body({ name: '' }), /"name"/],
    [body({ name: 'x'.repeat(121) }), /"name".*120/],
    [body({ url: '/relative' }), /"url"/],
    [body({ url: 'javascript:alert(1)' }), /"url"/],
    [body({ referrer: 5 }), /"referrer"/],
    [body({ width: -1 }), /"width"/],
    [body({ width: 1.5 }), /"width"/],
    [body({ name: 'engagement' }), /"engaged_ms" is required/],
    [body({ name: 'engagement', engaged_ms: 86_400_001 }), /"engaged_ms"/],
    [body({ props: [] }), /"props"/],
    [body({ props: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) }), /30 keys/],
    [body({ props: { ['k'.repeat(301)]: 1 } }), /key/],
    [body({ props: { v: 'x'.repeat(2001) } }), /"props.v"/],
    [body({ props: { v: { nested: true } } }), /"props.v"/],
  ])('rejects %s with 400 naming the field', (input, message) => {
    const result = parseEvent(input);
    expect(result).toMatchObject({ reject: 400 });
    expect((result as { error: string }).error).toMatch(message);
  });

  it('accepts the limits themselves', () => {
    expect(parseEvent(body({ name: 'x'.repeat(120) }))).not.toHaveProperty('reject');
    expect(parseEvent(body({ name: 'engagement', engaged_ms: 86_400_000 }))).toMatchObject({
      engagedMs: 86_400_000,
    });
    const props = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i % 2 ? 'v' : true]));
    expect(parseEvent(body({ props }))).toMatchObject({ props });
  });

  it('ignores engaged_ms on other events', () => {
    expect(parseEvent(body({ engaged_ms: 5 }))).toMatchObject({ engagedMs: 0 });
  });
});

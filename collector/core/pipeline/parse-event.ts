/**
 * @module Step 1: parse and validate the body within the contract's limits.
 * Every rejection names the field, so that a site owner can fix the call.
 */
import { ENGAGEMENT, type EventPayload, LIMITS, type PropValue } from '../protocol.ts';
import { type Rejection, reject } from './drop.ts';

export type ParsedEvent = Required<Pick<EventPayload, 'site' | 'name' | 'url'>> & {
  referrer: string;
  width: number | undefined;
  engagedMs: number;
  props: Record<string, PropValue>;
};

const bad = (error: string): Rejection => reject(400, error);

export function parseEvent(body: string): ParsedEvent | Rejection {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return bad('body is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return bad('body must be a JSON object');
  }
  const input = data as Record<string, unknown>;

  const site = input.site;
  if (typeof site !== 'string' || site.length === 0) return bad('"site" is required and must be a string');
  if (site.length > LIMITS.siteChars) return bad(`"site" is longer than ${LIMITS.siteChars} characters`);

  const name = input.name;
  if (typeof name !== 'string' || name.length === 0) return bad('"name" is required and must be a string');
  if (name.length > LIMITS.eventNameChars) {
    return bad(`"name" is longer than ${LIMITS.eventNameChars} characters`);
  }

  const url = input.url;
  if (typeof url !== 'string' || url.length === 0) return bad('"url" is required and must be a string');
  if (url.length > LIMITS.urlChars) return bad(`"url" is longer than ${LIMITS.urlChars} characters`);
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) return bad('"url" must be an absolute http(s) URL');

  const referrer = input.referrer ?? '';
  if (typeof referrer !== 'string') return bad('"referrer" must be a string');
  if (referrer.length > LIMITS.referrerChars) {
    return bad(`"referrer" is longer than ${LIMITS.referrerChars} characters`);
  }

  const width = input.width;
  if (width !== undefined && width !== null && !isIntIn(width, 0, LIMITS.maxWidth)) {
    return bad(`"width" must be an integer from 0 to ${LIMITS.maxWidth}`);
  }

  let engagedMs = 0;
  if (name === ENGAGEMENT) {
    const ms = input.engaged_ms;
    if (ms === undefined || ms === null) return bad('"engaged_ms" is required on engagement events');
    if (!isIntIn(ms, 0, LIMITS.maxEngagedMs)) {
      return bad(`"engaged_ms" must be an integer from 0 to ${LIMITS.maxEngagedMs}`);
    }
    engagedMs = ms;
  }

  const parsed = parseProps(input.props);
  if ('reject' in parsed) return parsed;
  const props = parsed.props;

  return {
    site,
    name,
    url,
    referrer,
    width: typeof width === 'number' ? width : undefined,
    engagedMs,
    props,
  };
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function parseProps(value: unknown): { props: Record<string, PropValue> } | Rejection {
  if (value === undefined || value === null) return { props: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return bad('"props" must be an object');
  const entries = Object.entries(value);
  if (entries.length > LIMITS.propKeys) return bad(`"props" has more than ${LIMITS.propKeys} keys`);
  const props: Record<string, PropValue> = {};
  for (const [key, prop] of entries) {
    if (key.length === 0 || key.length > LIMITS.propKeyChars) {
      return bad(`"props" key must be 1 to ${LIMITS.propKeyChars} characters`);
    }
    if (typeof prop === 'string') {
      if (prop.length > LIMITS.propValueChars) {
        return bad(`"props.${key}" is longer than ${LIMITS.propValueChars} characters`);
      }
    } else if (typeof prop === 'number') {
      if (!Number.isFinite(prop)) return bad(`"props.${key}" must be a finite number`);
    } else if (typeof prop !== 'boolean') {
      return bad(`"props.${key}" must be a string, number or boolean`);
    }
    props[key] = prop;
  }
  return { props };
}

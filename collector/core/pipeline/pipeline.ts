/**
 * @module The ingest pipeline: one request in, one committable event (or a refusal) out.
 *
 * The steps run in this order, each in its own file, each ending the event with a
 * named drop or rejection when it must:
 *
 *   parse → check site → truncate IP → drop bots → opt-out → normalise URL →
 *   attribute source → parse User-Agent → country → hash visitor
 *
 * Sessionisation and aggregation come after, in batches (`aggregate/`), and the
 * batch is committed before the request is answered (`commit/group-commit.ts`).
 */
import { NONE } from '../dimensions.ts';
import type { Clock, CountryLookup, KeyedHash } from '../ports.ts';
import { ENGAGEMENT, PAGEVIEW } from '../protocol.ts';
import type { SiteRegistry } from '../sites.ts';
import { localTime } from '../time/zone.ts';
import { attributeSource } from './attribute-source.ts';
import type { Committable, EventKind } from './collected-event.ts';
import { type Rejection, reject } from './drop.ts';
import { isBotUserAgent } from './drop-bot.ts';
import { hashVisitor } from './hash-visitor.ts';
import { isPrefetch, optOutSignal } from './honour-opt-out.ts';
import { lookupCountry } from './lookup-country.ts';
import { belongsTo, normaliseUrl } from './normalise-url.ts';
import { parseEvent } from './parse-event.ts';
import { parseUserAgent } from './parse-user-agent.ts';
import type { Salts } from './salts.ts';
import { clientIp, type ProxyTrust } from './truncate-ip.ts';

export interface IngestRequest {
  body: string;
  header: (name: string) => string | undefined;
  /** The TCP peer address, when the runtime has one. Read only by `clientIp`. */
  peer: string | undefined;
  request: Request;
}

export interface PipelineDeps {
  sites: SiteRegistry;
  salts: Salts;
  keyedHash: KeyedHash;
  geo: CountryLookup;
  trust: ProxyTrust;
  clock: Clock;
}

export async function runPipeline(req: IngestRequest, deps: PipelineDeps): Promise<Committable | Rejection> {
  const input = parseEvent(req.body);
  if ('reject' in input) return input;

  // Known sites and held salts are answered without an await: two fewer turns per event.
  const domain = input.site.toLowerCase();
  const site = deps.sites.known(domain) ?? (await deps.sites.find(domain));
  if (!site) return reject(403, `"site": ${JSON.stringify(input.site)} is not a registered site`);
  const page = normaliseUrl(input.url);
  if (!belongsTo(page.host, site.domain)) {
    return reject(403, `"url": host ${JSON.stringify(page.host)} does not belong to site ${site.domain}`);
  }

  const time = deps.clock();
  const { bucket, day } = localTime(site.timezone, time);
  const ip = clientIp({ peer: req.peer, header: req.header }, deps.trust);

  const userAgent = req.header('user-agent') ?? '';
  if (isBotUserAgent(userAgent)) return { siteId: site.id, bucket, drop: 'bot' };
  if (isPrefetch(req.header)) return { siteId: site.id, bucket, drop: 'prefetch' };
  const optOut = optOutSignal(req.header, site.honourOptOut);
  if (optOut) return { siteId: site.id, bucket, drop: optOut };

  const { source, referrer } = attributeSource(input.referrer, page.utm.utm_source, site.domain);
  const client = parseUserAgent(userAgent, input.width);
  const country = lookupCountry(deps.geo, ip, req.request);
  const salt = deps.salts.held(site.id, day) ?? (await deps.salts.forDay(site.id, day));

  return {
    siteId: site.id,
    time,
    bucket,
    day,
    kind: kindOf(input.name),
    name: input.name,
    page: page.path,
    engagedMs: input.engagedMs,
    visitor: hashVisitor(deps.keyedHash, salt, site.domain, ip, userAgent),
    visit: {
      source,
      referrer,
      utm_source: page.utm.utm_source ?? NONE,
      utm_medium: page.utm.utm_medium ?? NONE,
      utm_campaign: page.utm.utm_campaign ?? NONE,
      utm_term: page.utm.utm_term ?? NONE,
      utm_content: page.utm.utm_content ?? NONE,
      browser: client.browser,
      browser_version: client.browserVersion,
      os: client.os,
      device: client.device,
      country,
    },
  };
}

function kindOf(name: string): EventKind {
  return name === PAGEVIEW ? 'pageview' : name === ENGAGEMENT ? 'engagement' : 'custom';
}

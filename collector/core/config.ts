/**
 * @module Settings, read from the environment (Node) or Worker variables, validated once.
 *
 * A malformed setting stops the start with one line naming it; an unknown `GLIMT_*`
 * variable is most likely a typo, so it is warned about, not fatal (CONTRACT.md, "Start").
 */
import { type ProxyTrust, parseProxyTrust } from './pipeline/truncate-ip.ts';
import { normaliseDomain } from './sites.ts';

export interface Config {
  port: number;
  host: string;
  db: string;
  sites: string[];
  adminToken: string | undefined;
  trust: ProxyTrust;
  sync: 'normal' | 'full';
  geo: boolean;
  queueMax: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const SETTINGS: Record<string, string> = {
  PORT: 'port to listen on (default 8787)',
  GLIMT_HOST: 'address to listen on (default: all)',
  GLIMT_DB: 'SQLite file (default ./data/glimt.db)',
  GLIMT_SITES: 'comma-separated domains to accept',
  GLIMT_ADMIN_TOKEN: 'admin token for the stats API',
  GLIMT_TRUST_PROXY: '1, or a CIDR list of trusted proxies',
  GLIMT_SYNC: 'normal or full',
  GLIMT_GEO: 'on or off: country lookup from the truncated IP',
  GLIMT_QUEUE_MAX: 'events waiting for commit before 503',
};

export const KNOWN_SETTINGS = Object.keys(SETTINGS);

export function loadConfig(env: Env): { config: Config; warnings: string[] } {
  const warnings = Object.keys(env)
    .filter((name) => name.startsWith('GLIMT_') && !(name in SETTINGS))
    .map((name) => `warning: unknown setting ${name} (known: ${KNOWN_SETTINGS.join(', ')})`);
  const config: Config = {
    port: integer(env, 'PORT', 8787, 0, 65_535),
    host: env.GLIMT_HOST || '::',
    db: env.GLIMT_DB || './data/glimt.db',
    sites: sites(env.GLIMT_SITES),
    adminToken: adminToken(env.GLIMT_ADMIN_TOKEN),
    trust: trust(env.GLIMT_TRUST_PROXY),
    sync: oneOf(env, 'GLIMT_SYNC', ['normal', 'full'] as const, 'normal'),
    geo: oneOf(env, 'GLIMT_GEO', ['on', 'off'] as const, 'on') === 'on',
    queueMax: integer(env, 'GLIMT_QUEUE_MAX', 50_000, 1, 10_000_000),
  };
  return { config, warnings };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(text)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, options: readonly T[], fallback: T): T {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!(options as readonly string[]).includes(text)) {
    throw new ConfigError(`${name}=${JSON.stringify(text)} must be one of ${options.join(', ')}`);
  }
  return text as T;
}

function sites(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const domain = normaliseDomain(entry);
      if (!domain) throw new ConfigError(`GLIMT_SITES: ${JSON.stringify(entry.trim())} is not a domain name`);
      return domain;
    });
}

function adminToken(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length < 16 || /\s/.test(text)) {
    throw new ConfigError('GLIMT_ADMIN_TOKEN must be at least 16 characters without spaces');
  }
  return text;
}

function trust(text: string | undefined): ProxyTrust {
  try {
    return parseProxyTrust(text);
  } catch (error) {
    throw new ConfigError(`GLIMT_TRUST_PROXY ${(error as Error).message}`);
  }
}

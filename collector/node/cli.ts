/**
 * @module The `glimt` command: serve, sites, share, export.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { newToken, sha256Hex } from '../core/auth.ts';
import { ConfigError, loadConfig } from '../core/config.ts';
import { checkSite, normaliseDomain, type SiteInputError } from '../core/sites.ts';
import { exportCsv } from '../core/stats/csv.ts';
import { parseFilters } from '../core/stats/filtered.ts';
import { parseRange } from '../core/stats/range.ts';
import { JournalLockedError } from '../sqlite/sqlite-journal.ts';
import { openSqliteStore } from '../sqlite/sqlite-store.ts';
import { startServer } from './serve.ts';

const USAGE = `usage:
  glimt serve
  glimt sites add DOMAIN [--tz Europe/Oslo] [--ignore-opt-out] [--retention-months 25]
  glimt sites list
  glimt sites remove DOMAIN
  glimt share add DOMAIN            prints a read-only stats token for one site
  glimt export --site S --from D --to D [--interval hour|day] [--filter dim:value]... [--out FILE]`;

class UsageError extends Error {}

/** How `sites add` names the option a `checkSite` error is about. */
const OPTION_OF: Record<SiteInputError['field'], string> = {
  domain: '',
  timezone: '--tz: ',
  retentionMonths: '--retention-months: ',
};

export async function main(argv: string[]): Promise<number> {
  const { config, warnings } = loadConfig(process.env);
  for (const warning of warnings) console.error(warning);
  const [command, sub, ...rest] = argv;
  if (command === 'serve' || command === undefined) {
    await startServer(config);
    return -1; // keep running
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  const store = openSqliteStore(config.db, config.sync);
  try {
    if (command === 'sites' && sub === 'add') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          tz: { type: 'string', default: 'UTC' },
          'ignore-opt-out': { type: 'boolean', default: false },
          'retention-months': { type: 'string', default: '25' },
        },
      });
      const checked = checkSite({
        domain: positionals[0],
        timezone: values.tz,
        retentionMonths: Number(values['retention-months']),
        honourOptOut: !values['ignore-opt-out'],
      });
      if ('field' in checked) throw new UsageError(`${OPTION_OF[checked.field]}${checked.message}`);
      const { domain, options } = checked;
      const existing = (await store.listSites()).find((site) => site.domain === domain);
      const site = existing ? await store.updateSite(domain, options) : await store.addSite(domain, options);
      console.log(`${existing ? 'updated' : 'added'} ${site?.domain} (time zone ${site?.timezone})`);
      return 0;
    }
    if (command === 'sites' && sub === 'list') {
      for (const site of await store.listSites()) {
        console.log(
          `${site.domain}\t${site.timezone}\topt-out ${site.honourOptOut ? 'honoured' : 'ignored'}\tretention ${site.retentionMonths} months`,
        );
      }
      return 0;
    }
    if (command === 'sites' && sub === 'remove') {
      const domain = requireDomain(rest[0]);
      if (!(await store.removeSite(domain))) throw new UsageError(`no site ${domain}`);
      console.log(`removed ${domain} and all its data`);
      return 0;
    }
    if (command === 'share' && sub === 'add') {
      const domain = requireDomain(rest[0]);
      const site = (await store.listSites()).find((s) => s.domain === domain);
      if (!site) throw new UsageError(`no site ${domain}`);
      const token = newToken('glimt_share');
      await store.addToken(await sha256Hex(token), { kind: 'share', siteId: site.id });
      console.log(token);
      return 0;
    }
    if (command === 'export') {
      const { values } = parseArgs({
        args: [sub ?? '', ...rest].filter(Boolean),
        options: {
          site: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          interval: { type: 'string', default: 'hour' },
          filter: { type: 'string', multiple: true },
          out: { type: 'string' },
        },
      });
      const domain = requireDomain(values.site);
      const site = (await store.listSites()).find((s) => s.domain === domain);
      if (!site) throw new UsageError(`--site: no site ${domain}`);
      const range = parseRange(values.from, values.to, site.timezone);
      if (typeof range === 'string') throw new UsageError(range);
      if (values.interval !== 'hour' && values.interval !== 'day')
        throw new UsageError('--interval must be hour or day');
      const filters = parseFilters(values.filter ?? []);
      if (typeof filters === 'string') throw new UsageError(`--${filters.replace(/^"filter"/, 'filter')}`);
      const csv = await exportCsv(store, site, range, values.interval, filters);
      if (values.out) writeFileSync(values.out, csv);
      else process.stdout.write(csv);
      return 0;
    }
    throw new UsageError(`unknown command: ${argv.join(' ')}`);
  } finally {
    await store.close();
  }

  function requireDomain(text: string | undefined): string {
    const domain = text && normaliseDomain(text);
    if (!domain)
      throw new UsageError(`a domain name is required${text ? `, not ${JSON.stringify(text)}` : ''}`);
    return domain;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error) => {
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof JournalLockedError) {
      console.error(`glimt: ${error.message}`);
      if (error instanceof UsageError) console.error(USAGE);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  },
);

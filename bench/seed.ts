/**
 * @module `npm run seed -- --site S --days N --pageviews M [--db FILE] [--end YYYY-MM-DD] [--seed K]`
 *
 * Synthetic history for the dashboard and the query benchmarks, through the real ingest
 * pipeline and group committer (bench/lib/seed.ts), with a progress bar. The database
 * defaults to GLIMT_DB or ./data/glimt.db, the file `npm start` serves.
 */
import { parseArgs } from 'node:util';
import { isoDay, seed } from './lib/seed.ts';

const USAGE = `usage: npm run seed -- --site example.com --days 365 --pageviews 1000000
  [--db FILE]          SQLite file (default: GLIMT_DB or ./data/glimt.db)
  [--end YYYY-MM-DD]   last day seeded (default: yesterday, UTC)
  [--pages N]          distinct pages of the site (default 3000, Zipf-distributed)
  [--seed K]           random seed (default 42)`;

export function progressBar(done: number, total: number, width = 30): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(share * 100).toFixed(1).padStart(5)}%`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      site: { type: 'string' },
      days: { type: 'string' },
      pageviews: { type: 'string' },
      db: { type: 'string' },
      end: { type: 'string' },
      pages: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const days = Number(values.days);
  const pageviews = Number(values.pageviews);
  if (!values.site || !Number.isInteger(days) || days < 1 || !Number.isInteger(pageviews) || pageviews < 1) {
    console.error(USAGE);
    return 2;
  }
  const db = values.db ?? process.env.GLIMT_DB ?? './data/glimt.db';
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let last = 0;
  const result = await seed({
    db,
    site: values.site,
    days,
    pageviews,
    ...(values.end === undefined ? {} : { end: values.end }),
    ...(values.pages === undefined ? {} : { pages: Number(values.pages) }),
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    progress: (done, total, day) => {
      const now = performance.now();
      if (now - last < (tty ? 200 : 5000)) return;
      last = now;
      const rate = done / ((now - started) / 1000);
      const eta = rate > 0 ? (total - done) / rate : 0;
      const line = `seed ${progressBar(done, total)} ${done}/${total} pageviews  ${day}  ${Math.round(rate)}/s  eta ${Math.round(eta)}s`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else console.error(line);
    },
  });
  if (tty) process.stderr.write(`\r${progressBar(1, 1)}\x1b[K\n`);
  console.log(
    `seeded ${result.site}: ${result.pageviews} pageviews (${result.events} events) from ${result.from} to ${result.to} into ${db} in ${result.seconds.toFixed(1)} s`,
  );
  console.log(
    `try: GLIMT_DB=${db} npm start, then the dashboard or /api/stats/aggregate?site=${result.site}&from=${result.from}&to=${result.to}`,
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

export { isoDay };

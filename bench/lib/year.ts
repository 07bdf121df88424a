/**
 * @module A year of seeded data for the query benchmark, cached under bench/results/cache/.
 *
 * Seeding runs the real pipeline (bench/lib/seed.ts) at some 10k events/s here, so 5M
 * pageviews (≈ 8.5M events) take several minutes: too long for every `npm run bench`.
 * The file is seeded once (`npm run bench -- --seed-year`) and reused; the default run
 * uses the largest cached year there is, or seeds a scaled-down year and says so.
 * A copy is served, so the cache stays as seeded.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tableBytes } from './pipeline-bench.ts';
import { type SeedResult, seed } from './seed.ts';
import { ROOT } from './servers.ts';

/** Bump when the workload or the seeder changes what a cached year holds. */
export const YEAR_VERSION = 4;
export const YEAR_SITE = 'news.example.com';
export const CACHE_DIR = join(ROOT, 'bench/results/cache');

export interface YearMeta extends SeedResult {
  version: number;
  seededAt: string;
  file: string;
  bytes: number;
  /** Bytes of rollup_hour + rollup_day (dbstat). */
  rollupBytes: number;
  /** Bytes of the visit grain: visit + visit_page + visit_event (dbstat). */
  visitGrainBytes: number;
}

const fileFor = (pageviews: number) => join(CACHE_DIR, `year-v${YEAR_VERSION}-${pageviews}.db`);

export function cachedYears(): YearMeta[] {
  if (!existsSync(CACHE_DIR)) return [];
  return readdirSync(CACHE_DIR)
    .filter((f) => f.startsWith(`year-v${YEAR_VERSION}-`) && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(CACHE_DIR, f), 'utf8')) as YearMeta)
    .filter((meta) => existsSync(meta.file))
    .map((meta) => (meta.visitGrainBytes === undefined ? { ...meta, ...grainBytes(meta.file) } : meta))
    .sort((a, b) => b.pageviews - a.pageviews);
}

/** Seeds a year of `pageviews` into the cache (replacing one of that size). */
export async function seedYear(
  pageviews: number,
  progress?: (done: number, total: number, day: string) => void,
): Promise<YearMeta> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = fileFor(pageviews);
  const tmp = `${file}.tmp`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const result = await seed({
    db: tmp,
    site: YEAR_SITE,
    days: 365,
    pageviews,
    seed: 2026,
    ...(progress ? { progress } : {}),
  });
  renameSync(tmp, file);
  const meta: YearMeta = {
    ...result,
    version: YEAR_VERSION,
    seededAt: new Date().toISOString(),
    file,
    bytes: statSync(file).size,
    ...grainBytes(file),
  };
  writeFileSync(file.replace(/\.db$/, '.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

function grainBytes(file: string): { rollupBytes: number; visitGrainBytes: number } {
  const db = new Database(file, { readonly: true });
  try {
    const sizes = tableBytes(db);
    const of = (...tables: string[]) => tables.reduce((sum, table) => sum + (sizes.get(table) ?? 0), 0);
    return {
      rollupBytes: of('rollup_hour', 'rollup_day'),
      visitGrainBytes: of('visit', 'visit_page', 'visit_event'),
    };
  } finally {
    db.close();
  }
}

/** A copy of the cached file to serve (the server writes to what it serves). */
export function copyYear(meta: YearMeta, dir: string): string {
  const copy = join(dir, 'year.db');
  copyFileSync(meta.file, copy);
  return copy;
}

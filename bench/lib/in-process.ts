/**
 * @module The real runtime in this process, without HTTP: `createNodeRuntime` (the same
 * store, committer and ports as `glimt serve`) with a clock the caller moves, and each
 * event sent through `runPipeline` then `committer.submit` — what `POST /api/event` does
 * after reading the request. Used by the seeder and the pipeline benchmark.
 */
import { loadConfig } from '../../collector/core/config.ts';
import type { Committable } from '../../collector/core/pipeline/collected-event.ts';
import type { Rejection } from '../../collector/core/pipeline/drop.ts';
import {
  type IngestRequest,
  type PipelineDeps,
  runPipeline,
} from '../../collector/core/pipeline/pipeline.ts';
import { loadCountryDataset } from '../../collector/node/geo-dataset.ts';
import { createNodeRuntime, hmacSha256, type NodeRuntime } from '../../collector/node/runtime.ts';
import type { BenchRequest } from '../workload.ts';

export interface InProcess {
  runtime: NodeRuntime;
  deps: PipelineDeps;
  /** The time the pipeline and committer see, ms. */
  now: number;
  /** One event through the pipeline (not yet committed). */
  pipeline(request: BenchRequest): Promise<Committable | Rejection>;
  close(): Promise<void>;
}

const REQUEST = new Request('http://127.0.0.1/api/event', { method: 'POST' });

export async function openInProcess(db: string, sites: readonly string[], options: { clock?: boolean } = {}) {
  const { config } = loadConfig({ GLIMT_DB: db, GLIMT_TRUST_PROXY: '1' });
  const state = { now: Date.now() };
  const clock = options.clock === false ? Date.now : () => state.now;
  const runtime = await createNodeRuntime(config, { clock, log: () => {} });
  const known = new Set((await runtime.store.listSites()).map((s) => s.domain));
  for (const domain of sites) if (!known.has(domain)) await runtime.store.addSite(domain, {});
  await runtime.sites.reload();
  const deps: PipelineDeps = {
    sites: runtime.sites,
    salts: runtime.salts,
    keyedHash: hmacSha256,
    geo: config.geo ? loadCountryDataset() : { country: () => undefined },
    trust: config.trust,
    clock,
  };
  const inProcess: InProcess = {
    runtime,
    deps,
    get now() {
      return state.now;
    },
    set now(ms: number) {
      state.now = ms;
    },
    pipeline: (r) => runPipeline(ingestRequest(r), deps),
    close: () => runtime.close(),
  };
  return inProcess;
}

/** What the ingest route hands the pipeline for this request. */
export function ingestRequest(r: BenchRequest): IngestRequest {
  const headers: Record<string, string> = {
    'user-agent': r.userAgent,
    'content-type': r.contentType,
    'x-forwarded-for': r.ip,
    origin: `https://${r.site}`,
    ...r.headers,
  };
  return { body: r.body, header: (name) => headers[name.toLowerCase()], peer: '127.0.0.1', request: REQUEST };
}

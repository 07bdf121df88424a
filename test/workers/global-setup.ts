/**
 * Runs in Node before the workerd suites: builds the tracker module the Worker imports, and
 * plays the Node side of the parity test (parity.test.ts): the seeded stream through the
 * real Node app and SQLite (`startInProcess`), every stats answer recorded and handed to
 * the Workers side through vitest's `provide`.
 */
import type { TestProject } from 'vitest/node';
import type { TruncatedIp } from '../../collector/core/pipeline/truncate-ip.ts';
import { truncateAddress } from '../../collector/core/pipeline/truncate-ip.ts';
import { loadCountryDataset } from '../../collector/node/geo-dataset.ts';
import { writeDashboardModule } from '../../collector/workers/build-dashboard.ts';
import { writeTrackerModule } from '../../collector/workers/build-tracker.ts';
import { startInProcess } from '../support/in-process.ts';
import { closeAgents, postEvent } from '../support/post.ts';
import { ADMIN_TOKEN as NODE_ADMIN_TOKEN } from '../support/server.ts';
import {
  digestOf,
  eventHeaders,
  type NodeParity,
  orderKey,
  PARITY_VISITORS,
  parityPaths,
  parityStream,
  readAnswer,
  replay,
  STREAM_SITES,
} from './parity-stream.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    nodeParity: NodeParity;
  }
}

export default async function setup(project: TestProject) {
  await writeTrackerModule();
  await writeDashboardModule();
  // Only the workerd suites (the `workers` project) compare against Node.
  if (!project.vitest.projects.some((p) => p.name === 'workers')) return;
  project.provide('nodeParity', await nodeSide(Number(process.env.PARITY_VISITORS) || PARITY_VISITORS));
}

async function nodeSide(visitors: number): Promise<NodeParity> {
  const events = parityStream(visitors);
  const sites = Object.fromEntries(
    STREAM_SITES.map((s) => [s.domain, { timezone: s.timezone, honourOptOut: s.honourOptOut }]),
  );
  // The stream's client is the right-most X-Forwarded-For entry, as behind one proxy.
  const server = await startInProcess(sites, { GLIMT_TRUST_PROXY: '1' });
  try {
    const started = Date.now();
    const statuses = await replay(
      events,
      orderKey,
      async (event) => {
        const { 'user-agent': userAgent, ...headers } = eventHeaders(event);
        return (await postEvent(server.url, event.payload, { userAgent: userAgent ?? '', headers })).status;
      },
      64,
    );
    const replayMs = Date.now() - started;
    const answers: NodeParity['answers'] = [];
    for (const path of parityPaths()) {
      const response = await fetch(server.url + path, {
        // startInProcess stores the hash of test/support's token.
        headers: { authorization: `Bearer ${NODE_ADMIN_TOKEN}` },
      });
      answers.push({ path, status: response.status, body: await readAnswer(response) });
    }
    // What Cloudflare would put in request.cf.country, emulated with the dataset Node uses.
    const geo = loadCountryDataset();
    const probe = new Request('http://localhost/');
    const countries = events.map(
      (e) => geo.country(truncateAddress(e.ip) ?? ('0.0.0.0' as TruncatedIp), probe) ?? null,
    );
    return { visitors, digest: await digestOf(events), statuses, countries, answers, replayMs };
  } finally {
    closeAgents();
    await server.close();
  }
}

/**
 * @module The fixture sites: a tiny static server on 127.0.0.1, a second origin beside the
 * collector, so that every event really crosses origins (and sites).
 *
 * Each fixture folder `NN_case/` is its own site, `NN-case.fixtures.localhost:PORT`:
 * Chromium resolves every `*.localhost` name to loopback (RFC 6761) without DNS, and the
 * collector accepts a page only when its host is the registered site (or a subdomain of
 * it), which an IP address like 127.0.0.1 could never be. One site per fixture keeps each
 * fixture's numbers apart.
 *
 * Every path of a fixture host answers its `index.html` (an SPA's server does the same),
 * with `{{COLLECTOR}}`, `{{SITE}}`, `{{DEAD_API}}` and `{{OUTSIDE}}` filled in, except:
 * `/t.js` (the tracker, built here: for the page whose collector is down), `/app.js` (the
 * fixture's `app.ts`, bundled), `/files/*` (204: a download that leaves the page in place),
 * `/blank` (a page without the tracker, to look at the site's storage).
 * Any other host (127.0.0.1 itself) is "outside": the target of outbound links.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildTracker } from '../../../tracker/build.ts';

export const FIXTURES_DIR = new URL('../fixtures/', import.meta.url).pathname;

/** `01_pageview` → `01-pageview.fixtures.localhost`: hostnames take no underscore. */
export const siteOf = (fixture: string): string => `${fixture.replaceAll('_', '-')}.fixtures.localhost`;

export const FIXTURES = readdirSync(FIXTURES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && /^\d\d_/.test(entry.name))
  .map((entry) => entry.name)
  .sort();

export interface FixtureServer {
  port: number;
  /** `http://NN-case.fixtures.localhost:PORT/` + path. */
  url(fixture: string, path?: string): string;
  /** Where outbound links go: this server under its IP, another host than any fixture. */
  outside: string;
  /** `{{DEAD_API}}`: an ingest URL where nothing listens, for a collector that is down. */
  deadApi: string;
  /** The collector's origin, for `{{COLLECTOR}}`; set once it runs. */
  collector: string;
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const tracker = await buildTracker();
  const deadApi = `http://127.0.0.1:${await closedPort()}/api/event`;
  const bySite = new Map(FIXTURES.map((fixture) => [siteOf(fixture), fixture]));
  const state = { collector: '' };

  const server = http.createServer((request, response) => {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const fixture = bySite.get(host);
    const send = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      response.end(body);
    };
    if (path === '/favicon.ico' || path.startsWith('/files/')) return send(204, 'text/plain', '');
    if (!fixture)
      return send(200, 'text/html; charset=utf-8', '<!doctype html><title>Outside</title><h1>Outside</h1>');
    if (path === '/blank')
      return send(200, 'text/html; charset=utf-8', '<!doctype html><title>Blank</title>');
    if (path === '/t.js') return send(200, 'text/javascript; charset=utf-8', tracker);
    if (path === '/app.js') {
      bundle(join(FIXTURES_DIR, fixture, 'app.ts')).then(
        (code) => send(200, 'text/javascript; charset=utf-8', code),
        (error: Error) => send(500, 'text/plain', error.message),
      );
      return;
    }
    const html = readFileSync(join(FIXTURES_DIR, fixture, 'index.html'), 'utf8')
      .replaceAll('{{COLLECTOR}}', state.collector)
      .replaceAll('{{SITE}}', host)
      .replaceAll('{{DEAD_API}}', deadApi)
      .replaceAll('{{OUTSIDE}}', `http://127.0.0.1:${port}`);
    send(200, 'text/html; charset=utf-8', html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: (fixture, path = '/') => `http://${siteOf(fixture)}:${port}${path}`,
    outside: `http://127.0.0.1:${port}`,
    deadApi,
    get collector() {
      return state.collector;
    },
    set collector(origin: string) {
      state.collector = origin;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function bundle(entry: string): Promise<string> {
  if (!existsSync(entry)) throw new Error(`no ${entry}`);
  const result = await build({ entryPoints: [entry], bundle: true, format: 'esm', write: false });
  return result.outputFiles[0]?.text ?? '';
}

/** A port that was free a moment ago and has nothing listening: "the collector is down". */
async function closedPort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

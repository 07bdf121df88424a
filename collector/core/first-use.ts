/**
 * @module What every runtime does before it serves: add the `GLIMT_SITES` domains and store
 * the admin token's hash. Node does it at start (`node/serve.ts`); Workers at an isolate's
 * first use (`workers/runtime.ts`).
 *
 * Several isolates (or a CLI beside a server) may start at once, so each write tolerates a
 * concurrent twin: a unique key that fails because another just wrote the same row is success.
 */
import { newToken, sha256Hex } from './auth.ts';
import type { Store } from './store.ts';

export async function ensureSites(store: Store, domains: readonly string[], log: (line: string) => void) {
  const known = new Set((await store.listSites()).map((site) => site.domain));
  for (const domain of domains) {
    if (known.has(domain)) continue;
    try {
      await store.addSite(domain, {});
      log(`added site ${domain} (from GLIMT_SITES)`);
    } catch (error) {
      const now = new Set((await store.listSites()).map((site) => site.domain));
      if (!now.has(domain)) throw error;
    }
  }
}

/**
 * The admin token is stored only as a hash. Without `GLIMT_ADMIN_TOKEN` (a secret on
 * Workers), one is generated and printed once to the log; on Workers prefer
 * `wrangler secret put GLIMT_ADMIN_TOKEN`, since isolates starting together may each make one.
 * A configured token that is new revokes the previous ones and their dashboard logins.
 */
export async function ensureAdminToken(
  store: Store,
  configured: string | undefined,
  log: (line: string) => void,
) {
  if (configured) {
    const hash = await sha256Hex(configured);
    if (await store.findToken(hash)) return;
    try {
      await store.addToken(hash, { kind: 'admin', siteId: null });
    } catch (error) {
      if (!(await store.findToken(hash))) throw error;
    }
    if ((await store.revokeOtherAdminTokens(hash)) > 0)
      log('GLIMT_ADMIN_TOKEN is new: the previous admin token and its dashboard logins no longer work');
    return;
  }
  if (await store.hasAdminToken()) return;
  const token = newToken('glimt_admin');
  await store.addToken(await sha256Hex(token), { kind: 'admin', siteId: null });
  log(`admin token (shown once, store it now): ${token}`);
}

/**
 * @module The tracker script for `GET /t.js` on Workers: built before the Worker is bundled
 * (`build-tracker.ts`), because a Worker cannot run esbuild. Node builds it at start.
 */
import tracker from 'glimt-tracker-script';

export function loadTrackerScript(): { body: string; etag: string } {
  return tracker;
}

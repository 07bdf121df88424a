/**
 * @module `POST /api/event`: run the pipeline, commit, answer.
 *
 * 202 only once the event (or its drop count) is committed; 4xx name their cause;
 * 503 with Retry-After when the commit queue is full, so nothing is silently lost.
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from '../app.ts';
import { runPipeline } from '../pipeline/pipeline.ts';
import { INGEST_PATH, LIMITS } from '../protocol.ts';

/**
 * CORS: any site may post (the tracker runs on the customer's origin), without credentials,
 * so no cookies. Given as the answer's only header, not through a middleware that sets it
 * afterwards: on Node that would turn each light answer into a full web Response with a
 * Headers object, a third of what the ingest route allocated per event (bench/README.md).
 */
const ANYONE = { 'Access-Control-Allow-Origin': '*' } as const;
const PREFLIGHT = {
  ...ANYONE,
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
} as const;

export function ingestRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.options(INGEST_PATH, (c) => c.body(null, 204, PREFLIGHT));
  const refuse = (c: Context, error: string, status: 400 | 403 | 413 | 503, retryAfter?: string) =>
    c.json({ error }, status, retryAfter ? { ...ANYONE, 'Retry-After': retryAfter } : ANYONE);
  const tooLarge = (c: Context) => refuse(c, `body is larger than ${LIMITS.bodyBytes} bytes`, 413);
  const streamedLimit = bodyLimit({ maxSize: LIMITS.bodyBytes, onError: tooLarge });
  app.post(
    INGEST_PATH,
    // A declared length is checked as it is. Only a chunked body goes through bodyLimit,
    // which reads the raw Request's stream: on Node that builds a whole web Request per
    // event, about half of ingest's CPU (bench/README.md).
    (c, next) => {
      const length = c.req.header('content-length');
      if (length === undefined) return streamedLimit(c, next);
      return Number(length) > LIMITS.bodyBytes ? tooLarge(c) : next();
    },
    async (c) => {
      const outcome = await runPipeline(
        {
          body: await c.req.text(),
          header: (name) => c.req.header(name),
          peer: deps.peerAddress(c),
          request: c.req.raw,
        },
        deps,
      );
      if ('reject' in outcome) return refuse(c, outcome.error, outcome.reject);
      const committed = deps.sink.submit(outcome);
      if (committed === 'overloaded') {
        return refuse(c, 'overloaded: the event was not taken, retry later', 503, '1');
      }
      try {
        await committed;
      } catch (error) {
        deps.log(`commit failed: ${error instanceof Error ? error.message : String(error)}`);
        return refuse(c, 'storage unavailable: the event was not taken, retry later', 503, '5');
      }
      return c.body(null, 202, ANYONE);
    },
  );
  return app;
}

/**
 * @module `POST /api/event`: run the pipeline, commit, answer.
 *
 * 202 only once the event (or its drop count) is committed; 4xx name their cause;
 * 503 with Retry-After when the commit queue is full, so nothing is silently lost.
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { AppDeps } from '../app.ts';
import { runPipeline } from '../pipeline/pipeline.ts';
import { INGEST_PATH, LIMITS } from '../protocol.ts';

export function ingestRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  // Any site may post: the tracker runs on the customer's origin. No credentials, so no cookies.
  app.use(INGEST_PATH, cors({ origin: '*', allowMethods: ['POST', 'OPTIONS'], maxAge: 86_400 }));
  const tooLarge = (c: Context) => c.json({ error: `body is larger than ${LIMITS.bodyBytes} bytes` }, 413);
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
      if ('reject' in outcome) return c.json({ error: outcome.error }, outcome.reject);
      const committed = deps.sink.submit(outcome);
      if (committed === 'overloaded') {
        c.header('Retry-After', '1');
        return c.json({ error: 'overloaded: the event was not taken, retry later' }, 503);
      }
      try {
        await committed;
      } catch (error) {
        deps.log(`commit failed: ${error instanceof Error ? error.message : String(error)}`);
        c.header('Retry-After', '5');
        return c.json({ error: 'storage unavailable: the event was not taken, retry later' }, 503);
      }
      return c.body(null, 202);
    },
  );
  return app;
}

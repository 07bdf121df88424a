/**
 * @module The Worker's bindings (wrangler.toml) and the few Workers runtime types used here.
 *
 * Declared locally instead of through `@cloudflare/workers-types`, whose globals clash with
 * the DOM and Node types the rest of the repository compiles against. Shapes from
 * https://developers.cloudflare.com/workers/runtime-apis/ (the real objects satisfy them).
 */
import type { D1Database } from '../d1/d1-types.ts';

/** A Queue producer binding. */
export interface Queue<Body> {
  send(
    body: Body,
    options?: { contentType?: 'json' | 'v8' | 'text' | 'bytes'; delaySeconds?: number },
  ): Promise<void>;
}

export interface Message<Body> {
  readonly id: string;
  /** When the message was first sent: the same on every delivery. */
  readonly timestamp: Date;
  readonly body: Body;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface MessageBatch<Body> {
  readonly queue: string;
  readonly messages: readonly Message<Body>[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}

export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  /** Set by the caller of a service binding or entrypoint; Hono passes it through. */
  props: unknown;
}

/** What `request.cf` carries that Glimt reads. */
export interface IncomingCf {
  country?: string;
}

/** The bindings: `DB` and `QUEUE` from wrangler.toml; the `GLIMT_*` settings as vars and secrets. */
export interface Env {
  DB: D1Database;
  QUEUE: Queue<unknown>;
  [setting: string]: unknown;
}

export interface WorkerHandlers {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
  queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void>;
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>;
}

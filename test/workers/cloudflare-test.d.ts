/**
 * The parts of vitest-pool-workers' `cloudflare:test` and workerd's `cloudflare:workers`
 * that these suites use, typed with the Worker's own binding types (collector/workers/env.ts)
 * rather than `@cloudflare/workers-types`, which would clash with the DOM and Node globals.
 */
declare module 'cloudflare:test' {
  import type { D1Database } from '../../collector/d1/d1-types.ts';
  import type { ExecutionContext, MessageBatch, ScheduledController } from '../../collector/workers/env.ts';

  export interface D1Migration {
    name: string;
    queries: string[];
  }
  export function applyD1Migrations(db: D1Database, migrations: D1Migration[], table?: string): Promise<void>;
  export function createExecutionContext(): ExecutionContext;
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>;
  export function createScheduledController(options?: {
    scheduledTime?: Date | number;
    cron?: string;
  }): ScheduledController;
  export function createMessageBatch<Body = unknown>(
    queueName: string,
    messages: { id: string; timestamp: Date; body: Body; attempts: number }[],
  ): MessageBatch<Body>;
  export function getQueueResult(
    batch: MessageBatch<unknown>,
    ctx: ExecutionContext,
  ): Promise<{
    outcome: string;
    ackAll: boolean;
    retryBatch: { retry: boolean };
    explicitAcks: string[];
    retryMessages: { msgId: string }[];
  }>;
  export const SELF: {
    fetch(input: string | Request | URL, init?: RequestInit & { cf?: unknown }): Promise<Response>;
  };
}

declare module 'cloudflare:workers' {
  import type { D1Migration } from 'cloudflare:test';
  import type { Env } from '../../collector/workers/env.ts';

  export const env: Env & { TEST_MIGRATIONS: D1Migration[]; GLIMT_ADMIN_TOKEN: string };
}

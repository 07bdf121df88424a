/**
 * @module The few D1 types the store uses, declared here rather than pulling in
 * `@cloudflare/workers-types`, whose globals clash with the DOM and Node types the rest of
 * the repository compiles against. Shapes from
 * https://developers.cloudflare.com/d1/worker-api/ (the real binding satisfies them).
 */

/** What `bind` takes: D1 maps numbers, strings, null and byte arrays to SQLite values. */
export type D1Value = string | number | null | ArrayBuffer | ArrayBufferView;

export interface D1Meta {
  duration?: number;
  rows_read?: number;
  rows_written?: number;
  changes?: number;
  /** Database size in bytes after the statement. */
  size_after?: number;
}

export interface D1Result<T = Record<string, unknown>> {
  results: T[];
  success: boolean;
  meta: D1Meta;
}

export interface D1PreparedStatement {
  bind(...values: D1Value[]): D1PreparedStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>;
}

export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  /** One round trip, one transaction: a failing statement rolls back all of them. */
  batch<T = Record<string, unknown>>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
  exec(sql: string): Promise<unknown>;
}

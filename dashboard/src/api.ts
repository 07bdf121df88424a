/**
 * @module The stats API as the dashboard calls it: same origin, the session cookie, and
 * errors as readable messages (the API names the cause in `{"error"}`).
 */
import type { API_PATHS } from '../../collector/core/protocol.ts';
import type { DayRange } from './period.ts';
import { type DashboardState, filterParam } from './state.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  } catch {
    throw new ApiError(0, 'Glimt could not be reached: check the connection and try again.');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = body && typeof body === 'object' && 'error' in body ? String(body.error) : undefined;
    throw new ApiError(response.status, error ?? `${response.status} ${response.statusText || 'error'}`);
  }
  return body as T;
}

export const postJson = <T>(path: string, body: unknown, method = 'POST') =>
  api<T>(path, { method, body: JSON.stringify(body) });

/** The query of a stats request: site, days, filters, and any extra parameters. */
export function statsQuery(
  state: DashboardState,
  range: DayRange,
  extra: Record<string, string> = {},
  withFilters = true,
): string {
  const query = new URLSearchParams({ site: state.site ?? '', from: range.from, to: range.to, ...extra });
  if (withFilters) for (const filter of state.filters) query.append('filter', filterParam(filter));
  return query.toString();
}

export const statsUrl = (
  path: (typeof API_PATHS)[keyof typeof API_PATHS],
  state: DashboardState,
  range: DayRange,
  extra: Record<string, string> = {},
  withFilters = true,
): string => `${path}?${statsQuery(state, range, extra, withFilters)}`;

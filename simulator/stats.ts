import type { FaultType } from './faults.js';
import type { SignatureScheme } from './signature.js';

export type EndpointClass = 'log' | 'object' | 'info' | 'other';

/** Counters keyed by HTTP status as a string, or 'reset' for a destroyed connection. */
export type StatusCounts = Record<string, number>;

export interface AccountStats {
  requests: {
    total: number;
    byClass: Record<EndpointClass, StatusCounts>;
    byEndpoint: Record<string, StatusCounts>;
  };
  /** Requests that passed signature verification, by the scheme that matched. */
  signatures: Record<SignatureScheme, number>;
  faults: Record<FaultType, number>;
  /**
   * When each log request that was served (not refused with 429) arrived, by the simulator clock: a
   * benchmark checks from these that no minute held more requests than the account's limit.
   */
  logRequestTimesMs: number[];
}

function emptyFaults(): Record<FaultType, number> {
  return { serverError: 0, rateLimit: 0, reset: 0, slow: 0, truncated: 0, malformed: 0, schemaDrift: 0, typeDrift: 0, stuckCursor: 0 };
}

export function emptyStats(): AccountStats {
  return {
    requests: { total: 0, byClass: { log: {}, object: {}, info: {}, other: {} }, byEndpoint: {} },
    signatures: { 'v2-sha1': 0, 'v2-sha512': 0, v5: 0 },
    faults: emptyFaults(),
    logRequestTimesMs: [],
  };
}

function bump(counts: StatusCounts, status: string): void {
  counts[status] = (counts[status] ?? 0) + 1;
}

export function recordRequest(stats: AccountStats, endpointClass: EndpointClass, endpoint: string, status: number | 'reset', nowMs?: number): void {
  const key = String(status);
  if (endpointClass === 'log' && status !== 429 && nowMs !== undefined) stats.logRequestTimesMs.push(nowMs);
  stats.requests.total++;
  bump(stats.requests.byClass[endpointClass], key);
  const perEndpoint = stats.requests.byEndpoint[endpoint] ?? {};
  bump(perEndpoint, key);
  stats.requests.byEndpoint[endpoint] = perEndpoint;
}

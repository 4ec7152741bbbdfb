import { invalidParameter, missingParameter, type DuoFailure } from '../duo-errors.js';
import { RETENTION_MS, type EventCursor, type SortOrder } from '../timeline.js';
import { parseLimit, type Query } from './context.js';

export interface LogWindow {
  mintime: number;
  maxtime: number;
  limit: number;
  sort: SortOrder;
  cursor: EventCursor | undefined;
}

const MILLIS = /^\d{13}$/;

/**
 * `next_offset` as "ts,id" in one value, or as two repeated values (Duo staff's example for
 * authentication logs), in either order.
 */
function parseCursor(values: string[]): EventCursor | undefined | 'invalid' {
  if (values.length === 0) return undefined;
  let parts: string[];
  if (values.length === 1) {
    const comma = (values[0] ?? '').indexOf(',');
    if (comma === -1) return 'invalid';
    parts = [(values[0] ?? '').slice(0, comma), (values[0] ?? '').slice(comma + 1)];
  } else if (values.length === 2) {
    parts = MILLIS.test(values[0] ?? '') ? values : [values[1] ?? '', values[0] ?? ''];
  } else {
    return 'invalid';
  }
  const [ts, id] = parts;
  if (ts === undefined || id === undefined || !MILLIS.test(ts) || id === '') return 'invalid';
  return { ts: Number(ts), id };
}

/** Validates the v2 log parameters with Duo's codes and messages. */
export function parseLogWindow(query: Query, nowMs: number): LogWindow | DuoFailure {
  const rawMin = query.get('mintime');
  const rawMax = query.get('maxtime');
  if (rawMin === undefined) return missingParameter('mintime');
  if (rawMax === undefined) return missingParameter('maxtime');
  if (!MILLIS.test(rawMin)) return invalidParameter("'mintime' must be a timestamp in milliseconds");
  if (!MILLIS.test(rawMax)) return invalidParameter("'maxtime' must be a timestamp in milliseconds");
  const mintime = Number(rawMin);
  const maxtime = Number(rawMax);
  if (mintime < nowMs - RETENTION_MS) return invalidParameter('mintime must be within the past 180 days');
  if (maxtime <= mintime) return invalidParameter("'maxtime' must be strictly greater than 'mintime'");
  const limit = parseLimit(query.get('limit'), 100, 1000);
  if (limit === undefined) return invalidParameter('limit');
  const rawSort = query.get('sort') ?? 'ts:desc';
  if (rawSort !== 'ts:asc' && rawSort !== 'ts:desc') return invalidParameter('sort');
  const cursor = parseCursor(query.getAll('next_offset'));
  if (cursor === 'invalid') return invalidParameter('next_offset');
  return { mintime, maxtime, limit, sort: rawSort === 'ts:asc' ? 'asc' : 'desc', cursor };
}

export function isFailure(value: LogWindow | DuoFailure): value is DuoFailure {
  return 'code' in value;
}

import { DuoMalformedResponseError } from './errors.js';

/**
 * One page as the sync consumes it: the items, and the cursor to resume after them (`null` when
 * the listing is complete). Cursors are plain numbers or strings, so callers can store them in
 * Postgres and heartbeat them.
 */
export interface Page<T, C extends string | number> {
  items: T[];
  next: C | null;
}

/** A page of an offset-paged list, with the list's length as Duo counted it for this request. */
export interface OffsetPage<T> extends Page<T, number> {
  /** `metadata.total_objects`, or null when Duo did not send a count. */
  totalObjects: number | null;
}

/** What a fetcher of an offset-paged list returns for one request. */
export interface OffsetPageResult<T> {
  items: T[];
  nextOffset: number | null;
  totalObjects: number | null;
}

/** What a fetcher of a v2 log page returns for one request. */
export interface CursorPageResult<T> {
  items: T[];
  nextCursor: string | null;
}

function notAdvancing(endpoint: string, what: string): DuoMalformedResponseError {
  return new DuoMalformedResponseError({ status: 200, duoCode: null, endpoint }, `${what} did not advance`, 'metadata.next_offset');
}

/**
 * Offset/limit paging (users, groups): metadata at the top level; `next_offset` absent or null
 * means done. Fetches lazily, so at most one page is held.
 */
export async function* offsetPages<T>(
  endpoint: string,
  fetchPage: (offset: number) => Promise<OffsetPageResult<T>>,
  startOffset = 0,
): AsyncGenerator<OffsetPage<T>, void, undefined> {
  let offset = startOffset;
  for (;;) {
    const { items, nextOffset, totalObjects } = await fetchPage(offset);
    if (nextOffset !== null && nextOffset <= offset) throw notAdvancing(endpoint, 'next_offset');
    yield { items, next: nextOffset, totalObjects };
    if (nextOffset === null) return;
    offset = nextOffset;
  }
}

/** The millisecond timestamp leading a `"ts_ms,id"` cursor, if it has one. */
function cursorTimestamp(cursor: string | null): number | null {
  const match = cursor === null ? null : /^(\d+),/.exec(cursor);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/**
 * Keyset paging of v2 logs: the cursor Duo returns in `response.metadata.next_offset`, null or
 * absent when done. The same window is resent with each cursor. A cursor equal to the one just
 * sent, or one that moves back in time (pages are requested in ascending order), would loop, so
 * it is refused as a malformed response.
 */
export async function* logCursorPages<T>(
  endpoint: string,
  fetchPage: (cursor: string | null) => Promise<CursorPageResult<T>>,
  startCursor: string | null = null,
): AsyncGenerator<Page<T, string>, void, undefined> {
  let cursor = startCursor;
  for (;;) {
    const { items, nextCursor } = await fetchPage(cursor);
    if (nextCursor !== null && nextCursor === cursor) throw notAdvancing(endpoint, 'next_offset');
    const sentTs = cursorTimestamp(cursor);
    const nextTs = cursorTimestamp(nextCursor);
    if (sentTs !== null && nextTs !== null && nextTs < sentTs) throw notAdvancing(endpoint, 'next_offset');
    yield { items, next: nextCursor };
    if (nextCursor === null) return;
    cursor = nextCursor;
  }
}

/**
 * The authentication log's `next_offset` (`[ts_ms, txid]`, or already comma-joined) as the
 * string cursor `"ts_ms,txid"` that is stored and sent back comma-joined.
 */
export function authCursorFromNextOffset(nextOffset: readonly [string | number, string] | string | null | undefined): string | null {
  if (nextOffset === null || nextOffset === undefined) return null;
  if (typeof nextOffset === 'string') return nextOffset;
  return `${nextOffset[0]},${nextOffset[1]}`;
}

/** Duo's fixed page size of v1 logs: "only the 1000 earliest events". */
export const V1_LOG_PAGE_SIZE = 1000;

/** Where a v1 log scan goes after one page. */
export interface MintimeStep {
  /** The next `mintime` (seconds), or null when the page was not full (done). */
  next: number | null;
  /**
   * The second the scan moved past without having read all of it, else null. Duo's v1 API cannot
   * page within a second, so rows of that second beyond this page are never returned.
   */
  overflowSecond: number | null;
}

/**
 * The step after a v1 log page. A full page continues from its latest timestamp, inclusive, so
 * events sharing that second are not lost (the caller dedupes the repeats); if the whole page
 * shares one second, that second cannot be paged further and the scan moves on by one second,
 * reporting the second as overflowed.
 */
export function nextMintimeStep(
  endpoint: string,
  mintimeSec: number,
  timestampsSec: readonly number[],
  pageSize: number = V1_LOG_PAGE_SIZE,
): MintimeStep {
  if (timestampsSec.length < pageSize) return { next: null, overflowSecond: null };
  let min = Infinity;
  let max = -Infinity;
  for (const ts of timestampsSec) {
    if (ts < min) min = ts;
    if (ts > max) max = ts;
  }
  if (max < mintimeSec) {
    throw new DuoMalformedResponseError({ status: 200, duoCode: null, endpoint }, 'events older than the requested mintime', 'response');
  }
  const candidate = min === max ? max + 1 : max;
  // A full page starting at mintime and ending at mintime (or earlier) would repeat itself.
  const next = candidate > mintimeSec ? candidate : mintimeSec + 1;
  return { next, overflowSecond: next > max ? max : null };
}

/** {@link nextMintimeStep}'s next `mintime` alone. */
export function nextMintime(
  endpoint: string,
  mintimeSec: number,
  timestampsSec: readonly number[],
  pageSize: number = V1_LOG_PAGE_SIZE,
): number | null {
  return nextMintimeStep(endpoint, mintimeSec, timestampsSec, pageSize).next;
}

/** A v1 log page: its rows, the next `mintime`, and the second it had to skip the rest of, if any. */
export interface MintimePage<T> extends Page<T, number> {
  overflowSecond: number | null;
}

/**
 * mintime scan of v1 logs (administrator): each call returns up to 1000 earliest events from
 * `mintime` (seconds), without metadata.
 */
export async function* mintimePages<T>(
  endpoint: string,
  fetchPage: (mintimeSec: number) => Promise<T[]>,
  timestampOf: (item: T) => number,
  startMintimeSec: number,
  pageSize: number = V1_LOG_PAGE_SIZE,
): AsyncGenerator<MintimePage<T>, void, undefined> {
  let mintime = startMintimeSec;
  for (;;) {
    const items = await fetchPage(mintime);
    const { next, overflowSecond } = nextMintimeStep(endpoint, mintime, items.map(timestampOf), pageSize);
    yield { items, next, overflowSecond };
    if (next === null) return;
    mintime = next;
  }
}

/** Flattens pages into items, for callers that do not checkpoint. */
export async function* pageItems<T>(pages: AsyncIterable<{ items: readonly T[] }>): AsyncGenerator<T, void, undefined> {
  for await (const page of pages) yield* page.items;
}

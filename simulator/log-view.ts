import type { SimAccount } from './account.js';
import type { LogKind } from './dataset.js';
import type { LatePublication } from './late-publication.js';
import { visibleRange, type EventCursor, type EventKey, type SortOrder, type Timeline } from './timeline.js';

/**
 * One account's log as Duo shows it at an instant: the requested window cut to the retention and
 * the two-minute delay and, for authentication events, without those published late and not out
 * yet. Paging, `total_objects` and the truth all read logs through this, so they agree.
 */
export interface LogView {
  timeline: Timeline;
  atMs: number;
  loMs: number;
  hiMs: number;
  late: LatePublication | undefined;
}

/**
 * Which events of a view's window: `visible` at its instant, `pending` (published later), or
 * `eventual` (both: what the window holds once every late event is out).
 */
export type Publication = 'visible' | 'pending' | 'eventual';
export const publications: readonly Publication[] = ['visible', 'pending', 'eventual'];

export function logView(account: SimAccount, kind: LogKind, atMs: number, minMs: number, maxMs: number): LogView {
  const { loMs, hiMs } = visibleRange(atMs, minMs, maxMs, account.logRetentionMs);
  return {
    timeline: account.dataset.timelines[kind],
    atMs,
    loMs,
    hiMs,
    late: kind === 'auth' ? account.latePublication : undefined,
  };
}

function isVisible(view: LogView, key: EventKey): boolean {
  return view.late === undefined || view.late.isPublished(view.timeline, key.bucket, key.index, view.atMs);
}

/** Visible events in sort order, strictly after `after` when given (lazy, like {@link Timeline.walk}). */
export function* walkVisible(view: LogView, order: SortOrder, after?: EventCursor): Generator<EventKey> {
  for (const key of view.timeline.walk(view.loMs, view.hiMs, order, after)) if (isVisible(view, key)) yield key;
}

/** Where pending events may start: every event before it is out (prefix sums count those). */
function settledBefore(view: LogView): number {
  return view.late === undefined ? Number.POSITIVE_INFINITY : view.late.settledBeforeMs(view.atMs);
}

/** Calls `visit` for each event of the window in `publication`, unsorted (see {@link Timeline.forEachInRange}). */
export function forEachEvent(view: LogView, publication: Publication, visit: (bucket: number, index: number) => void): void {
  const { late, timeline, atMs } = view;
  if (late === undefined || publication === 'eventual') {
    if (publication !== 'pending') timeline.forEachInRange(view.loMs, view.hiMs, visit);
    return;
  }
  const want = publication === 'visible';
  const split = settledBefore(view);
  if (want) timeline.forEachInRange(view.loMs, Math.min(view.hiMs, split - 1), visit);
  timeline.forEachInRange(Math.max(view.loMs, split), view.hiMs, (bucket, index) => {
    if (late.isPublished(timeline, bucket, index, atMs) === want) visit(bucket, index);
  });
}

/** Number of events of the window in `publication`; only the unsettled tail is scanned. */
export function countEvents(view: LogView, publication: Publication): number {
  const all = view.timeline.countRange(view.loMs, view.hiMs);
  if (publication === 'eventual' || view.late === undefined) return publication === 'pending' ? 0 : all;
  let pending = 0;
  forEachEvent(view, 'pending', () => pending++);
  return publication === 'pending' ? pending : all - pending;
}

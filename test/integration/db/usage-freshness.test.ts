import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents } from '../../../db/auth-events.js';
import { advanceBackfillWindow, openBackfillWindow } from '../../../db/backfill-windows.js';
import { transition } from '../../../integrations/transitions.js';
import { covers, getFreshness } from '../../../db/usage-freshness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent, connectUsageTenant, DAY_MS } from '../../helpers/usage-tenant.js';

const NOW_MS = Date.UTC(2026, 5, 15, 12, 0, 0);
const ANCHOR_MS = NOW_MS - 3_600_000;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

/** Day windows back from the anchor, as the initial sync cuts them; `done` says which finished. */
async function backfill(tenantId: string, done: (index: number) => boolean, windows = 100): Promise<void> {
  for (let i = 0; i < windows; i++) {
    const key = { tenantId, stream: 'auth', windowStartMs: ANCHOR_MS - (i + 1) * DAY_MS, windowEndMs: ANCHOR_MS - i * DAY_MS };
    await openBackfillWindow(database.db, key);
    if (done(i)) await advanceBackfillWindow(database.db, key, { cursor: null, done: true, events: 0 });
  }
}

async function running(tenantId: string, backfillDays = 100): Promise<void> {
  await connectUsageTenant(database.db, tenantId, {
    anchorAt: new Date(ANCHOR_MS),
    backfillStartAt: new Date(ANCHOR_MS - backfillDays * DAY_MS),
    completed: false,
  });
}

describe('covers', () => {
  it('needs the intervals to join up without a gap from start to end', () => {
    expect(covers([{ startMs: 0, endMs: 5 }, { startMs: 5, endMs: 10 }], 0, 10)).toBe(true);
    expect(covers([{ startMs: 5, endMs: 10 }, { startMs: 0, endMs: 5 }], 2, 8)).toBe(true);
    expect(covers([{ startMs: 0, endMs: 4 }, { startMs: 5, endMs: 10 }], 0, 10)).toBe(false);
    expect(covers([{ startMs: 1, endMs: 10 }], 0, 10)).toBe(false);
    expect(covers([{ startMs: 0, endMs: 9 }], 0, 10)).toBe(false);
  });

  it('treats an empty range as covered', () => {
    expect(covers([], 10, 10)).toBe(true);
    expect(covers([], 10, 5)).toBe(true);
  });
});

describe('getFreshness', () => {
  it('is undefined for a tenant without a Duo integration', async () => {
    expect(await getFreshness(database.db, 'nobody', [30], NOW_MS)).toBeUndefined();
  });

  it('marks a threshold complete once the windows done reach back to it', async () => {
    await running('reach');
    await backfill('reach', (i) => i < 45);
    const freshness = await getFreshness(database.db, 'reach', [30, 44, 46, 90], NOW_MS);
    expect(freshness?.thresholds).toEqual([
      { days: 30, complete: true },
      { days: 44, complete: true },
      { days: 46, complete: false },
      { days: 90, complete: false },
    ]);
    expect(freshness?.partial).toBe(true);
  });

  it('does not count a threshold complete across a window still missing in the middle', async () => {
    await running('gap');
    await backfill('gap', (i) => i !== 10);
    const freshness = await getFreshness(database.db, 'gap', [7, 30], NOW_MS);
    expect(freshness?.thresholds).toEqual([
      { days: 7, complete: true },
      { days: 30, complete: false },
    ]);
  });

  it('clips a threshold older than the backfill start to where the backfill starts', async () => {
    await running('short', 20);
    await backfill('short', () => true, 20);
    expect((await getFreshness(database.db, 'short', [90], NOW_MS))?.thresholds).toEqual([{ days: 90, complete: true }]);
  });

  it('is complete everywhere once the initial sync completed, with newest and oldest events from the counters', async () => {
    await running('done');
    await storeAuthEvents(database.db, 'done', [
      authEvent('t1', '2026-06-01T00:00:00.000001Z', 'DU1'),
      authEvent('t2', '2026-06-14T00:00:00.000002Z', 'DU1'),
    ]);
    expect((await getFreshness(database.db, 'done', [30], NOW_MS))?.partial).toBe(true);
    await transition.completeInitialSync(database.db, 'done');
    expect(await getFreshness(database.db, 'done', [30, 365], NOW_MS)).toMatchObject({
      initialSync: 'completed',
      newestEventAt: '2026-06-14T00:00:00.000002Z',
      oldestEventAt: '2026-06-01T00:00:00.000001Z',
      thresholds: [
        { days: 30, complete: true },
        { days: 365, complete: true },
      ],
      partial: false,
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuoClient, type DuoClientLogger } from '../../../duo/client.js';
import { closeDuoConnections } from '../../../duo/transport.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/*
 * Duo's v1 administrator log returns the 1000 earliest rows from `mintime` (seconds) and cannot page
 * within a second. An account with more than 1000 rows in one second shows what the client does then.
 */

const START = Date.UTC(2026, 2, 10, 12, 0, 0);
const clock = manualClock(START);
// The simulator caps a minute at 65 535 events: asking for far more fills every minute, ~1 090 rows a second.
const busy = makeAccount({
  dataset: { seed: 21, users: 30, groups: 3, authEvents: 100, days: 1, adminEvents: 1440 * 2_000_000, anchorMs: START },
});
const SECOND = Math.floor((START - 3_600_000) / 1000);
let sim: TestSimulator;

beforeAll(async () => {
  sim = await startTestSimulator([busy], { now: clock.now });
});

afterAll(async () => {
  await closeDuoConnections();
  await sim.close();
});

describe('administrator log with more rows in one second than a page holds', () => {
  it('moves on to the next second, marks the page and logs a warning naming only the time', async () => {
    const held = await sim.control.truth(busy.integrationKey, { mintime: SECOND * 1000, maxtime: SECOND * 1000 + 999 });
    expect(held.adminEvents.count).toBeGreaterThan(1000);

    const warnings: Array<{ message: string; meta: Record<string, unknown> | undefined }> = [];
    const logger: DuoClientLogger = { warn: (message, meta) => void warnings.push({ message, meta }) };
    const client = createDuoClient({ ...busy, originOverride: sim.origin, now: clock.now, logger });
    const pages = client.adminLogPages({ mintimeSec: SECOND });
    const first = await pages.next();
    await pages.return(undefined);

    const page = first.done ? expect.unreachable('expected a page') : first.value;
    expect(page.items).toHaveLength(1000);
    expect(new Set(page.items.map((row) => row.timestamp))).toEqual(new Set([SECOND]));
    expect(page).toMatchObject({ next: SECOND + 1, overflowSecond: SECOND });

    // Exactly the time and counts: nothing from the rows (administrators, users, objects).
    expect(warnings).toEqual([
      {
        message:
          `Duo administrator log: the second ${new Date(SECOND * 1000).toISOString()} holds more rows than one page (1000); ` +
          'Duo cannot page within a second, so the rows of that second beyond this page are skipped',
        meta: { endpoint: '/admin/v1/logs/administrator', overflowSecond: SECOND, rowsRead: 1000 },
      },
    ]);
  });
});

import type { Database } from '../db/client.js';
import { isPausedHoldingRow } from '../db/integrations.js';
import type { RequestBudget } from '../duo/client.js';
import { SyncPausedError } from '../errors/integration-errors.js';

/**
 * Wraps a tenant's request budget so that no Duo request starts once a pause has answered. Before
 * each request (after the budget's own wait) it reads the paused state in a transaction that keeps
 * a key-share lock on the integration row until the request is over; the pause transition locks the
 * row FOR UPDATE, so it commits (and its HTTP answer goes out) only after every request that found
 * the tenant unpaused has finished, and every later request finds it paused. Paused: the request
 * never starts and SyncPausedError goes up, at the page boundary (the previous page is committed).
 */
export function pauseGatedBudget(db: Database, tenantId: string, budget: RequestBudget): RequestBudget {
  // One open transaction per request in flight; a finished request ends any one of them (they hold the same lock).
  const held: (() => void)[] = [];
  return {
    async acquire(endpointClass, signal) {
      await budget.acquire(endpointClass, signal);
      await new Promise<void>((entered, refused) => {
        let inside = false;
        db.transaction(async (tx) => {
          if (await isPausedHoldingRow(tx, tenantId)) throw new SyncPausedError(tenantId);
          await new Promise<void>((release) => {
            held.push(release);
            inside = true;
            entered();
          });
        }).catch((error: unknown) => {
          // Before the request: it must not start. After: the lock is gone either way.
          if (!inside) refused(error);
        });
      });
    },
    async report(endpointClass, outcome) {
      // The lock first: the budget's own write must not wait behind a pause that waits for us.
      held.shift()?.();
      await budget.report(endpointClass, outcome);
    },
  };
}

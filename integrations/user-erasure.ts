import type { Queryable } from '../db/client.js';
import {
  deleteEventsBatch,
  deleteUserRollupsBatch,
  deleteUserRows,
  findPersonKeys,
  recordUserErasure,
  refreshLatestAfterUserErasure,
} from '../db/data-deletion.js';
import { requireIntegration } from '../db/integrations.js';
import type { EventTable } from '../db/event-partitions.js';
import { TenantPurgingError } from '../errors/integration-errors.js';

/** Rows per statement inside the erasure's transaction: bounds the memory of each step, not the transaction. */
const ERASURE_BATCH_ROWS = 5000;

export interface UserErasure {
  tenantId: string;
  userId: string;
  erasedAt: string;
  deleted: {
    authEvents: number;
    telephonyEvents: number;
    activityEvents: number;
    administratorEvents: number;
    rollupRows: number;
    userRows: number;
  };
}

/**
 * An erasure request for one person: their events in every stream that names them, their rows of the
 * daily rollups (and their share of each application's daily totals), their group memberships and
 * their user row. One transaction: a person's data is bounded (one person's authentications within
 * retention, thousands of rows, not millions), so readers never see the tenant's totals disagree
 * with its events, and a failure leaves nothing half erased. Repeating it deletes nothing more.
 * Unknown users are no error: nothing of theirs is stored, and the answer says so with zeros.
 */
export async function eraseUserData(db: Queryable, tenantId: string, userId: string): Promise<UserErasure> {
  const integration = await requireIntegration(db, tenantId);
  if (integration.status === 'purging') throw new TenantPurgingError(tenantId);
  return db.transaction(async (tx) => {
    const person = { tenantId, userId, ...(await findPersonKeys(tx, tenantId, userId)) };
    const events = async (table: EventTable) => {
      let total = 0;
      for (let n = ERASURE_BATCH_ROWS; n === ERASURE_BATCH_ROWS; total += n) n = await deleteEventsBatch(tx, table, person, ERASURE_BATCH_ROWS);
      return total;
    };
    const authEvents = await events('duo_auth_events');
    const telephonyEvents = await events('duo_telephony_events');
    const activityEvents = await events('duo_activity_events');
    const administratorEvents = await events('duo_admin_events');
    let rollupRows = 0;
    for (let n = -1; n !== 0; rollupRows += n) n = await deleteUserRollupsBatch(tx, tenantId, userId, ERASURE_BATCH_ROWS);
    await refreshLatestAfterUserErasure(tx, tenantId, userId);
    const userRows = await deleteUserRows(tx, tenantId, userId);
    const erasedAt = await recordUserErasure(tx, tenantId, userId);
    return {
      tenantId,
      userId,
      erasedAt: erasedAt.toISOString(),
      deleted: { authEvents, telephonyEvents, activityEvents, administratorEvents, rollupRows, userRows },
    };
  });
}

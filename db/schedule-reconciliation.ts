import { asc, eq, ne } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { duoIntegrations, reconcilerState } from './schema.js';

/**
 * What the schedule reconciler remembers in Postgres: per integration, the desired-state version it
 * last brought Temporal to (the version itself is raised by a trigger, see db/schema.ts), and per
 * job, when the last full sweep ran.
 */

/** Tenants whose desired schedule changed since reconciliation last matched it, in tenant order. */
export async function listTenantsPendingReconciliation(db: Queryable): Promise<string[]> {
  const rows = await db
    .select({ tenantId: duoIntegrations.tenantId })
    .from(duoIntegrations)
    .where(ne(duoIntegrations.scheduleDesiredVersion, duoIntegrations.scheduleReconciledVersion))
    .orderBy(asc(duoIntegrations.tenantId));
  return rows.map((row) => row.tenantId);
}

/**
 * Temporal matches the desired state of `version`. A change made since has a higher version, so the
 * tenant stays pending for the next pass.
 */
export async function markScheduleReconciled(db: Queryable, tenantId: string, version: number): Promise<void> {
  await db.update(duoIntegrations).set({ scheduleReconciledVersion: version }).where(eq(duoIntegrations.tenantId, tenantId));
}

/** Temporal could not be brought in line: the next pass, changed-only or not, tries again. */
export async function markScheduleUnreconciled(db: Queryable, tenantId: string): Promise<void> {
  // Desired versions start at 1, so 0 is never equal to one.
  await db.update(duoIntegrations).set({ scheduleReconciledVersion: 0 }).where(eq(duoIntegrations.tenantId, tenantId));
}

export interface ReconcilerState {
  lastPassAt: Date | null;
  lastFullSweepAt: Date | null;
  configFingerprint: string | null;
}

export async function readReconcilerState(db: Queryable, name: string): Promise<ReconcilerState | undefined> {
  const [row] = await db
    .select({ lastPassAt: reconcilerState.lastPassAt, lastFullSweepAt: reconcilerState.lastFullSweepAt, configFingerprint: reconcilerState.configFingerprint })
    .from(reconcilerState)
    .where(eq(reconcilerState.name, name));
  return row;
}

/** Records a pass; with `fullSweep`, also that every tenant and schedule was looked at, under these defaults. */
export async function recordReconcilerPass(db: Queryable, name: string, at: Date, fullSweep?: { configFingerprint: string }): Promise<void> {
  const values = fullSweep ? { lastPassAt: at, lastFullSweepAt: at, configFingerprint: fullSweep.configFingerprint } : { lastPassAt: at };
  await db
    .insert(reconcilerState)
    .values({ name, ...values })
    .onConflictDoUpdate({ target: reconcilerState.name, set: values });
}

/**
 * The integration's lifecycle vocabulary, in one place: the database's CHECK constraints
 * (db/schema.ts) and the TypeScript unions are both built from these lists. Node-free, so workflow
 * code may import its types.
 */

/** `purging`: disconnected, its data being deleted by the purge workflow; then `disconnected` with `purgedAt` (the tombstone). */
export const integrationStatuses = ['syncing', 'active', 'paused', 'needs_attention', 'disconnected', 'purging'] as const;
export const initialSyncStates = ['running', 'completed', 'failed'] as const;
export const initialSyncPhases = ['roster', 'auth_logs', 'finishing', 'done'] as const;

export const runOutcomes = ['completed', 'failed'] as const;

/** A purge: `stopping` the tenant's schedule and syncs, `deleting` its data batch by batch, `done`. */
export const purgePhases = ['stopping', 'deleting', 'done'] as const;

export type IntegrationStatus = (typeof integrationStatuses)[number];
export type InitialSyncState = (typeof initialSyncStates)[number];
export type InitialSyncPhase = (typeof initialSyncPhases)[number];
export type RunOutcome = (typeof runOutcomes)[number];
export type PurgePhase = (typeof purgePhases)[number];

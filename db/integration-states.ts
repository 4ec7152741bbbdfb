/**
 * The integration's lifecycle vocabulary, in one place: the database's CHECK constraints
 * (db/schema.ts) and the TypeScript unions are both built from these lists. Node-free, so workflow
 * code may import its types.
 */

export const integrationStatuses = ['syncing', 'active', 'paused', 'needs_attention', 'disconnected'] as const;
export const initialSyncStates = ['running', 'completed', 'failed'] as const;
export const initialSyncPhases = ['roster', 'auth_logs', 'finishing', 'done'] as const;

export const runOutcomes = ['completed', 'failed'] as const;

export type IntegrationStatus = (typeof integrationStatuses)[number];
export type InitialSyncState = (typeof initialSyncStates)[number];
export type InitialSyncPhase = (typeof initialSyncPhases)[number];
export type RunOutcome = (typeof runOutcomes)[number];

import type { Queryable, Transaction } from '../db/client.js';
import type { InitialSyncPhase, InitialSyncState, IntegrationStatus } from '../db/integration-states.js';
import {
  lockIntegration,
  resetFailureStreak,
  upsertIntegration,
  writeIntegrationState,
  type IntegrationRow,
  type IntegrationStateChange,
} from '../db/integrations.js';
import type { AppError } from '../errors/app-error.js';
import { IntegrationNotConnectedError, IntegrationTransitionRefusedError, TenantNotFoundError } from '../errors/integration-errors.js';
import type { FailureNote } from '../workflows/types.js';

/**
 * The integration's lifecycle as one state machine: the only code that changes its status, the initial
 * sync's state and phase, the schedule's desired pause and note, and the last error. Every transition
 * locks the row, checks the state it starts from against `transitionRules`, and writes the fields of
 * the next state together in one statement. A refused transition throws a typed error and changes
 * nothing; one that arrives late (a workflow reporting after a disconnect, a pause for a failure a
 * human has dealt with since) changes nothing and is no error. Deleting a purged tenant's data is
 * not a state change: `purgeTenantData` (db/integrations.ts) does it beside `purge`.
 */

/** Where a transition starts: the stored status, or no row (`absent`), or a tombstone (`purged`). */
export type LifecycleState = 'absent' | IntegrationStatus | 'purged';

export interface TransitionRule {
  /** The states it applies to. */
  from: readonly LifecycleState[];
  /** States it may arrive in late: it changes nothing there, and says so by returning false. */
  lateIn?: readonly LifecycleState[];
  /** The initial sync's state it also needs. */
  initialSync?: readonly InitialSyncState[];
}

const connected = ['syncing', 'active', 'paused', 'needs_attention'] as const satisfies readonly LifecycleState[];
const gone = ['disconnected', 'purged'] as const satisfies readonly LifecycleState[];
const stored = [...connected, ...gone];

export const transitionRules = {
  /** First connect, or connect after a purge: a fresh row and a new anchor; the initial sync starts. */
  connect: { from: ['absent', 'purged'] },
  /** Connect after a disconnect that kept the data: same anchor and cursors; an unfinished initial sync runs on. */
  reconnect: { from: ['disconnected'] },
  /** A PUT with working keys while the tenant needs attention: everything paused for it resumes. */
  recover: { from: ['needs_attention'] },
  /** A new initial-sync run after a failed one; its clock starts again. */
  restartInitialSync: { from: connected, initialSync: ['failed'] },
  recordPhase: { from: stored },
  /** Allowed after a disconnect too: the data is complete, so a reconnect need not sync it again. */
  completeInitialSync: { from: stored },
  failInitialSync: { from: connected, lateIn: gone },
  /** The keys were stored but Temporal did not start the sync: the status document says so. */
  recordStartFailure: { from: connected, lateIn: gone },
  pause: { from: connected },
  resume: { from: connected },
  /** A non-retryable failure or a failure streak of the recurring sync; the schedule is paused with a note. */
  needAttention: { from: connected, lateIn: gone },
  /** Runs after the failure was recorded; a PUT, resume or disconnect in between has dealt with it. */
  pauseForAttention: { from: ['needs_attention'], lateIn: ['syncing', 'active', 'paused', ...gone] },
  /** Repeatable: a second disconnect keeps the time of the first. */
  disconnect: { from: stored },
  /** The tombstone of a disconnect with purge: the next connect starts from scratch. */
  purge: { from: gone },
} as const satisfies Record<string, TransitionRule>;

export type TransitionName = keyof typeof transitionRules;

export function lifecycleStateOf(row: IntegrationRow | undefined): LifecycleState {
  if (!row) return 'absent';
  if (row.status === 'disconnected' && row.purgedAt) return 'purged';
  return row.status;
}

/** Whether `name` applies to the row as it is (`late`: it changes nothing); throws the refusal otherwise. */
export function checkTransition(name: TransitionName, tenantId: string, row: IntegrationRow | undefined): 'applies' | 'late' {
  const rule: TransitionRule = transitionRules[name];
  const state = lifecycleStateOf(row);
  if (rule.lateIn?.includes(state)) return 'late';
  if (!rule.from.includes(state)) throw refusal(name, rule, tenantId, state);
  if (row && rule.initialSync && !rule.initialSync.includes(row.initialSyncState)) {
    throw new IntegrationTransitionRefusedError(tenantId, name, `${state} with its initial sync ${row.initialSyncState}`);
  }
  return 'applies';
}

/** The caller's next step: connect the tenant, connect it again, or (any other refusal) fix a bug. */
function refusal(name: TransitionName, rule: TransitionRule, tenantId: string, state: LifecycleState): AppError {
  if (state === 'absent') return new TenantNotFoundError(tenantId);
  const needsConnected = rule.from.every((from) => connected.some((state) => state === from));
  if (needsConnected && (state === 'disconnected' || state === 'purged')) return new IntegrationNotConnectedError(tenantId);
  return new IntegrationTransitionRefusedError(tenantId, name, state);
}

/**
 * Runs one transition on the locked row: `next` gets the row it starts from and returns what to
 * write. False when the transition arrived late and wrote nothing.
 */
async function move(
  db: Queryable,
  tenantId: string,
  name: TransitionName,
  next: (current: IntegrationRow) => IntegrationStateChange,
  also?: (tx: Transaction) => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const current = await lockIntegration(tx, tenantId);
    if (checkTransition(name, tenantId, current) === 'late') return false;
    // Only `connect` applies to an absent row, and it does not come through here.
    if (!current) throw new TenantNotFoundError(tenantId);
    await writeIntegrationState(tx, tenantId, next(current));
    await also?.(tx);
    return true;
  });
}

/** Last error as its code, message and when it was recorded, or none. */
const lastError = (failure: FailureNote | null): IntegrationStateChange => ({
  lastErrorCode: failure?.code ?? null,
  lastErrorMessage: failure?.message ?? null,
  lastErrorAt: failure ? new Date() : null,
});

/** The status of a running schedule: `syncing` until the initial sync has completed. */
const runningStatus = (row: IntegrationRow): IntegrationStatus => (row.initialSyncState === 'completed' ? 'active' : 'syncing');

/** The schedule's note while a failure waits for a human (shown in the Temporal UI). */
export const attentionNote = (failure: FailureNote): string => `Paused by duo-usage-sync: ${failure.code}: ${failure.message}`.slice(0, 1000);

/** Keys as stored: the secret sealed, never in plaintext. */
export interface StoredCredentials {
  apiHost: string;
  integrationKey: string;
  secretKeySealed: string;
  encryptionKeyId: string;
}

export interface ConnectInput extends StoredCredentials {
  tenantId: string;
  anchorAt: Date;
  backfillStartAt: Date;
  initialSyncWorkflowId: string;
}

export const transition = {
  async connect(db: Queryable, input: ConnectInput): Promise<IntegrationRow> {
    return db.transaction(async (tx) => {
      checkTransition('connect', input.tenantId, await lockIntegration(tx, input.tenantId));
      const now = new Date();
      return upsertIntegration(tx, {
        ...input,
        status: 'syncing',
        initialSyncState: 'running',
        initialSyncPhase: 'roster',
        initialSyncRunId: null,
        initialSyncStartedAt: now,
        initialSyncCompletedAt: null,
        schedulePaused: false,
        pauseNote: null,
        ...lastError(null),
        consecutiveFailures: 0,
        connectedAt: now,
        disconnectedAt: null,
        purgedAt: null,
      });
    });
  },

  async reconnect(db: Queryable, tenantId: string, credentials: StoredCredentials): Promise<void> {
    await move(db, tenantId, 'reconnect', (current) => {
      const completed = current.initialSyncState === 'completed';
      return {
        ...credentials,
        status: runningStatus(current),
        initialSyncState: completed ? 'completed' : 'running',
        // An unfinished initial sync runs again from now on: its progress is measured from here.
        ...(completed ? {} : { initialSyncStartedAt: new Date() }),
        schedulePaused: false,
        pauseNote: null,
        ...lastError(null),
        consecutiveFailures: 0,
        connectedAt: new Date(),
        disconnectedAt: null,
      };
    });
  },

  /** A fresh streak too: the failures that led here are dealt with, the next one is the first again. */
  async recover(db: Queryable, tenantId: string): Promise<void> {
    await move(
      db,
      tenantId,
      'recover',
      (current) => ({ status: runningStatus(current), schedulePaused: false, pauseNote: null, ...lastError(null) }),
      (tx) => resetFailureStreak(tx, tenantId),
    );
  },

  /** A human pause stays: the restarted sync runs, the recurring one waits for resume. */
  async restartInitialSync(db: Queryable, tenantId: string): Promise<void> {
    await move(db, tenantId, 'restartInitialSync', (current) => ({
      status: current.status === 'paused' ? 'paused' : 'syncing',
      initialSyncState: 'running',
      // The new run's progress is measured from now: the time the failed run stood still is not its speed.
      initialSyncStartedAt: new Date(),
      ...lastError(null),
    }));
  },

  async recordPhase(db: Queryable, tenantId: string, phase: InitialSyncPhase): Promise<void> {
    await move(db, tenantId, 'recordPhase', () => ({ initialSyncPhase: phase }));
  },

  /** A paused or failing tenant keeps its status; only `syncing` becomes `active`. */
  async completeInitialSync(db: Queryable, tenantId: string): Promise<void> {
    await move(db, tenantId, 'completeInitialSync', (current) => ({
      status: current.status === 'syncing' ? 'active' : current.status,
      initialSyncState: 'completed',
      initialSyncPhase: 'done',
      initialSyncCompletedAt: new Date(),
      ...lastError(null),
    }));
  },

  /** Data stays; the workflow pauses the schedule next (pauseForAttention). */
  async failInitialSync(db: Queryable, tenantId: string, failure: FailureNote): Promise<boolean> {
    return move(db, tenantId, 'failInitialSync', () => ({ status: 'needs_attention', initialSyncState: 'failed', ...lastError(failure) }));
  },

  async recordStartFailure(db: Queryable, tenantId: string, failure: FailureNote): Promise<boolean> {
    return move(db, tenantId, 'recordStartFailure', () => lastError(failure));
  },

  async pause(db: Queryable, tenantId: string, note: string): Promise<void> {
    await move(db, tenantId, 'pause', () => ({ status: 'paused', schedulePaused: true, pauseNote: note }));
  },

  /**
   * The failure streak starts again from zero. Resuming a tenant that needed attention settles its
   * failure; resuming a human pause leaves the last failure on record.
   */
  async resume(db: Queryable, tenantId: string): Promise<void> {
    await move(
      db,
      tenantId,
      'resume',
      (current) => ({
        status: runningStatus(current),
        schedulePaused: false,
        pauseNote: null,
        ...(current.status === 'needs_attention' ? lastError(null) : {}),
      }),
      (tx) => resetFailureStreak(tx, tenantId),
    );
  },

  async needAttention(db: Queryable, tenantId: string, failure: FailureNote): Promise<boolean> {
    return move(db, tenantId, 'needAttention', () => ({
      status: 'needs_attention',
      schedulePaused: true,
      pauseNote: attentionNote(failure),
      ...lastError(failure),
    }));
  },

  /** True when the schedule should be paused in Temporal now. */
  async pauseForAttention(db: Queryable, tenantId: string, failure: FailureNote): Promise<boolean> {
    return move(db, tenantId, 'pauseForAttention', () => ({ schedulePaused: true, pauseNote: attentionNote(failure) }));
  },

  /** The secret is erased; the synced data stays unless the tenant is purged too. */
  async disconnect(db: Queryable, tenantId: string): Promise<void> {
    await move(db, tenantId, 'disconnect', (current) => ({
      status: 'disconnected',
      secretKeySealed: null,
      encryptionKeyId: null,
      schedulePaused: true,
      pauseNote: 'disconnected',
      disconnectedAt: current.disconnectedAt ?? new Date(),
    }));
  },

  async purge(db: Queryable, tenantId: string): Promise<void> {
    await move(db, tenantId, 'purge', () => ({ purgedAt: new Date() }));
  },
} satisfies Record<TransitionName, (db: Queryable, ...args: never[]) => Promise<unknown>>;

import { AppError } from './app-error.js';

/**
 * The refusals of the integration's lifecycle, one class per decision the caller makes: connect the
 * tenant first, connect it again, or (for a refused transition) report a bug. Messages name the tenant
 * and the step, never keys.
 */

export class TenantNotFoundError extends AppError {
  constructor(readonly tenantId: string) {
    super('TENANT_NOT_FOUND', `No Duo integration for tenant ${tenantId}`, { details: { tenantId } });
  }
}

export class UserNotFoundError extends AppError {
  constructor(readonly tenantId: string, readonly userId: string) {
    super('USER_NOT_FOUND', `No Duo user ${userId} in tenant ${tenantId}`, { details: { tenantId, userId } });
  }
}

export class IntegrationNotConnectedError extends AppError {
  constructor(readonly tenantId: string) {
    super('INTEGRATION_NOT_CONNECTED', `Tenant ${tenantId} is disconnected; connect it again with PUT first`, { details: { tenantId } });
  }
}

export class IntegrationTransitionRefusedError extends AppError {
  constructor(readonly tenantId: string, readonly transition: string, readonly state: string) {
    super('INTEGRATION_TRANSITION_REFUSED', `Tenant ${tenantId}: "${transition}" does not apply to an integration that is ${state}`, {
      details: { tenantId, transition, state },
    });
  }
}

export class TenantPurgingError extends AppError {
  constructor(readonly tenantId: string) {
    super('TENANT_PURGING', `Tenant ${tenantId} is being purged; connect it again once the purge is done (status document: purge.phase "done")`, {
      details: { tenantId },
    });
  }
}

/** Thrown before a Duo request of a paused tenant would start; activities turn it into a "paused" result. */
export class SyncPausedError extends AppError {
  constructor(readonly tenantId: string) {
    super('SYNC_PAUSED', `Tenant ${tenantId} is paused: no Duo request starts until it is resumed`, { details: { tenantId } });
  }
}

export class InitialSyncNotFailedError extends AppError {
  constructor(readonly tenantId: string, readonly state: string) {
    super('INITIAL_SYNC_NOT_FAILED', `Tenant ${tenantId}: its initial sync is ${state}; only a failed initial sync is retried`, {
      details: { tenantId, initialSyncState: state },
    });
  }
}

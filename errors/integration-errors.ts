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

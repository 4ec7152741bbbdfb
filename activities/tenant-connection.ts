import { createDuoClient, type DuoClient } from '../duo/client.js';
import { AppError } from '../errors/app-error.js';
import { duoSecretContext, openSecret } from '../db/credentials.js';
import { findIntegration } from '../db/integrations.js';
import { PostgresRateBudget } from '../db/rate-budget.js';
import { instrumentBudget } from '../config/metrics.js';
import type { ActivityDeps } from './deps.js';

/**
 * Loads a tenant's credentials from Postgres and builds its Duo client with the account's shared
 * request budget. The secret key lives only inside the returned client.
 */
export async function loadDuoClient(
  deps: ActivityDeps,
  tenantId: string,
  options: { onBudgetWait?: (waitMs: number) => void } = {},
): Promise<DuoClient> {
  const integration = await findIntegration(deps.db, tenantId);
  if (!integration) throw new AppError('TENANT_NOT_FOUND', `Tenant ${tenantId} has no Duo integration`);
  if (!integration.secretKeySealed || integration.status === 'disconnected') {
    throw new AppError('INTEGRATION_NOT_CONNECTED', `Tenant ${tenantId} is disconnected from Duo`);
  }
  const secretKey = openSecret(deps.keyring, integration.secretKeySealed, duoSecretContext(tenantId, integration.integrationKey));
  return createDuoClient({
    apiHost: integration.apiHost,
    integrationKey: integration.integrationKey,
    secretKey,
    originOverride: deps.config.DUO_API_ORIGIN_OVERRIDE,
    timeoutMs: deps.config.DUO_REQUEST_TIMEOUT_MS,
    // The shared budget already pauses the whole account after a 429; the activity's own retry only
    // needs to come back soon and wait its turn there.
    rateLimitRetryAfterMs: () => 2_000,
    budget: instrumentBudget(new PostgresRateBudget(deps.db, integration.apiHost, {
      requestsPerMinute: { log: deps.config.DUO_LOG_REQUESTS_PER_MINUTE, object: deps.config.DUO_OBJECT_REQUESTS_PER_MINUTE },
      onWait: options.onBudgetWait,
    })),
  });
}

import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import { createDuoClient, type DuoClient } from '../duo/client.js';
import { AppError } from '../errors/app-error.js';
import { duoSecretContext, needsReseal, openSecret, resealIfNeeded } from '../db/credentials.js';
import { findIntegration, isConnected, requireIntegration } from '../db/integrations.js';
import { PostgresRateBudget } from '../db/rate-budget.js';
import { instrumentBudget } from '../observability/metrics.js';
import type { ActivityDeps } from './deps.js';
import { pauseGatedBudget } from './pause-gate.js';

/** Which credentials a client was built from; the secret only as a digest (a re-seal changes nothing). */
export interface CredentialsStamp {
  apiHost: string;
  integrationKey: string;
  secretDigest: string;
}

export interface TenantDuo {
  duo: DuoClient;
  builtFrom: CredentialsStamp;
}

/**
 * Loads a tenant's credentials from Postgres and builds its Duo client with the account's shared
 * request budget. The secret key lives only inside the returned client.
 */
export async function loadDuoClient(
  deps: ActivityDeps,
  tenantId: string,
  options: { onBudgetWait?: (waitMs: number) => void; maxBudgetWaitMs?: number } = {},
): Promise<TenantDuo> {
  const integration = await requireIntegration(deps.db, tenantId, { connected: true });
  const secretKey = openSecret(deps.keyring, integration.secretKeySealed, duoSecretContext(tenantId, integration.integrationKey));
  // Every activity re-seals a secret still under a previous ENCRYPTION_KEY, so after one sync of each
  // tenant no row needs the old key and it can leave ENCRYPTION_PREVIOUS_KEYS.
  if (needsReseal(deps.keyring, integration.secretKeySealed)) await resealIfNeeded(deps.db, tenantId, deps.keyring);
  const duo = createDuoClient({
    apiHost: integration.apiHost,
    integrationKey: integration.integrationKey,
    secretKey,
    originOverride: deps.config.DUO_API_ORIGIN_OVERRIDE,
    testResolve: deps.config.DUO_TEST_RESOLVE, testCaFile: deps.config.DUO_TEST_CA_FILE,
    timeoutMs: deps.config.DUO_REQUEST_TIMEOUT_MS,
    // The shared budget already pauses the whole account after a 429; the activity's own retry only
    // needs to come back soon and wait its turn there.
    rateLimitRetryAfterMs: () => 2_000,
    // Warnings (e.g. administrator rows Duo cannot page past) go to the worker's structured log with the run's context.
    logger: { warn: (message, meta) => log.warn(message, meta) },
    // A paused tenant starts no Duo request (checked after the budget's wait, right before sending).
    budget: pauseGatedBudget(deps.db, tenantId, instrumentBudget(new PostgresRateBudget(deps.db, integration.apiHost, {
      requestsPerMinute: { log: deps.config.DUO_LOG_REQUESTS_PER_MINUTE, object: deps.config.DUO_OBJECT_REQUESTS_PER_MINUTE },
      onWait: options.onBudgetWait,
      ...(options.maxBudgetWaitMs === undefined ? {} : { maxWaitMs: options.maxBudgetWaitMs }),
    }))),
  });
  return { duo, builtFrom: stampOf(integration, secretKey) };
}

const stampOf = (row: { apiHost: string; integrationKey: string }, secretKey: string): CredentialsStamp => ({
  apiHost: row.apiHost,
  integrationKey: row.integrationKey,
  secretDigest: createHash('sha256').update(secretKey).digest('hex'),
});

/**
 * A 401 or 403 from keys the customer has replaced meanwhile (new keys PUT, the old Duo application
 * deleted) says nothing about the stored keys: it becomes a retryable DUO_CREDENTIALS_ROTATED, and
 * the retry builds its client from the new keys. Rejections of the keys still stored pass unchanged
 * (they are final), and so does every other error.
 */
export async function unlessCredentialsRotated(deps: ActivityDeps, tenantId: string, builtFrom: CredentialsStamp, error: unknown): Promise<unknown> {
  if (!(error instanceof AppError) || (error.code !== 'DUO_CREDENTIALS_REJECTED' && error.code !== 'DUO_PERMISSION_MISSING')) return error;
  const stored = await storedStamp(deps, tenantId);
  if (!stored || (stored.apiHost === builtFrom.apiHost && stored.integrationKey === builtFrom.integrationKey && stored.secretDigest === builtFrom.secretDigest)) {
    return error;
  }
  return new AppError('DUO_CREDENTIALS_ROTATED', `Duo refused the keys this attempt started with (${error.code}), but new keys were stored since: retrying with them`, {
    retryAfterMs: 1_000,
    details: { ...error.details, rejectedCode: error.code },
    cause: error,
  });
}

/** The credentials stored now; undefined when disconnected or unreadable (the rejection then stands). */
async function storedStamp(deps: ActivityDeps, tenantId: string): Promise<CredentialsStamp | undefined> {
  const row = await findIntegration(deps.db, tenantId);
  if (!row || !isConnected(row)) return undefined;
  try {
    return stampOf(row, openSecret(deps.keyring, row.secretKeySealed, duoSecretContext(tenantId, row.integrationKey)));
  } catch {
    return undefined;
  }
}

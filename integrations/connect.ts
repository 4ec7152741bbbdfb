import { sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import { duoSecretContext, needsReseal, openSecret, sealSecret, type EncryptionKeyring } from '../db/credentials.js';
import { findIntegration, lockIntegration, replaceCredentials, requireIntegration, setInitialSyncRun, type IntegrationRow } from '../db/integrations.js';
import { createDuoClient, DUO_LOG_DELAY_MS, type EndpointClass, type RequestBudget } from '../duo/client.js';
import { defaultRateLimitRetryAfterMs } from '../duo/transport.js';
import { PostgresRateBudget } from '../db/rate-budget.js';
import { recordOptionalGrants } from '../db/account-facts.js';
import { instrumentBudget } from '../observability/metrics.js';
import type { CredentialCheckResult } from '../duo/credential-check.js';
import { AppError } from '../errors/app-error.js';
import { TenantPurgingError } from '../errors/integration-errors.js';
import { initialSyncWorkflowId } from '../workflows/definitions.js';
import { ensureIncrementalSchedule } from './schedules.js';
import { startInitialSync } from './temporal.js';
import { lifecycleStateOf, transition, type StoredCredentials } from './transitions.js';
import { applyWebhookSettings, type WebhookInput } from './webhooks.js';

export interface ConnectDeps {
  db: Database;
  config: Config;
  keyring: EncryptionKeyring;
  temporal: Client;
  now?: () => number;
}

export interface DuoCredentialsInput {
  integrationKey: string;
  /** Lower-cased, validated by apiHostSchema. */
  apiHost: string;
  secretKey: string;
  /** The tenant's own webhook receiver and signing secret (optional). */
  webhook?: WebhookInput | undefined;
}

/**
 * The anchor sits a little behind Duo's two-minute log delay, so the newest backfill window is
 * complete when it is fetched and nothing between backfill and incremental sync falls through.
 */
export const ANCHOR_LAG_MS = DUO_LOG_DELAY_MS + 3 * 60_000;

/**
 * Connect (or re-submit) a tenant's Duo keys: check them against Duo, store them sealed, start the
 * initial sync. Same keys while a sync runs → the same run. New keys of the same Duo account →
 * rotation: credentials are replaced, synced data and cursors stay, a failed sync starts again from
 * where it stopped. Keys of another Duo account (another apiHost) are refused while the tenant holds
 * data of the first one: see assertSameDuoAccount.
 */
export async function connectIntegration(deps: ConnectDeps, tenantId: string, input: DuoCredentialsInput): Promise<IntegrationRow> {
  // Checked before Duo is asked too, so a refused account costs no Duo call; re-checked under the lock.
  assertSameDuoAccount(await findIntegration(deps.db, tenantId), input);
  const checked = await verifyCredentials(deps, input);
  const now = deps.now?.() ?? Date.now();
  const sealed = sealSecret(deps.keyring, input.secretKey, duoSecretContext(tenantId, input.integrationKey));

  const credentials: StoredCredentials = {
    apiHost: input.apiHost,
    integrationKey: input.integrationKey,
    secretKeySealed: sealed,
    encryptionKeyId: deps.keyring.current.id,
  };

  const decision = await deps.db.transaction(async (tx) => {
    // Serialises concurrent connects of one tenant (the row may not exist yet); the row lock then
    // keeps a pause or resume from changing the state this decision is made on.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`connect:${tenantId}`}))`);
    const existing = await lockIntegration(tx, tenantId);
    assertSameDuoAccount(existing, input);
    const state = lifecycleStateOf(existing);
    if (state === 'purging') throw new TenantPurgingError(tenantId);
    if (!existing || state === 'purged') {
      const anchorMs = now - ANCHOR_LAG_MS;
      const row = await transition.connect(tx, {
        tenantId,
        ...credentials,
        anchorAt: new Date(anchorMs),
        backfillStartAt: new Date(anchorMs - deps.config.BACKFILL_DAYS * 86_400_000),
        initialSyncWorkflowId: initialSyncWorkflowId(tenantId),
      });
      if (input.webhook) await applyWebhookSettings(tx, deps, tenantId, input.webhook);
      return { row, start: true };
    }
    if (state === 'disconnected') {
      // Same anchor and cursors; the unfinished part of the backfill resumes.
      await transition.reconnect(tx, tenantId, credentials);
      if (input.webhook) await applyWebhookSettings(tx, deps, tenantId, input.webhook);
      return { row: existing, start: existing.initialSyncState !== 'completed' };
    }
    // Same keys sealed under an older ENCRYPTION_KEY are re-sealed too, so the old key can be retired.
    if (!existing.secretKeySealed || !sameCredentials(deps.keyring, existing, input) || needsReseal(deps.keyring, existing.secretKeySealed)) {
      await replaceCredentials(tx, tenantId, credentials);
    }
    if (input.webhook) await applyWebhookSettings(tx, deps, tenantId, input.webhook);
    // Working keys again: resume everything that was paused for attention.
    if (state === 'needs_attention') await transition.recover(tx, tenantId);
    if (existing.initialSyncState === 'completed') {
      // Nothing to start here: the recurring sync owns everything after the initial backfill.
      return { row: existing, start: false };
    }
    if (existing.initialSyncState === 'failed') await transition.restartInitialSync(tx, tenantId);
    return { row: existing, start: true };
  });

  // What the keys may read beyond what the sync needs; the roster refresh keeps it current after this.
  await recordOptionalGrants(deps.db, tenantId, checked.optionalGrants, new Date(now));

  if (decision.start) {
    try {
      const started = await startInitialSync(deps.temporal, deps.config, {
        tenantId,
        anchorMs: decision.row.anchorAt.getTime(),
        backfillStartMs: decision.row.backfillStartAt.getTime(),
      });
      await setInitialSyncRun(deps.db, tenantId, started.runId);
    } catch (cause) {
      const error = new AppError('TEMPORAL_UNAVAILABLE', 'The keys were stored but the sync could not be started; retry the request', { cause });
      await transition.recordStartFailure(deps.db, tenantId, { code: error.code, message: error.message });
      throw error;
    }
  }
  const row = await requireIntegration(deps.db, tenantId);
  try {
    await ensureIncrementalSchedule(deps.temporal, deps.config, row);
  } catch (cause) {
    // Stored and syncing; reconciliation creates the schedule when Temporal answers again.
    throw new AppError('TEMPORAL_UNAVAILABLE', 'The initial sync started but its schedule could not be created; retry the request', { cause });
  }
  return row;
}

/**
 * A tenant's synced users, groups and events belong to one Duo account (its apiHost). New keys for
 * that account are a rotation; keys of another account would mix two accounts' data under one tenant,
 * so they are refused until the tenant is disconnected with purge (a disconnect that keeps the data
 * keeps the account too). A first connect, or one after a purge, may name any account.
 */
function assertSameDuoAccount(existing: IntegrationRow | undefined, input: DuoCredentialsInput): void {
  if (!existing || existing.apiHost === input.apiHost || existing.status === 'purging') return;
  if (existing.status === 'disconnected' && existing.purgedAt) return;
  throw new AppError(
    'DUO_ACCOUNT_CHANGED',
    `apiHost ${input.apiHost} is another Duo account than ${existing.apiHost}, whose data this tenant holds; ` +
      `to switch accounts, disconnect with DELETE /v1/tenants/${existing.tenantId}/integrations/duo?purge=true first (this deletes the synced data)`,
    { details: { field: 'apiHost', connectedApiHost: existing.apiHost } },
  );
}

function sameCredentials(keyring: EncryptionKeyring, row: IntegrationRow, input: DuoCredentialsInput): boolean {
  if (row.apiHost !== input.apiHost || row.integrationKey !== input.integrationKey || !row.secretKeySealed) return false;
  try {
    return openSecret(keyring, row.secretKeySealed, duoSecretContext(row.tenantId, row.integrationKey)) === input.secretKey;
  } catch {
    // Sealed under a key this process lacks: treat as different keys and re-seal.
    return false;
  }
}

/** The longest a connect waits for the account's shared request budget before answering 503. */
export const CONNECT_BUDGET_WAIT_MS = 15_000;

/**
 * The credential check's requests go through the account's shared budget like every sync's, so a
 * connect (a key rotation during a backfill, say) never sends Duo more than the account's rate. A
 * connect waits for its turn at most CONNECT_BUDGET_WAIT_MS; longer answers 503 with Retry-After.
 */
function connectBudget(deps: ConnectDeps, apiHost: string): { shared: RequestBudget; retryAfterMs: () => number } {
  let lastWaitMs = 0;
  let rateLimited: EndpointClass | undefined;
  const postgres = instrumentBudget(new PostgresRateBudget(deps.db, apiHost, {
    requestsPerMinute: { log: deps.config.DUO_LOG_REQUESTS_PER_MINUTE, object: deps.config.DUO_OBJECT_REQUESTS_PER_MINUTE },
    onWait: (waitMs) => { lastWaitMs = waitMs; },
  }));
  const shared: RequestBudget = {
    async acquire(endpointClass, signal) {
      const deadline = AbortSignal.timeout(CONNECT_BUDGET_WAIT_MS);
      try {
        await postgres.acquire(endpointClass, signal ? AbortSignal.any([signal, deadline]) : deadline);
      } catch (error) {
        if (!deadline.aborted || signal?.aborted) throw error;
        throw new AppError('DUO_RATE_LIMITED', `The ${endpointClass} request budget of this Duo account is in use by its syncs`, { retryAfterMs: lastWaitMs });
      }
    },
    async report(endpointClass, outcome) {
      if (outcome === 'rate_limited') rateLimited = endpointClass;
      await postgres.report(endpointClass, outcome);
    },
  };
  // After Duo's own 429, its advice for that endpoint class (Duo sends no Retry-After); after a
  // budget wait, what the budget said was left.
  const retryAfterMs = () => Math.max(1_000, lastWaitMs, rateLimited ? defaultRateLimitRetryAfterMs(rateLimited) : 0);
  return { shared, retryAfterMs };
}

/** Runs Duo's credential check and turns a failed verdict into the error the API answers with. */
async function verifyCredentials(deps: ConnectDeps, input: DuoCredentialsInput): Promise<CredentialCheckResult> {
  const budget = connectBudget(deps, input.apiHost);
  const duo = createDuoClient({
    apiHost: input.apiHost,
    integrationKey: input.integrationKey,
    secretKey: input.secretKey,
    originOverride: deps.config.DUO_API_ORIGIN_OVERRIDE,
    testResolve: deps.config.DUO_TEST_RESOLVE, testCaFile: deps.config.DUO_TEST_CA_FILE,
    timeoutMs: Math.min(deps.config.DUO_REQUEST_TIMEOUT_MS, 15_000),
    budget: budget.shared,
  });
  const result = await duo.checkCredentials({ now: deps.now?.() });
  if (result.ok) return result;
  const { readResource, readLog } = result.permissions;
  // A 429 from Duo, or the account's budget spent by its running syncs: the keys were never judged.
  if (result.verdict === 'rate_limited') {
    throw new AppError('DUO_RATE_LIMITED', 'Duo is rate-limiting this account right now (its syncs share the same limit); nothing was stored: try again after Retry-After seconds', {
      retryAfterMs: budget.retryAfterMs(),
    });
  }
  switch (result.verdict) {
    case 'credentials_rejected': {
      // Duo's 401 code says which value is wrong (integration key, secret key or the clock): pass on
      // the client's hint for it. Its message names the endpoint and Duo's code, never a key.
      const rejected = [readResource, readLog].find((r) => !r.ok && r.code === 'DUO_CREDENTIALS_REJECTED');
      throw new AppError(
        'DUO_CREDENTIALS_REJECTED',
        rejected && !rejected.ok ? rejected.message : 'Duo rejected these credentials: check the integration key and secret key (or this server\'s clock)',
      );
    }
    case 'permission_missing': {
      const missing = [
        ...(!readResource.ok && readResource.code === 'DUO_PERMISSION_MISSING' ? ['Grant read resource'] : []),
        ...(!readLog.ok && readLog.code === 'DUO_PERMISSION_MISSING' ? ['Grant read log'] : []),
      ];
      throw new AppError(
        'DUO_PERMISSION_MISSING',
        `The Duo Admin API application lacks ${missing.map((p) => `"${p}"`).join(' and ')}: enable it in the Duo Admin Panel and save`,
        { details: { missingPermissions: missing } },
      );
    }
    default: {
      const failed = [readResource, readLog].find((r) => !r.ok);
      throw new AppError('DUO_UNREACHABLE', 'Duo could not be reached or answered with an error; try again shortly', {
        details: { reason: failed && !failed.ok ? failed.code : 'unknown' },
      });
    }
  }
}

import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../../activities/deps.js';
import { createKeyring, duoSecretContext, sealSecret } from '../../../db/credentials.js';
import { transition } from '../../../integrations/transitions.js';
import type { AccountSpec } from '../../../simulator/server.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { startScriptedDuoProxy, type ScriptedDuoProxy } from '../../helpers/scripted-duo-proxy.js';
import { startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/**
 * Activities run as Temporal would run them (MockActivityEnvironment: attempt number, heartbeats,
 * cancellation), against a database of their own and the Duo simulator over HTTP, reached through
 * a scripted proxy so a test can decide what Duo answers to each request.
 */
export interface SimulatedTenant {
  tenantId: string;
  database: TestDatabase;
  simulator: TestSimulator;
  proxy: ScriptedDuoProxy;
  deps: ActivityDeps;
  /** Stores new keys for the tenant, as a PUT with new keys does. */
  storeKeys(account: AccountSpec): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulatedTenant(
  tenantId: string,
  accounts: AccountSpec[],
  options: { anchorAt?: Date; env?: Record<string, string> } = {},
): Promise<SimulatedTenant> {
  const [account] = accounts;
  if (!account) throw new Error('give at least one account');
  const database = await createTestDatabase();
  const simulator = await startTestSimulator(accounts);
  const proxy = await startScriptedDuoProxy(simulator.origin);
  const config = testConfig({ DATABASE_URL: database.url, DUO_API_ORIGIN_OVERRIDE: proxy.origin, ...options.env });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY });
  const deps: ActivityDeps = { db: database.db, config, keyring };
  const sealed = (spec: AccountSpec) => sealSecret(keyring, spec.secretKey, duoSecretContext(tenantId, spec.integrationKey));
  const anchorAt = options.anchorAt ?? new Date();
  await transition.connect(database.db, {
    tenantId,
    apiHost: account.apiHost,
    integrationKey: account.integrationKey,
    secretKeySealed: sealed(account),
    encryptionKeyId: config.ENCRYPTION_KEY_ID,
    anchorAt,
    backfillStartAt: new Date(anchorAt.getTime() - 10 * 86_400_000),
    initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
  });
  return {
    tenantId,
    database,
    simulator,
    proxy,
    deps,
    async storeKeys(spec) {
      await database.sql`
        update duo_integrations set api_host = ${spec.apiHost}, integration_key = ${spec.integrationKey},
          secret_key_sealed = ${sealed(spec)}, updated_at = now()
        where tenant_id = ${tenantId}`;
    },
    async close() {
      await proxy.close();
      await simulator.close();
      await database.drop();
    },
  };
}

// Failed attempts are what these tests are about: the environment need not log each one.
const quiet: Logger = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Runs an activity as attempt `attempt`; resolves to its result, or to what it threw. */
export async function runAttempt<P extends unknown[], R>(
  attempt: number,
  activity: (...args: P) => Promise<R>,
  ...args: P
): Promise<{ ok: true; value: R } | { ok: false; error: unknown }> {
  return new MockActivityEnvironment({ attempt }, { logger: quiet }).run<P, R, typeof activity>(activity, ...args).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDuoClient } from '../../../activities/tenant-connection.js';
import { createKeyring, duoSecretContext, openSecret } from '../../../db/credentials.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { startSimulatedTenant, type SimulatedTenant } from './simulated-tenant.js';

describe('loadDuoClient after ENCRYPTION_KEY was rotated', () => {
  const account = makeAccount({ dataset: { seed: 4040, users: 5, groups: 1, authEvents: 5, days: 1 } });
  const tenantId = 'reseal-on-load';
  let tenant: SimulatedTenant;
  beforeAll(async () => { tenant = await startSimulatedTenant(tenantId, [account]); });
  afterAll(async () => { await tenant?.close(); });

  it('re-seals the stored secret under the new key, so the previous key can be retired', async () => {
    const previous = { id: tenant.deps.config.ENCRYPTION_KEY_ID, key: tenant.deps.config.ENCRYPTION_KEY };
    const rotated = createKeyring({ id: 'rotated', key: randomBytes(32).toString('base64') }, [previous]);

    const { duo } = await loadDuoClient({ ...tenant.deps, keyring: rotated }, tenantId);
    expect((await duo.checkCredentials()).ok).toBe(true);

    const [row] = await tenant.database.sql<{ sealed: string; keyId: string }[]>`
      select secret_key_sealed as sealed, encryption_key_id as "keyId" from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.keyId).toBe('rotated');
    const newKeyOnly = createKeyring({ id: 'rotated', key: rotated.current.key.toString('base64') });
    expect(openSecret(newKeyOnly, row?.sealed ?? '', duoSecretContext(tenantId, account.integrationKey))).toBe(account.secretKey);
  });
});

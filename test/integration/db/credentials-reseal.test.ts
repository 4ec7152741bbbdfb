import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring, duoSecretContext, openSecret, resealIfNeeded, sealSecret } from '../../../db/credentials.js';
import { transition } from '../../../integrations/transitions.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

const secret = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
const integrationKey = 'DIXXXXXXXXXXXXXXXXXX';
const oldKey = { id: 'old', key: randomBytes(32).toString('base64') };
const rotated = createKeyring({ id: 'new', key: randomBytes(32).toString('base64') }, [oldKey]);

describe('resealIfNeeded', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.drop(); });

  async function tenantSealedWith(tenantId: string, keyring: ReturnType<typeof createKeyring>): Promise<void> {
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey, secretKeySealed: sealSecret(keyring, secret, duoSecretContext(tenantId, integrationKey)),
      encryptionKeyId: keyring.current.id, anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
  }
  const stored = async (tenantId: string) => {
    const [row] = await database.sql<{ sealed: string; key_id: string }[]>`
      select secret_key_sealed as sealed, encryption_key_id as key_id from duo_integrations where tenant_id = ${tenantId}`;
    return row;
  };

  it('re-seals a secret sealed under a previous key with the current one, so the old key can be retired', async () => {
    await tenantSealedWith('old-sealed', createKeyring(oldKey));
    expect(await resealIfNeeded(database.db, 'old-sealed', rotated)).toBe(true);
    const row = await stored('old-sealed');
    expect(row?.key_id).toBe('new');
    const currentOnly = createKeyring({ id: 'new', key: rotated.current.key.toString('base64') });
    expect(openSecret(currentOnly, row?.sealed ?? '', duoSecretContext('old-sealed', integrationKey))).toBe(secret);
  });

  it('leaves a secret already sealed under the current key as it is', async () => {
    await tenantSealedWith('current', rotated);
    const before = await stored('current');
    expect(await resealIfNeeded(database.db, 'current', rotated)).toBe(false);
    expect(await stored('current')).toEqual(before);
  });

  it('does nothing for a disconnected tenant or an unknown one', async () => {
    await tenantSealedWith('gone', createKeyring(oldKey));
    await database.sql`update duo_integrations set secret_key_sealed = null, encryption_key_id = null where tenant_id = 'gone'`;
    expect(await resealIfNeeded(database.db, 'gone', rotated)).toBe(false);
    expect(await resealIfNeeded(database.db, 'never-connected', rotated)).toBe(false);
  });
});

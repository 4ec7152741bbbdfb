import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring, verifyKeyring } from '../../../db/credentials.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('verifyKeyring', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.drop(); });

  it('accepts the same key again and fails fast on a different key under the same id', async () => {
    const first = createKeyring({ id: 'prod', key: randomBytes(32).toString('base64') });
    await verifyKeyring(database.db, first);
    await expect(verifyKeyring(database.db, first)).resolves.toBeUndefined();
    const wrong = createKeyring({ id: 'prod', key: randomBytes(32).toString('base64') });
    await expect(verifyKeyring(database.db, wrong)).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_MISMATCH' });
  });
});

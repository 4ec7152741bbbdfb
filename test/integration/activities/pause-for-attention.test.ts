import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pauseForAttention } from '../../../activities/incremental-run.js';
import { createKeyring } from '../../../db/credentials.js';
import { findIntegration } from '../../../db/integrations.js';
import { transition } from '../../../integrations/transitions.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('pauseForAttention', () => {
  let connection: Connection;
  let database: TestDatabase;
  const tenantId = `pause-gone-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  it('leaves alone a tenant a human recovered after the failure was recorded (PUT or resume in between)', async () => {
    const recovered = `${tenantId}-recovered`;
    const now = new Date();
    await transition.connect(database.db, {
      tenantId: recovered, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${recovered}`,
    });
    await database.sql`update duo_integrations set status = 'active', schedule_paused = false, last_error_code = null where tenant_id = ${recovered}`;
    const config = testConfig({ DATABASE_URL: database.url });
    const deps = { db: database.db, config, keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }), temporal: new Client({ connection }) };

    await pauseForAttention(deps, recovered, { code: 'DUO_CREDENTIALS_REJECTED', message: 'Duo rejected the credentials' });
    const [row] = await database.sql`select status, schedule_paused, last_error_code from duo_integrations where tenant_id = ${recovered}`;
    expect(row).toEqual({ status: 'active', schedule_paused: false, last_error_code: null });
  });

  it('finishes for a tenant disconnected meanwhile, whose schedule is gone, and leaves it disconnected', async () => {
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
    await transition.disconnect(database.db, tenantId);
    const config = testConfig({ DATABASE_URL: database.url });
    const deps = { db: database.db, config, keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }), temporal: new Client({ connection }) };

    await expect(pauseForAttention(deps, tenantId, { code: 'INTEGRATION_NOT_CONNECTED', message: 'gone' })).resolves.toBeUndefined();
    expect((await findIntegration(database.db, tenantId))?.status).toBe('disconnected');
  });
});

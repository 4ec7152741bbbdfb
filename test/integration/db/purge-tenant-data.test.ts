import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantDataTables } from '../../../db/integrations.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('purgeTenantData', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.drop(); });

  it('covers every table with a tenant_id column except the tenant and its integration', async () => {
    const rows = await database.sql<{ table_name: string }[]>`
      select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'tenant_id' and table_name not in ('tenants', 'duo_integrations')
      order by table_name`;
    expect([...tenantDataTables].sort()).toEqual(rows.map((row) => row.table_name));
  });
});

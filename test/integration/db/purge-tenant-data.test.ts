import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantDataTables } from '../../../db/integrations.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('tenantDataTables: what a purge deletes', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.drop(); });

  it('covers every table with a tenant_id column except the tenant, its integration, its purge record, the API keys bound to it, the audit trail and the erasure markers (a partitioned table once, not each month)', async () => {
    const rows = await database.sql<{ table_name: string }[]>`
      select c.table_name from information_schema.columns c
      join pg_class t on t.relname = c.table_name and t.relnamespace = 'public'::regnamespace
      where c.table_schema = 'public' and c.column_name = 'tenant_id' and c.table_name not in ('tenants', 'duo_integrations', 'tenant_purges', 'api_keys', 'audit_log', 'duo_user_erasures')
        and not t.relispartition
      order by c.table_name`;
    expect([...tenantDataTables].sort()).toEqual(rows.map((row) => row.table_name));
  });
});

import { sql, type SQL } from 'drizzle-orm';
import { createDatabase, type Database } from '../db/client.js';
import { emptyUserFilter } from '../db/usage-user-filter.js';
import { countUsers, listUserUsage } from '../db/usage-users.js';
import { listApplicationUsage } from '../db/usage-applications.js';
import { getUsageTotals } from '../db/usage-totals.js';
import { listGroupUsage } from '../db/usage-groups.js';
// Prints EXPLAIN ANALYZE of the statements a call runs, by wrapping db.execute.
const h = createDatabase('postgres://postgres@127.0.0.1:5432/duo_usage_bench');
const tenant = 'bench';
const real = h.db.execute.bind(h.db);
const db: Database = Object.assign(Object.create(h.db), {
  execute: async (q: SQL) => {
    const plan = await real(sql`explain (analyze, buffers) ${q}`);
    for (const r of plan) process.stdout.write(`${String(Object.values(r)[0])}\n`);
    return real(q);
  },
});
const what = process.argv[2];
const now = Date.now();
const f = { ...emptyUserFilter, statuses: ['active'], groups: ['Interns'] };
if (what === 'page') await listUserUsage(db, tenant, f, { field: 'username', order: 'asc' }, { limit: 100 }, now);
if (what === 'count') await countUsers(db, tenant, f, now);
if (what === 'page500') { const first = await listUserUsage(h.db, tenant, { ...emptyUserFilter, statuses: ['active'] }, { field: 'lastActivityAt', order: 'asc' }, { limit: 100 }, now);
  await listUserUsage(db, tenant, { ...emptyUserFilter, statuses: ['active'] }, { field: 'lastActivityAt', order: 'asc' }, { limit: 500, ...(first.next ? { after: first.next } : {}) }, now); }
if (what === 'appsgroup') await listApplicationUsage(db, tenant, { groups: ['Interns'] }, now);
if (what === 'totals') await getUsageTotals(db, tenant, { thresholdDays: [30, 60, 90], graceDays: 60 }, now);
if (what === 'groups') await listGroupUsage(db, tenant, { includeDeleted: false }, now);
await h.close();

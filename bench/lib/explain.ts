import { sql, type SQL } from 'drizzle-orm';
import { storeAuthEvents, type AuthEventRecord } from '../../db/auth-events.js';
import type { Database, Queryable } from '../../db/client.js';

class Rollback extends Error {}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the exact statement `storeAuthEvents` sends for one page: the
 * function runs against a handle whose `execute` prefixes EXPLAIN, inside a transaction that is
 * rolled back, so the measured database is left as it was. The page is stored for the synced tenant
 * under fresh txids: its users and their daily rollup rows exist, as for any page mid-backfill.
 */
export async function explainStoreAuthEvents(db: Database, tenantId: string, page: AuthEventRecord[]): Promise<{ plan: string; executionMs: number }> {
  let lines: string[] = [];
  const records = page.map((r) => ({ ...r, txid: `${r.txid}-explain` }));
  try {
    await db.transaction(async (tx) => {
      const explaining = {
        execute: async (query: SQL) => {
          const rows = await tx.execute<Record<string, string>>(sql`explain (analyze, buffers, verbose false) ${query}`);
          lines = rows.map((row) => Object.values(row)[0] ?? '');
          return [];
        },
      } as unknown as Queryable;
      await storeAuthEvents(explaining, tenantId, records);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  const plan = lines.join('\n');
  const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN);
  return { plan, executionMs };
}

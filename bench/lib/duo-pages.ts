import { toAuthEventRecord } from '../../activities/duo-records.js';
import type { AuthEventRecord } from '../../db/auth-events.js';
import { createDuoClient, DUO_MAX_LOG_AGE_MS } from '../../duo/client.js';
import type { AccountSpec } from '../../simulator/server.js';

/**
 * Pages one account's authentication log from the simulator with the service's own Duo client
 * (signing, HTTP, zod validation) and record mapper, without any budget: what the "Duo side" of
 * the pipeline can deliver on this machine, and the rows for direct-store and EXPLAIN measurements.
 */
export async function* authRecordPages(
  origin: string,
  account: AccountSpec,
  window: { mintimeMs: number; maxtimeMs: number },
): AsyncGenerator<{ records: AuthEventRecord[]; fetchMs: number }> {
  const duo = createDuoClient({ ...account, originOverride: origin, timeoutMs: 60_000 });
  const mintimeMs = Math.max(window.mintimeMs, Date.now() - DUO_MAX_LOG_AGE_MS + 60_000);
  const pages = duo.authLogPages({ mintimeMs, maxtimeMs: window.maxtimeMs });
  for (;;) {
    const started = process.hrtime.bigint();
    const next = await pages.next();
    if (next.done) return;
    const records = next.value.items.map(toAuthEventRecord);
    yield { records, fetchMs: Number(process.hrtime.bigint() - started) / 1e6 };
  }
}

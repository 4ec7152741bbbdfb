import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { processSample } from './proc.js';

export interface CopyCeiling {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  fileMb: number;
  /** CPU of the Postgres backend running the COPY, per row (µs): the same rows' cost without the sync's work. */
  postgresCpuMicrosPerRow: number;
}

/**
 * The physical ceiling of this machine's Postgres for these rows: the tenant's stored
 * authentication events are exported once (COPY TO, untimed, in the order the sync stored them) and
 * then loaded with COPY FROM STDIN,
 * timed, into an empty table created LIKE duo_auth_events INCLUDING ALL (same columns, defaults,
 * primary key and secondary index, no foreign key, as the sync's table; one table, where the sync's
 * rows are spread over month partitions).
 */
export async function measureCopyCeiling(databaseUrl: string, tenantId: string): Promise<CopyCeiling> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const file = join(tmpdir(), `duo-bench-copy-${randomBytes(4).toString('hex')}.tsv`);
  const table = `bench_copy_auth_events_${randomBytes(3).toString('hex')}`;
  try {
    // The export gets a connection of its own, closed right after: postgres-js can leave the socket
    // of a finished COPY TO paused (the last chunk's back-pressure), and the next query would hang.
    const exporter = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const literal = `'${tenantId.replace(/'/g, "''")}'`;
      // COPY takes no bind parameters: the tenant id goes in as a quoted literal.
      const source = await exporter.unsafe(`copy (select * from duo_auth_events where tenant_id = ${literal}) to stdout`).readable();
      await pipeline(source, createWriteStream(file));
    } finally {
      await exporter.end({ timeout: 1 });
    }
    await sql.unsafe(`create table ${table} (like duo_auth_events including all)`);
    // Dirty pages of the sync are written out first, so the COPY does not pay for them.
    await sql.unsafe('checkpoint').catch(() => undefined);
    const [backend] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const cpuBefore = processSample(backend?.pid ?? 0)?.cpuSeconds ?? Number.NaN;
    const started = process.hrtime.bigint();
    const sink = await sql.unsafe(`copy ${table} from stdin`).writable();
    await pipeline(createReadStream(file), sink);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuSeconds = (processSample(backend?.pid ?? 0)?.cpuSeconds ?? Number.NaN) - cpuBefore;
    const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
    const rows = row?.n ?? 0;
    const fileMb = (await stat(file)).size / 1024 / 1024;
    return { rows, seconds, rowsPerSecond: rows / seconds, fileMb, postgresCpuMicrosPerRow: (cpuSeconds * 1e6) / rows };
  } finally {
    await sql.unsafe(`drop table if exists ${table}`).catch(() => undefined);
    await sql.end({ timeout: 5 });
    await rm(file, { force: true });
  }
}

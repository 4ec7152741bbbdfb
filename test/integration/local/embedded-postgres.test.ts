import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../local/embedded-postgres.js';
import { runMigrations } from '../../../db/migrate.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A bare protocol client: startup, then simple-protocol queries written exactly when asked. */
async function rawConnection(port: number) {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]); });
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([startup, params]));
  const readies = () => {
    let count = 0;
    for (let offset = 0; offset + 5 <= received.length; offset += 1 + received.readInt32BE(offset + 1)) if (received[offset] === 0x5a) count += 1;
    return count;
  };
  return {
    query(text: string) {
      const body = Buffer.from(`${text}\0`);
      const header = Buffer.alloc(5);
      header.write('Q', 0);
      header.writeInt32BE(4 + body.length, 1);
      socket.write(Buffer.concat([header, body]));
    },
    async readyCount(n: number, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (readies() < n) {
        if (Date.now() > deadline) throw new Error(`only ${readies()} of ${n} ReadyForQuery within ${timeoutMs} ms`);
        await pause(20);
      }
    },
    text: () => received.toString('latin1'),
    close: () => socket.destroy(),
  };
}

/**
 * The embedded PGlite that `npm start` uses without DATABASE_URL: our migrations apply, several
 * postgres-js pools share the one PGlite session without seeing each other's statements or
 * transactions, a dropped connection's transaction is rolled back, and data survives a restart.
 */
describe('embedded PGlite over the wire protocol', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duo-pglite-'));
  let pg: EmbeddedPostgres;
  const pools: postgres.Sql[] = [];
  const pool = (max: number) => {
    const sql = postgres(pg.url, { max, onnotice: () => {} });
    pools.push(sql);
    return sql;
  };

  beforeAll(async () => {
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pglite') });
    await runMigrations(pg.url);
  }, 60_000);
  afterAll(async () => {
    for (const sql of pools) await sql.end({ timeout: 1 }).catch(() => {});
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the committed migrations', async () => {
    const sql = pool(1);
    const tables = await sql<{ name: string }[]>`select table_name as name from information_schema.tables where table_schema = 'public'`;
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['tenants', 'duo_integrations', 'duo_auth_events', 'backfill_windows', 'duo_rate_budgets']));
  });

  it('keeps concurrent statements and transactions of many connections apart', async () => {
    const a = pool(5);
    const b = pool(5);
    await a`create table gate_check (id int primary key, owner text not null)`;
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 120; i++) {
      const sql = i % 2 ? a : b;
      work.push(
        sql.begin(async (tx) => {
          await tx`select pg_advisory_xact_lock(${i % 3})`;
          await tx`insert into gate_check values (${i}, ${`tx${i}`})`;
          const [row] = await tx<{ owner: string }[]>`select owner from gate_check where id = ${i} for update`;
          if (row?.owner !== `tx${i}`) throw new Error(`transaction ${i} read ${row?.owner}`);
          if (i % 10 === 0) throw new Error('rolled back on purpose');
        }).catch((error: Error) => {
          if (error.message !== 'rolled back on purpose') throw error;
        }),
      );
      // Unnamed statements of different shapes interleaving with the transactions above.
      work.push(sql<{ n: number; label: string }[]>`select ${i}::int as n, ${`q${i}`}::text as label`.then(([row]) => {
        expect(row).toEqual({ n: i, label: `q${i}` });
      }));
    }
    await Promise.all(work);
    const [count] = await a<{ n: number }[]>`select count(*)::int as n from gate_check`;
    expect(count?.n).toBe(120 - 12);
  }, 60_000);

  it('keeps what a connection sends while it waits for the session (pipelined queries)', async () => {
    const holder = pool(1);
    const raw = await rawConnection(Number(new URL(pg.url).port));
    const transaction = holder.begin(async (tx) => {
      await tx`select 1`;
      await pause(400); // holds the session
    });
    await pause(100);
    raw.query('select 41 as a'); // waits for the session …
    await pause(50);
    raw.query('select 42 as a'); // … while this arrives in a separate packet
    await transaction;
    await raw.readyCount(3, 5000); // startup + both queries answered
    expect(raw.text()).toContain('41');
    expect(raw.text()).toContain('42');
    raw.close();
  }, 30_000);

  it('passes large answers through whole (messages split across TCP chunks)', async () => {
    const a = pool(2);
    const [big, small] = await Promise.all([
      a<{ n: number; pad: string }[]>`select n, repeat('x', 1000 + n % 7) as pad from generate_series(1, 20000) as n`,
      a<{ one: number }[]>`select 1 as one`,
    ]);
    expect(big).toHaveLength(20_000);
    expect(big.at(-1)).toEqual({ n: 20_000, pad: 'x'.repeat(1000 + (20_000 % 7)) });
    expect(small).toEqual([{ one: 1 }]);
  }, 30_000);

  it('rolls back the transaction of a connection that goes away and serves the others', async () => {
    const doomed = postgres(pg.url, { max: 1, onnotice: () => {} });
    const other = pool(1);
    await other`create table if not exists dropped_check (id int primary key)`;
    const begun = doomed.begin(async (tx) => {
      await tx`insert into dropped_check values (1)`;
      await doomed.end({ timeout: 0 }); // the connection closes inside the transaction
      await tx`insert into dropped_check values (2)`;
    });
    await expect(begun).rejects.toThrow();
    await other`insert into dropped_check values (3)`;
    const rows = await other<{ id: number }[]>`select id from dropped_check order by id`;
    expect(rows.map((r) => r.id)).toEqual([3]);
  }, 30_000);

  it('keeps the data across a restart from the same directory', async () => {
    for (const sql of pools.splice(0)) await sql.end({ timeout: 1 });
    await pg.stop();
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pglite') });
    await runMigrations(pg.url); // already applied: a no-op
    const [row] = await pool(1)<{ n: number }[]>`select count(*)::int as n from gate_check`;
    expect(row?.n).toBe(108);
  }, 60_000);
});

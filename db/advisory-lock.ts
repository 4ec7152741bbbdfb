import type { Database } from './client.js';

/** First key of every session-level lock of ours: the two-key form keeps them apart from any other user of the database. */
const LOCK_CLASS = 0x44_55_4f; // "DUO"

export type LockedRun<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `task` while this process holds the session-level advisory lock `name`, or not at all when
 * another session holds it (never waits). The lock lives on a connection reserved from the pool for
 * the task's duration: a transaction-level lock would keep a transaction open as long, which the
 * embedded database of `npm start` serializes against every other one. If the connection drops,
 * Postgres releases the lock with it; the tasks guarded this way are idempotent, so an overlap
 * then costs work, never correctness.
 */
export async function withTryAdvisoryLock<T>(db: Database, name: string, task: () => Promise<T>): Promise<LockedRun<T>> {
  const connection = await db.$client.reserve();
  try {
    const [row] = await connection<{ acquired: boolean }[]>`select pg_try_advisory_lock(${LOCK_CLASS}, hashtext(${name})) as acquired`;
    if (!row?.acquired) return { acquired: false };
    try {
      return { acquired: true, value: await task() };
    } finally {
      await connection`select pg_advisory_unlock(${LOCK_CLASS}, hashtext(${name}))`;
    }
  } finally {
    connection.release();
  }
}

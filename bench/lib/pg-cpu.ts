import type postgres from 'postgres';
import { processSample } from './proc.js';

/**
 * CPU time of the Postgres backends serving one database (the worker's pool and the bench's own
 * connections), from /proc/<pid>/stat of each backend, sampled every second. Only meaningful when
 * Postgres runs on this machine. A backend's CPU before it was first seen, or after its last
 * sample, is missed (at most about a second each).
 */
export function samplePostgresCpu(sql: postgres.Sql, intervalMs = 1000): { stop(): Promise<number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let stopped = false;
  const tick = async () => {
    const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`;
    for (const { pid } of rows) {
      const sample = processSample(pid);
      if (!sample) continue;
      if (!first.has(pid)) first.set(pid, sample.cpuSeconds);
      last.set(pid, sample.cpuSeconds);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await tick().catch(() => undefined);
      let total = 0;
      for (const [pid, end] of last) total += end - (first.get(pid) ?? end);
      return total;
    },
  };
}

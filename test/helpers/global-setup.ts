import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../db/client.js';
import { ensureEventPartitions } from '../../db/event-partitions.js';
import { runMigrations } from '../../db/migrate.js';
import { adminUrl, databaseUrl, runDatabasePrefix } from './postgres.js';
import { startTemporalDevServer, type DevServer } from '../../local/temporal-dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    templateDatabase: string;
  }
}

let server: DevServer | undefined;
const template = `${runDatabasePrefix(process.pid)}template`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function dropDatabases(filter: (name: string) => boolean): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'duo\\_sync\\_t%'`;
    for (const { datname } of rows) if (filter(datname)) await admin.unsafe(`drop database if exists ${datname} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Once per test run: a Temporal dev server (real, from the CLI binary) and a migrated template
 * database that each test file clones. A missing server or database fails the run; nothing skips.
 */
export async function setup(project: TestProject): Promise<void> {
  // Leftovers of runs whose vitest process is gone; concurrent runs keep theirs.
  await dropDatabases((name) => {
    const pid = Number(/^duo_sync_t(\d+)_/.exec(name)?.[1]);
    return Number.isInteger(pid) && (pid === process.pid || !isAlive(pid));
  });
  await runMigrations(databaseUrl(template));
  await ensureTestPartitions(databaseUrl(template));
  project.provide('templateDatabase', template);
  if (process.env.TEMPORAL_ADDRESS) {
    project.provide('temporalAddress', process.env.TEMPORAL_ADDRESS);
  } else {
    server = await startTemporalDevServer();
    project.provide('temporalAddress', server.address);
  }
}

/**
 * The worker creates event partitions ahead; tests that store events directly get them in the
 * template instead: every month from two years ago to a year ahead. Tests of missing partitions use
 * months outside this range.
 */
async function ensureTestPartitions(url: string): Promise<void> {
  const handle = createDatabase(url, { poolSize: 1 });
  try {
    const now = Date.now();
    await ensureEventPartitions(handle.db, now - 730 * 86_400_000, now + 365 * 86_400_000);
  } finally {
    await handle.close();
  }
}

export async function teardown(): Promise<void> {
  await server?.stop();
  await dropDatabases((name) => name.startsWith(runDatabasePrefix(process.pid)));
}

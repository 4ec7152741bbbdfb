import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../../db/migrate.js';
import { adminUrl, databaseUrl, templateDatabase } from './postgres.js';
import { startTemporalDevServer, type DevServer } from './temporal-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

let server: DevServer | undefined;

/**
 * Once per test run: a Temporal dev server (real, from the CLI binary) and a migrated template
 * database that each test file clones. A missing server or database fails the run; nothing skips.
 */
export async function setup(project: TestProject): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${templateDatabase} with (force)`);
    // Leftovers of an interrupted earlier run.
    const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'duo_sync_test_%' and datname <> ${templateDatabase}`;
    for (const { datname } of stale) await admin.unsafe(`drop database if exists ${datname} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  await runMigrations(databaseUrl(templateDatabase));
  if (process.env.TEMPORAL_ADDRESS) {
    project.provide('temporalAddress', process.env.TEMPORAL_ADDRESS);
  } else {
    server = await startTemporalDevServer();
    project.provide('temporalAddress', server.address);
  }
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import postgres from 'postgres';

const run = promisify(execFile);

/**
 * A Postgres cluster of the chaos run's own (pg_createcluster, same binaries and defaults as the
 * machine's server), so the run can restart Postgres mid-backfill without breaking every other test
 * run that shares the main cluster.
 */
export interface PrivateCluster {
  version: string;
  name: string;
  port: number;
  /** URL of the `postgres` database (trust authentication on loopback). */
  adminUrl: string;
  /** `pg_ctlcluster <version> <name> restart`: a fast shutdown (open connections are cut) and a start. */
  restart(): Promise<void>;
  drop(): Promise<void>;
}

/** The installed Postgres major version, found as .ci/run finds it (first entry of /etc/postgresql). */
export function postgresVersion(): string {
  const versions = readdirSync('/etc/postgresql').sort();
  const version = versions[0];
  if (!version) throw new Error('no Postgres cluster configuration under /etc/postgresql');
  return version;
}

const CLUSTER_PREFIX = 'chaos';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ctl(version: string, name: string, action: 'start' | 'restart'): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, action]);
}

async function waitReady(adminUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sql = postgres(adminUrl, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`private Postgres cluster did not accept connections: ${String(error)}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

/** Creates and starts a cluster named chaos<pid> on `port`; clusters of chaos runs that died are dropped first. */
export async function createPrivateCluster(port: number): Promise<PrivateCluster> {
  const version = postgresVersion();
  for (const leftover of readdirSync(`/etc/postgresql/${version}`)) {
    const pid = Number(new RegExp(`^${CLUSTER_PREFIX}(\\d+)$`).exec(leftover)?.[1]);
    if (Number.isInteger(pid) && !isAlive(pid)) await run('pg_dropcluster', ['--stop', version, leftover]).catch(() => undefined);
  }
  const name = `${CLUSTER_PREFIX}${process.pid}`;
  await run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth=trust']);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const cluster: PrivateCluster = {
    version,
    name,
    port,
    adminUrl,
    async restart() {
      await ctl(version, name, 'restart');
      await waitReady(adminUrl);
    },
    async drop() {
      await run('pg_dropcluster', ['--stop', version, name]);
    },
  };
  try {
    await ctl(version, name, 'start');
    await waitReady(adminUrl);
  } catch (error) {
    await cluster.drop().catch(() => undefined);
    throw error;
  }
  return cluster;
}

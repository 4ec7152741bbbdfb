import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { copyFile, cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import postgres from 'postgres';
import { loadConfig, type Config } from '../../config/config.js';
import type { ConnectDeps } from '../../integrations/connect.js';
import { deleteIncrementalSchedule } from '../../integrations/schedules.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { createKeyring } from '../../db/credentials.js';
import { runMigrations } from '../../db/migrate.js';
import type { AccountSpec, DatasetSpec } from '../../simulator/server.js';
import { workflowsEntry } from '../../worker/build-bundle.js';
import { startTemporalDevServer, type DevServer } from '../../local/temporal-dev-server.js';
import { processSample, type ProcessSample } from './proc.js';

/**
 * The pieces every scenario stands on: one Temporal dev server and one pre-built workflow bundle per
 * bench run; per scenario a fresh database, a Duo simulator, and the real worker entry
 * (`worker/main.ts`) as a child process so its memory and CPU are its own.
 */

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Children that must not outlive the bench (the Temporal dev server, worker processes): killed
 * synchronously when the process exits for any reason, including a crash.
 */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
export function ownChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Stacks still open, so a signal handler can stop them and drop their databases. */
const openStacks = new Set<BenchStack>();
export async function closeOpenStacks(): Promise<void> {
  for (const stack of [...openStacks]) await stack.close().catch(() => undefined);
}

export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export type WorkerMode = 'build' | 'tsx';

export interface BenchStack {
  temporalAddress: string;
  bundlePath: string;
  /** How worker children run: compiled JS (as `npm run start:worker`) or `node --import tsx` (as `npm run worker`). */
  workerArgs: string[];
  /** Settings of the service under test on top of each scenario's (`--env`), to measure a default. */
  serviceEnv: Record<string, string>;
  temporal: Client;
  /** The dev server's pid when this stack started it (for its CPU time). */
  devServerPid: number | undefined;
  /** A fresh, migrated database `duo_sync_bench_<random>`; dropped by close(). */
  createDatabase(tag: string): Promise<BenchDatabase>;
  /** Stops everything this stack started and drops every database it created. */
  close(): Promise<void>;
}

export async function startStack(options: { temporalAddress?: string | undefined; worker: WorkerMode; workerNodeArgs?: string[]; serviceEnv?: Record<string, string> }): Promise<BenchStack> {
  const workDir = await mkdtemp(join(tmpdir(), 'duo-bench-'));
  let devServer: DevServer | undefined;
  const databases: BenchDatabase[] = [];
  try {
    const [server, bundle, workerArgs] = await Promise.all([
      options.temporalAddress ? Promise.resolve(undefined) : startTemporalDevServer(),
      buildBundle(join(workDir, 'workflow-bundle.js')),
      options.worker === 'build' ? compileWorker(workDir) : Promise.resolve(['--import', 'tsx', join(repoRoot, 'worker/main.ts')]),
    ]);
    devServer = server;
    if (server) ownChild(server.process);
    const temporalAddress = options.temporalAddress ?? server?.address ?? '';
    log(`Temporal at ${temporalAddress}${server ? ' (dev server started by the bench)' : ''}; workflow bundle ${Math.round(bundle.bytes / 1024)} KiB`);
    const temporal = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
    const stack: BenchStack = {
      temporalAddress,
      bundlePath: bundle.path,
      workerArgs: [...(options.workerNodeArgs ?? []), ...workerArgs],
      serviceEnv: options.serviceEnv ?? {},
      devServerPid: server?.process.pid,
      temporal,
      async createDatabase(tag) {
        const name = `duo_sync_bench_${tag.replace(/[^a-z0-9]/g, '').slice(0, 12)}_${randomBytes(4).toString('hex')}`;
        const url = databaseUrl(name);
        await runMigrations(url);
        const database: BenchDatabase = {
          name,
          url,
          async drop() {
            const index = databases.indexOf(database);
            if (index >= 0) databases.splice(index, 1);
            const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
            try {
              await admin.unsafe(`drop database if exists ${name} with (force)`);
            } finally {
              await admin.end({ timeout: 5 });
            }
          },
        };
        databases.push(database);
        return database;
      },
      async close() {
        openStacks.delete(stack);
        for (const database of [...databases]) await database.drop().catch((error: unknown) => log(`could not drop ${database.name}: ${String(error)}`));
        await temporal.connection.close().catch(() => {});
        await devServer?.stop();
        await rm(workDir, { recursive: true, force: true });
      },
    };
    openStacks.add(stack);
    return stack;
  } catch (error) {
    await devServer?.stop();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** What `npm run build:bundle` writes, built quietly into the bench's temporary directory. */
async function buildBundle(path: string): Promise<{ path: string; bytes: number }> {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: new DefaultLogger('WARN') });
  await writeFile(path, code);
  return { path, bytes: Buffer.byteLength(code) };
}

/**
 * The production build of the worker (`tsc -p tsconfig.build.json` plus the migrations, as
 * `npm run build` makes dist/), compiled into the bench's temporary directory so the repository's
 * dist/ is left alone. Returns the node arguments that start it.
 */
async function compileWorker(workDir: string): Promise<string[]> {
  const outDir = join(workDir, 'dist');
  await new Promise<void>((resolve, reject) => {
    const tsc = spawn(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir, '--sourceMap', 'false'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    tsc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    tsc.stderr.on('data', (c: Buffer) => (output += c.toString()));
    tsc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc failed (${code}): ${output.slice(-2000)}`))));
  });
  await cp(join(repoRoot, 'drizzle'), join(outDir, 'drizzle'), { recursive: true });
  // ESM ("type": "module") and the repository's packages, as beside the real dist/.
  await copyFile(join(repoRoot, 'package.json'), join(workDir, 'package.json'));
  await symlink(join(repoRoot, 'node_modules'), join(workDir, 'node_modules'), 'dir');
  return [join(outDir, 'worker/main.js')];
}

// --- configuration and accounts -----------------------------------------------------------------

/** The env of one scenario: the bench process and its worker child share it (same keys, same queue). */
export function scenarioEnv(stack: BenchStack, database: BenchDatabase, simulatorOrigin: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    API_TOKEN: randomBytes(16).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ENCRYPTION_KEY_ID: 'bench',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-${randomBytes(5).toString('hex')}`,
    DUO_API_ORIGIN_OVERRIDE: simulatorOrigin,
    DUO_LOG_REQUESTS_PER_MINUTE: '6000',
    DUO_OBJECT_REQUESTS_PER_MINUTE: '6000',
    // Scheduled incremental runs stay out of the way of backfill measurements unless a scenario asks.
    SYNC_INTERVAL_MINUTES: '60',
    WORKFLOW_BUNDLE_PATH: stack.bundlePath,
    ...overrides,
    ...stack.serviceEnv,
  };
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SECRET_CHARS = `${ALNUM}abcdefghijklmnopqrstuvwxyz`;
const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

export function makeAccount(dataset: DatasetSpec, rateLimits: AccountSpec['rateLimits'] = { logRequestsPerMinute: 600_000, objectRequestsPerMinute: 600_000 }): AccountSpec {
  return {
    integrationKey: `DI${chars(ALNUM, 18)}`,
    secretKey: chars(SECRET_CHARS, 40),
    apiHost: `api-${randomBytes(4).toString('hex')}.duosecurity.com`,
    dataset,
    rateLimits,
  };
}

export function credentialsOf(account: AccountSpec): { integrationKey: string; secretKey: string; apiHost: string } {
  return { integrationKey: account.integrationKey, secretKey: account.secretKey, apiHost: account.apiHost };
}

export interface ScenarioClient {
  config: Config;
  database: DatabaseHandle;
  deps: ConnectDeps;
  close(): Promise<void>;
}

/** What the API process would hold: config, a pool, the keyring and the Temporal client. */
export function scenarioClient(stack: BenchStack, env: Record<string, string>, poolSize = 10): ScenarioClient {
  const config = loadConfig(env);
  const database = createDatabase(config.DATABASE_URL, { poolSize });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY });
  return {
    config,
    database,
    deps: { db: database.db, config, keyring, temporal: stack.temporal },
    close: () => database.close(),
  };
}

/** Removes the tenants' schedules so nothing fires on a task queue whose worker is gone. */
export async function deleteSchedules(stack: BenchStack, tenantIds: string[]): Promise<void> {
  for (const tenantId of tenantIds) await deleteIncrementalSchedule(stack.temporal, tenantId).catch(() => false);
}

// --- the worker as a child process ----------------------------------------------------------------

/** CPU seconds of the Temporal dev server so far, when this stack started one. */
export function devServerCpuSeconds(stack: BenchStack): number | undefined {
  return stack.devServerPid ? processSample(stack.devServerPid)?.cpuSeconds : undefined;
}

export interface WorkerChild {
  pid: number;
  child: ChildProcess;
  /** VmHWM (peak RSS), current RSS and CPU seconds so far, from /proc. */
  sample(): ProcessSample;
  /** The reading once the worker had started (bundle loaded, connected, polling). */
  atStart: ProcessSample;
  output(): string;
  /** SIGTERM (graceful drain, writes a --cpu-prof profile), SIGKILL after 45 s. */
  stop(): Promise<ProcessSample>;
}

/**
 * The real worker entry (worker/main.ts, compiled or through tsx) with the scenario env, loading the
 * pre-built workflow bundle. Resolves once the worker logged "worker started".
 */
export async function startWorkerChild(stack: BenchStack, env: Record<string, string>, options: { cpuProfileDir?: string | undefined } = {}): Promise<WorkerChild> {
  const execArgs = [...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []), ...stack.workerArgs];
  const child = spawn(process.execPath, execArgs, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ownChild(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error('worker child did not start');
  let last: ProcessSample = { peakRssMb: 0, rssMb: 0, cpuSeconds: 0 };
  const sample = () => {
    const current = processSample(pid);
    if (current) last = current;
    return last;
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (!output.includes('"worker started"')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker child exited at start-up: ${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker child did not start within 120 s: ${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const atStart = sample();
  // The last good reading before exit: /proc is gone once the process is reaped.
  const sampler = setInterval(sample, 500);
  sampler.unref();
  return {
    pid,
    child,
    sample,
    atStart,
    output: () => output,
    async stop() {
      clearInterval(sampler);
      const final = sample();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
        await exited;
        clearTimeout(killer);
      }
      return final;
    },
  };
}

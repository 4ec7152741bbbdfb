import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { log, ownChild, repoRoot, type BenchStack } from '../lib/stack.js';

export interface UsageOptions {
  events: number;
  users: number;
  runs: number;
  /** An already loaded usage database (bench/load-usage-tenant.ts): measured as it is, not loaded. */
  databaseUrl?: string | undefined;
  tenant: string;
  timeoutMs: number;
}

export interface UsageEndpoint {
  name: string;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type UsageResult =
  | {
      measured: true;
      users: number;
      events: number;
      loadSeconds: number | null;
      endpoints: UsageEndpoint[];
      /** The worst endpoint's percentiles. */
      p50Ms: number;
      p95Ms: number;
      p99Ms: number;
    }
  | { measured: false; reason: string };

export const LOADER = 'bench/load-usage-tenant.ts';
const QUERIES = 'bench/usage-queries.ts';

export function runScript(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ownChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} exited with ${code ?? signal}: ${stderr.slice(-1500) || stdout.slice(-1500)}`));
    });
  });
}

/** Rows like `| name | 12.3 | 45.6 (over target) | 78.9 | 99.0 |` of usage-queries.ts's table. */
export function parseUsageTable(output: string): UsageEndpoint[] {
  const endpoints: UsageEndpoint[] = [];
  for (const line of output.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 5) continue;
    const [name, ...numbers] = cells;
    const values = numbers.map((c) => Number.parseFloat(c));
    if (!name || values.some((v) => !Number.isFinite(v))) continue;
    const [p50Ms, p95Ms, p99Ms, maxMs] = values as [number, number, number, number];
    endpoints.push({ name, p50Ms, p95Ms, p99Ms, maxMs });
  }
  return endpoints;
}

/**
 * Scenario F: the usage API's latency, through the whole app, measured by the usage team's own
 * tools: bench/load-usage-tenant.ts loads the tenant (the sync's own mappers and writes) and
 * bench/usage-queries.ts times each endpoint. Run as child processes (both are command-line
 * scripts); their table is parsed. Without those scripts, F is reported as not measured.
 */
export async function runUsage(stack: BenchStack, options: UsageOptions): Promise<UsageResult> {
  for (const script of [LOADER, QUERIES]) {
    if (!existsSync(join(repoRoot, script))) return { measured: false, reason: `${script} does not exist yet` };
  }
  const database = options.databaseUrl ? undefined : await stack.createDatabase('f');
  const url = options.databaseUrl ?? database?.url ?? '';
  try {
    let loadSeconds: number | null = null;
    if (database) {
      log(`f: loading a usage tenant of ${options.users} users and ${options.events} events with ${LOADER}`);
      const started = Date.now();
      await runScript(LOADER, ['--events', String(options.events), '--users', String(options.users), '--tenant', options.tenant], { DATABASE_URL: url }, options.timeoutMs);
      loadSeconds = (Date.now() - started) / 1000;
    } else {
      log(`f: measuring the already loaded usage database (tenant ${options.tenant})`);
    }
    const output = await runScript(QUERIES, ['--tenant', options.tenant, '--runs', String(options.runs), '--skip-csv'], { DATABASE_URL: url }, options.timeoutMs);
    const endpoints = parseUsageTable(output);
    if (endpoints.length === 0) return { measured: false, reason: `${QUERIES} printed no latency table: ${output.slice(0, 500)}` };
    const head = /(\d+) users, (\d+) events/.exec(output);
    const result: UsageResult = {
      measured: true,
      users: head?.[1] ? Number(head[1]) : options.users,
      events: head?.[2] ? Number(head[2]) : options.events,
      loadSeconds,
      endpoints,
      p50Ms: Math.max(...endpoints.map((e) => e.p50Ms)),
      p95Ms: Math.max(...endpoints.map((e) => e.p95Ms)),
      p99Ms: Math.max(...endpoints.map((e) => e.p99Ms)),
    };
    log(`f: ${endpoints.length} usage endpoints on ${result.users} users / ${result.events} events; worst p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms`);
    return result;
  } finally {
    await database?.drop();
  }
}

import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { loadConfig } from '../config/config.js';
import { createDatabase } from '../db/client.js';
import { createKeyring } from '../db/credentials.js';

/**
 * Latency of the usage endpoints on a tenant loaded by bench/load-usage-tenant.ts, measured through
 * the whole app (routing, auth, validation, queries, serialisation) with inject(), one request at
 * a time, after a warm-up. Prints p50/p95/p99 per scenario and the time of a full CSV export.
 *
 *   npx tsx bench/usage-queries.ts [--tenant bench] [--runs 200] [--skip-csv]
 */

const { values: args } = parseArgs({
  options: { tenant: { type: 'string', default: 'bench' }, runs: { type: 'string', default: '200' }, 'skip-csv': { type: 'boolean', default: false } },
});

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duo_usage_bench';
const TARGET_P95_MS = 150;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(app: FastifyInstance, headers: Record<string, string>, url: string, runs: number, warmUp = 5): Promise<number[]> {
  const timings: number[] = [];
  for (let i = 0; i < runs + warmUp; i++) {
    const started = process.hrtime.bigint();
    const response = await app.inject({ method: 'GET', url, headers });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
    if (i >= warmUp) timings.push(ms); // the first runs warm caches and the pool
  }
  return timings.sort((a, b) => a - b);
}

function row(name: string, t: number[]): string {
  const p95 = percentile(t, 95);
  const flag = p95 > TARGET_P95_MS ? ' (over target)' : '';
  return `| ${name} | ${percentile(t, 50).toFixed(1)} | ${p95.toFixed(1)}${flag} | ${percentile(t, 99).toFixed(1)} | ${(t[t.length - 1] ?? 0).toFixed(1)} |`;
}

async function main(): Promise<void> {
  const tenantId = args.tenant ?? 'bench';
  const runs = Number(args.runs);
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    API_TOKEN: randomBytes(24).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ENCRYPTION_KEY_ID: 'bench',
    LOG_LEVEL: 'warn',
  });
  const database = createDatabase(databaseUrl);
  // The usage routes never call Temporal: a lazy connection to nowhere is never opened.
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = buildApp({
    db: database.db,
    config,
    keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }),
    temporal: new Client({ connection }),
  });
  await app.ready();
  try {
    const [biggest] = await database.sql<{ name: string; members: number }[]>`
      select g.name, count(*)::int as members from duo_user_groups m join duo_groups g using (tenant_id, group_id)
      where m.tenant_id = ${tenantId} group by g.name order by members desc limit 1`;
    const [busiest] = await database.sql<{ user_id: string; n: number }[]>`
      select user_id, sum(auth_count)::int as n from duo_user_daily_activity where tenant_id = ${tenantId}
      group by user_id order by n desc limit 1`;
    const [counts] = await database.sql<{ users: number; events: number }[]>`
      select (select count(*)::int from duo_users where tenant_id = ${tenantId}) as users,
        (select event_count::int from stream_checkpoints where tenant_id = ${tenantId} and stream = 'auth') as events`;
    if (!biggest || !busiest || !counts) throw new Error(`tenant ${tenantId} is not loaded: run bench/load-usage-tenant.ts first`);
    const group = encodeURIComponent(biggest.name);
    const base = `/v1/tenants/${tenantId}/duo`;
    const headers = { authorization: `Bearer ${config.API_TOKEN}` };
    const secondPage = await app.inject({ method: 'GET', url: `${base}/users?status=active&limit=100&sort=lastActivityAt`, headers });
    const cursor = String(secondPage.json<{ nextCursor: string }>().nextCursor);

    const scenarios: [string, string][] = [
      [`users: status=active & group (${biggest.members} members)`, `${base}/users?status=active&group=${group}&limit=100`],
      ['users: status=active & group, by lastActivityAt', `${base}/users?status=active&group=${group}&sort=lastActivityAt&limit=100`],
      ['users: status=active & inactiveForDays=90', `${base}/users?status=active&inactiveForDays=90&sort=lastActivityAt&limit=100`],
      ['users: second page (cursor), 500 rows', `${base}/users?status=active&limit=500&sort=lastActivityAt&cursor=${cursor}`],
      ['users: search prefix', `${base}/users?search=ja&limit=100`],
      ['usage', `${base}/usage`],
      ['applications', `${base}/applications`],
      ['applications: group', `${base}/applications?group=${group}`],
      ['groups', `${base}/groups`],
      [`events: busiest user (${busiest.n} events), 100 newest`, `${base}/users/${busiest.user_id}/events?limit=100`],
    ];
    print(`tenant ${tenantId}: ${counts.users} users, ${counts.events} events; ${runs} runs per scenario after 5 warm-up runs`);
    print(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    print('| scenario | p50 ms | p95 ms | p99 ms | max ms |');
    print('|---|---:|---:|---:|---:|');
    for (const [name, url] of scenarios) print(row(name, await measure(app, headers, url, runs)));
    if (!args['skip-csv']) {
      const csv = await measure(app, { ...headers, accept: 'text/csv' }, `${base}/users`, 3, 1);
      print(`| CSV export of every user (${counts.users} rows) | ${percentile(csv, 50).toFixed(0)} | – | – | ${(csv[csv.length - 1] ?? 0).toFixed(0)} |`);
    }
    print(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  } finally {
    await app.close();
    await connection.close();
    await database.close();
  }
}

await main();

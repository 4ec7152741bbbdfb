import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemporalDevServer, type DevServer } from '../../local/temporal-dev-server.js';
import { incrementalScheduleId } from '../../workflows/definitions.js';
import { configToEnv } from '../../config/config.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWorkerProcess, type WorkerProcess } from '../../local/worker-process.js';

/**
 * Secret hygiene over a whole lifecycle: connect, sync, rotate the keys, fail on revoked keys, recover
 * with a PUT, disconnect. Afterwards every place a secret could leak to is scanned for every secret key
 * used (and for the API token and ENCRYPTION_KEY), as plaintext and base64, base64url, hex and
 * URL-encoded: workflow histories (payloads decoded), search attributes, schedule descriptions, API
 * log lines, the worker process's output, the Temporal dev server's log (this file's own server, at
 * debug level), API answers, webhook bodies and every column of every table. The only place a Duo
 * secret may be is sealed, in duo_integrations.secret_key_sealed, which holds ciphertext: none of
 * those forms either.
 */
const dataset = { seed: 77, users: 30, groups: 3, authEvents: 600, days: 3 };
const account = makeAccount({ dataset });
// The same Duo account through a second Admin API application: the keys we rotate to.
const rotated = makeAccount({ apiHost: account.apiHost, dataset });
// Keys of the right shape that Duo refuses: sent once, refused with 422, must not be stored anywhere.
const refusedSecret = randomBytes(30).toString('base64url').slice(0, 40);
const tenantId = 'hygiene';

let harness: SyncHarness;
let worker: WorkerProcess;
let receiver: Server;
const webhookBodies: string[] = [];
/** Status line, headers and body of every API answer of the lifecycle. */
const answers: string[] = [];
const scheduleDescriptions: string[] = [];
const statusCodes: number[] = [];

const duoSecrets = () => [account.secretKey, rotated.secretKey, refusedSecret];
/** Secrets of the API keys the lifecycle is driven with (one later revoked): shown once, then never again. */
const apiKeySecrets: string[] = [];
const allSecrets = () => [...duoSecrets(), ...apiKeySecrets, harness.api.config.API_TOKEN, harness.api.config.ENCRYPTION_KEY];
/** Who sends the lifecycle's requests: API_TOKEN until the operator's API key exists. */
let operatorAuth: () => { authorization: string } = () => harness.api.auth;

/** Creates an API key with the bootstrap token; its one answer holding the secret is not recorded. */
async function createApiKey(payload: Record<string, unknown>): Promise<{ keyId: string; secret: string }> {
  const response = await harness.api.app.inject({ method: 'POST', url: '/v1/keys', headers: harness.api.auth, payload });
  expect(response.statusCode).toBe(201);
  const created = response.json() as { key: { keyId: string }; secret: string };
  apiKeySecrets.push(created.secret);
  return { keyId: created.key.keyId, secret: created.secret };
}

interface SecretForm {
  /** Names the secret by its position and the encoding, never by its value. */
  label: string;
  value: string;
}

/**
 * The part of base64(x + bytes + y) that depends only on `bytes`, for each of the three alignments
 * the bytes can have inside a longer encoded text (groups touching x or y are left out).
 */
function embeddedBase64(bytes: Buffer, url: boolean): string[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
    const end = (offset + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 4;
    return encoded.slice(offset === 0 ? 0 : 4, Math.floor(end / 4) * 4);
  });
}

/** A secret as plaintext and in every encoding a careless log line or column could hold it. */
function formsOf(secret: string, index: number): SecretForm[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: SecretForm[] = [
    { label: 'plaintext', value: secret },
    { label: 'URL-encoded', value: encodeURIComponent(secret) },
    { label: 'hex', value: bytes.toString('hex') },
    { label: 'HEX', value: bytes.toString('hex').toUpperCase() },
    ...embeddedBase64(bytes, false).map((value, k) => ({ label: `base64 (alignment ${k})`, value })),
    ...embeddedBase64(bytes, true).map((value, k) => ({ label: `base64url (alignment ${k})`, value })),
  ];
  // A base64 key (ENCRYPTION_KEY) is also bytes of its own: those in hex and base64url.
  const raw = Buffer.from(secret, 'base64');
  if (raw.length >= 16 && raw.toString('base64') === secret) {
    forms.push({ label: 'decoded hex', value: raw.toString('hex') }, { label: 'decoded base64url', value: raw.toString('base64url').replace(/=+$/, '') });
  }
  const seen = new Set<string>();
  return forms
    .filter((form) => form.value.length >= 16 && !seen.has(form.value) && seen.add(form.value))
    .map((form) => ({ label: `secret #${index} ${form.label}`, value: form.value }));
}

const allForms = () => allSecrets().flatMap(formsOf);

/** Every string in a value, with byte arrays (payloads in histories) decoded as UTF-8. */
function textOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') out.push(String(value));
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (value instanceof Date) out.push(value.toISOString());
  else if (value instanceof Map) for (const [k, v] of value) textOf([k, v], out);
  else if (Array.isArray(value)) for (const item of value) textOf(item, out);
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) textOf([k, v], out);
  return out;
}

/** The secret forms that occur in `text`, by label, so a failing test does not print them. */
const leaksIn = (text: string, forms: SecretForm[]) => forms.filter((form) => text.includes(form.value)).map((form) => form.label);

async function call(method: InjectOptions['method'], path: string, payload?: Record<string, unknown>): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenantId}/integrations/duo${path}`, headers: operatorAuth(), payload });
  answers.push(`${response.statusCode} ${JSON.stringify(response.headers)} ${response.body}`);
  statusCodes.push(response.statusCode);
  return { statusCode: response.statusCode, body: response.json() };
}

const connect = (keys: { integrationKey: string; secretKey: string; apiHost: string }) =>
  call('PUT', '', { integrationKey: keys.integrationKey, secretKey: keys.secretKey, apiHost: keys.apiHost });

/**
 * Triggers one incremental run and waits for that very run (the first one that started after the
 * trigger) to finish; returns its outcome. A trigger while a run is going is skipped (overlap SKIP),
 * so it waits for quiet first, and triggers again if no run shows up.
 */
async function runIncremental(): Promise<string> {
  const sql = harness.api.database.sql;
  const schedule = harness.temporal.schedule.getHandle(incrementalScheduleId(tenantId));
  const quiet = async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'running'`;
    return (row?.n ?? 0) === 0 && (await schedule.describe()).info.runningActions.length === 0;
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    await waitFor('no incremental run going', quiet, 60_000, 200);
    const [clock] = await sql<{ now: Date }[]>`select now() as now`;
    const triggeredAt = clock?.now ?? new Date();
    expect((await call('POST', '/sync')).statusCode).toBe(202);
    const runAfterTrigger = async () => {
      const [row] = await sql<{ outcome: string }[]>`
        select outcome from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and started_at >= ${triggeredAt} order by id limit 1`;
      return row?.outcome;
    };
    try {
      await waitFor('the triggered run to start', async () => (await runAfterTrigger()) !== undefined, 20_000, 200);
    } catch {
      continue; // skipped: something was still running after all
    }
    await waitFor('the triggered run to finish', async () => (await runAfterTrigger()) !== 'running', 120_000, 200);
    return (await runAfterTrigger()) ?? 'missing';
  }
  throw new Error('no incremental run started after five triggers');
}

async function recordSchedule(): Promise<void> {
  const description = await harness.temporal.schedule.getHandle(incrementalScheduleId(tenantId)).describe();
  scheduleDescriptions.push(textOf(description).join('\n'));
}

/** Text of every row of every table (as JSON), leaving out only the sealed secret column; the leaks in it, by table. */
async function databaseLeaks(): Promise<string[]> {
  const sql = harness.api.database.sql;
  const tables = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`;
  expect(tables.length).toBeGreaterThan(10);
  const forms = allForms();
  const found: string[] = [];
  for (const { schema, name } of tables) {
    const rows = await sql<{ row: string }[]>`select (to_jsonb(t) - 'secret_key_sealed')::text as row from ${sql(schema)}.${sql(name)} t`;
    const text = rows.map((row) => row.row).join('\n');
    found.push(...leaksIn(text, forms).map((label) => `${schema}.${name}: ${label}`));
  }
  return found;
}

/** The sealed secret as stored now, to check it holds ciphertext only. */
async function recordSealed(): Promise<void> {
  const [row] = await harness.api.database.sql<{ sealed: string | null }[]>`select secret_key_sealed as sealed from duo_integrations where tenant_id = ${tenantId}`;
  sealedValues.push(row?.sealed ?? null);
}

let databaseLeaksBeforeDisconnect: string[] = [];
/** secret_key_sealed after connect, rotation and recovery. */
const sealedValues: Array<string | null> = [];
let devServer: DevServer;
let devServerLog = '';
let histories: string[] = [];
const executions: string[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      webhookBodies.push(body);
      response.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // A dev server of this file's own, logging at debug level, so its whole log can be scanned too.
  devServer = await startTemporalDevServer({ extraArgs: ['--log-level', 'debug'] });
  devServer.process.stderr?.on('data', (chunk: Buffer) => {
    devServerLog += chunk.toString();
  });
  harness = await startSyncHarness({
    accounts: [account, rotated],
    withWorker: false,
    temporalAddress: devServer.address,
    env: { NOTIFY_WEBHOOK_URL: webhook },
  });
  worker = startWorkerProcess(configToEnv(harness.api.config));

  // The lifecycle runs with a scoped, tenant-bound API key; a second key is revoked and then tried.
  const operator = await createApiKey({ name: 'hygiene-operator', scopes: ['integrations:write', 'integrations:read', 'usage:read'], tenantId });
  operatorAuth = () => ({ authorization: `Bearer ${operator.secret}` });
  const retired = await createApiKey({ name: 'hygiene-retired', scopes: ['usage:read'], tenantId });
  expect((await harness.api.app.inject({ method: 'DELETE', url: `/v1/keys/${retired.keyId}`, headers: harness.api.auth })).statusCode).toBe(200);
  const refusedRetired = await harness.api.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/duo/usage`, headers: { authorization: `Bearer ${retired.secret}` } });
  expect(refusedRetired.statusCode).toBe(401);
  answers.push(`${refusedRetired.statusCode} ${JSON.stringify(refusedRetired.headers)} ${refusedRetired.body}`);
  // Refused keys: 422, nothing stored.
  expect((await connect({ ...account, secretKey: refusedSecret })).statusCode).toBe(422);
  // Connect and sync.
  expect((await connect(account)).statusCode).toBe(202);
  // Runs happen only when the test triggers them: the schedule's own next run is a day away.
  expect((await call('PATCH', '', { syncIntervalMinutes: 1440 })).statusCode).toBe(200);
  await harness.waitForInitialSync(tenantId);
  await recordSealed();
  await recordSchedule();
  expect(await runIncremental()).toBe('completed');
  // Rotate to the second application's keys and sync with them.
  expect((await connect(rotated)).statusCode).toBe(202);
  expect(await runIncremental()).toBe('completed');
  await recordSealed();
  await recordSchedule();
  // Revoked keys: the run fails and the schedule pauses with a note.
  await harness.simulator.control.revoke(rotated.integrationKey, { keys: true });
  expect(await runIncremental()).toBe('failed');
  expect((await call('GET', '')).body).toMatchObject({ status: 'needs_attention', lastError: { code: 'DUO_CREDENTIALS_REJECTED' } });
  // The schedule is paused by a workflow step after the failed run is recorded: wait for it, not for the status.
  await waitFor(
    'the schedule paused for attention',
    async () => (await harness.temporal.schedule.getHandle(incrementalScheduleId(tenantId)).describe()).state.paused,
    60_000,
    200,
  );
  await recordSchedule();
  // Recover with a PUT of working keys.
  await harness.simulator.control.restore(rotated.integrationKey, { keys: true });
  expect((await connect(rotated)).statusCode).toBe(202);
  expect(await runIncremental()).toBe('completed');
  await recordSealed();
  expect((await call('PATCH', '', { syncIntervalMinutes: 1439, streams: { telephony: true } })).statusCode).toBe(200);
  expect((await call('POST', '/pause', { by: 'hygiene-test', reason: 'checking notes' })).statusCode).toBe(200);
  expect((await call('POST', '/resume', { by: 'hygiene-test', reason: 'done' })).statusCode).toBe(200);
  await recordSchedule();
  expect((await call('GET', '')).body).toMatchObject({ status: 'active', lastError: null });
  for (const path of ['/v1/tenants/hygiene/duo/usage', '/v1/tenants/hygiene/duo/users', '/v1/tenants/hygiene/duo/groups', '/openapi.json', '/v1/me', '/v1/keys', '/v1/audit']) {
    const admin = path === '/v1/keys' || path === '/v1/audit';
    const response = await harness.api.app.inject({ method: 'GET', url: path, headers: admin ? harness.api.auth : operatorAuth() });
    answers.push(`${response.statusCode} ${JSON.stringify(response.headers)} ${response.body}`);
  }
  databaseLeaksBeforeDisconnect = await databaseLeaks();
  // Disconnect.
  expect((await call('DELETE', '')).statusCode).toBe(200);
  expect((await call('GET', '')).body).toMatchObject({ status: 'disconnected' });

  // Every run the tenant had (visibility lags a little behind the runs themselves).
  const [runs] = await harness.api.database.sql<{ n: number }[]>`select count(distinct workflow_id || run_id)::int as n from sync_runs where tenant_id = ${tenantId}`;
  const listed: Array<{ workflowId: string; runId: string }> = [];
  await waitFor(
    'every run of the tenant in visibility',
    async () => {
      listed.length = 0;
      for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}"` })) {
        listed.push({ workflowId: execution.workflowId, runId: execution.runId });
        executions.push(textOf(execution).join('\n'));
      }
      return listed.length >= (runs?.n ?? 1);
    },
    30_000,
    500,
  );
  histories = [];
  for (const { workflowId, runId } of listed) {
    const history = await harness.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(textOf(history).join('\n'));
    executions.push(textOf(await harness.temporal.workflow.getHandle(workflowId, runId).describe()).join('\n'));
  }
}, 300_000);

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await harness?.close();
  await devServer?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('secret hygiene over connect, sync, rotate, fail, recover and disconnect', () => {
  it('went through every step: refused keys, connect, rotation, needs_attention, recovery, disconnect', () => {
    expect(statusCodes).toContain(422);
    expect(histories.length).toBeGreaterThanOrEqual(5);
    expect(scheduleDescriptions.length).toBe(4);
    expect(scheduleDescriptions[2]).toContain('DUO_CREDENTIALS_REJECTED');
  });

  it('keeps every secret out of every workflow history, payloads decoded', () => {
    expect(histories.flatMap((history) => leaksIn(history, allForms()))).toEqual([]);
  });

  it('keeps every secret out of workflow descriptions and search attributes', () => {
    expect(executions.length).toBeGreaterThan(0);
    expect(executions.flatMap((execution) => leaksIn(execution, allForms()))).toEqual([]);
  });

  it('keeps every secret out of schedule descriptions, pause notes included', () => {
    expect(scheduleDescriptions.flatMap((description) => leaksIn(description, allForms()))).toEqual([]);
  });

  it('drove the lifecycle with the scoped API key: the audit trail names it for each change', async () => {
    const rows = await harness.api.database.sql<{ action: string }[]>`select action from audit_log where key_name = 'hygiene-operator' and tenant_id = ${tenantId}`;
    expect(rows.map((row) => row.action)).toEqual(expect.arrayContaining(['integration.connect', 'integration.settings', 'integration.pause', 'integration.resume', 'integration.disconnect']));
  });

  it('keeps every secret out of the API log lines', () => {
    expect(harness.api.logs().length).toBeGreaterThan(0);
    expect(leaksIn(harness.api.logs(), allForms())).toEqual([]);
  });

  it('keeps every secret out of the worker process output', () => {
    expect(worker.output()).toContain('worker started');
    expect(leaksIn(worker.output(), allForms())).toEqual([]);
  });

  it('keeps every secret out of every API answer', () => {
    expect(answers.length).toBeGreaterThan(10);
    expect(answers.flatMap((answer) => leaksIn(answer, allForms()))).toEqual([]);
  });

  it('keeps every secret out of the Temporal dev server\'s log', () => {
    expect(devServerLog.length).toBeGreaterThan(1000);
    expect(leaksIn(devServerLog, allForms())).toEqual([]);
  });

  it('keeps every secret out of webhook bodies', () => {
    expect(webhookBodies.length).toBeGreaterThan(0);
    expect(webhookBodies.flatMap((body) => leaksIn(body, allForms()))).toEqual([]);
  });

  it('keeps every secret out of every database column except the sealed one, before and after disconnect', async () => {
    expect(databaseLeaksBeforeDisconnect).toEqual([]);
    expect(await databaseLeaks()).toEqual([]);
  });

  it('keeps the sealed column free of every secret in every encoding: it holds ciphertext', () => {
    expect(sealedValues).toHaveLength(3);
    for (const sealed of sealedValues) {
      expect(sealed).toMatch(/^v1\./);
      expect(leaksIn(sealed ?? '', allForms())).toEqual([]);
    }
  });

  it('erases the sealed secret on disconnect', async () => {
    const [row] = await harness.api.database.sql<{ sealed: string | null }[]>`select secret_key_sealed as sealed from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.sealed).toBeNull();
  });
});

describe('a worker started with the wrong ENCRYPTION_KEY', () => {
  let wrongKeyWorker: WorkerProcess;
  let exitCode: number | null = null;
  const wrongKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    wrongKeyWorker = startWorkerProcess({ ...configToEnv(harness.api.config), ENCRYPTION_KEY: wrongKey });
    const [code]: unknown[] = await once(wrongKeyWorker.child, 'exit');
    exitCode = typeof code === 'number' ? code : null;
  }, 120_000);

  it('exits with a non-zero status instead of starting', () => {
    expect(exitCode).not.toBeNull();
    expect(exitCode).not.toBe(0);
  });

  it('names ENCRYPTION_KEY_MISMATCH in what it prints', () => {
    expect(wrongKeyWorker.output()).toContain('ENCRYPTION_KEY_MISMATCH');
  });

  it('prints neither the wrong key nor the right one', () => {
    expect(leaksIn(wrongKeyWorker.output(), [...formsOf(wrongKey, 0), ...formsOf(harness.api.config.ENCRYPTION_KEY, 1)])).toEqual([]);
  });
});

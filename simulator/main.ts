import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startSimulator } from './server.js';
import { accountSpecSchema, type AccountSettings, type AccountSpec, type FaultSpec, type RateLimitSpec } from './spec.js';

/**
 * `npm run simulator -- [options]`: runs the Duo Admin API simulator until interrupted and prints
 * its origin and the credentials it accepts. With no options: one demo account, fresh keys.
 */

const HELP = `Duo Admin API simulator

Usage: npm run simulator -- [options]

  --host H                 listen address (default 127.0.0.1)
  --port N                 port (default 9100; 0 = any free port)
  --accounts N             number of generated accounts (default 1); seeds seed, seed+1, ...
  --config FILE            JSON file: an array of account specs (or {"accounts": [...]}), replaces generation
  --ikey K --skey S --api-host H   credentials of the first generated account (default: random)
  --seed N                 dataset seed (default 1)
  --users N --groups N     roster size (default 200 users, 12 groups)
  --events N               authentication events over --days (default 20000; alias --auth-events)
  --days N                 history length, at most 180 (default 30)
  --idle-share X           share of users with no events (default 0.15)
  --live-per-minute X      new authentication events per minute after start (default 2)
  --telephony-events N --activity-events N --admin-events N
  --log-rpm X --object-rpm X        rate limits per account (default unlimited)
  --server-error-rate X --rate-limit-rate X --reset-rate X --slow-rate X --slow-ms N
  --truncated-rate X --malformed-rate X --schema-drift-rate X --type-drift-rate X
  --stuck-cursor-rate X --fault-seed N
  --late-publication-rate X        share of authentication events Duo publishes late (default 0)
  --late-publication-min-minutes N --late-publication-max-minutes N   their lateness (default 5 to 240)
  --late-publication-shape S       logUniform (default) or uniform
  --log-retention-days N           the account's Duo log retention (default 180)
  --max-log-page-size N            most rows per v2 log page, whatever limit asks (default 1000)
  --tls-cert FILE --tls-key FILE   also serve HTTPS with this certificate (PEM) ...
  --tls-port N                     ... on this port (default: any free port)
  --json                   print one JSON line {origin, accounts} instead of text
  --help
`;

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  accounts: { type: 'string' },
  config: { type: 'string' },
  ikey: { type: 'string' },
  skey: { type: 'string' },
  'api-host': { type: 'string' },
  seed: { type: 'string' },
  users: { type: 'string' },
  groups: { type: 'string' },
  events: { type: 'string' },
  'auth-events': { type: 'string' },
  days: { type: 'string' },
  'idle-share': { type: 'string' },
  'live-per-minute': { type: 'string' },
  'telephony-events': { type: 'string' },
  'activity-events': { type: 'string' },
  'admin-events': { type: 'string' },
  'log-rpm': { type: 'string' },
  'object-rpm': { type: 'string' },
  'server-error-rate': { type: 'string' },
  'rate-limit-rate': { type: 'string' },
  'reset-rate': { type: 'string' },
  'slow-rate': { type: 'string' },
  'slow-ms': { type: 'string' },
  'truncated-rate': { type: 'string' },
  'malformed-rate': { type: 'string' },
  'schema-drift-rate': { type: 'string' },
  'type-drift-rate': { type: 'string' },
  'stuck-cursor-rate': { type: 'string' },
  'fault-seed': { type: 'string' },
  'late-publication-rate': { type: 'string' },
  'late-publication-min-minutes': { type: 'string' },
  'late-publication-max-minutes': { type: 'string' },
  'late-publication-shape': { type: 'string' },
  'log-retention-days': { type: 'string' },
  'max-log-page-size': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-port': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

class UsageError extends Error {}

function numberOption(values: Values, name: keyof typeof options, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got ${raw}`);
  return value;
}

function lateShapeOption(values: Values): FaultSpec['latePublicationShape'] {
  const raw = values['late-publication-shape'];
  if (raw === undefined) return undefined;
  if (raw !== 'logUniform' && raw !== 'uniform') throw new UsageError(`--late-publication-shape must be logUniform or uniform, got ${raw}`);
  return raw;
}

/** `--tls-cert` and `--tls-key` together, or neither. */
function tlsOption(values: Values): { key: string; cert: string; port?: number } | undefined {
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), port: numberOption(values, 'tls-port') };
}

function randomKey(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function generatedAccounts(values: Values): AccountSpec[] {
  const count = numberOption(values, 'accounts', 1) ?? 1;
  const seed = numberOption(values, 'seed', 1) ?? 1;
  const faults: FaultSpec = {
    seed: numberOption(values, 'fault-seed'),
    serverErrorRate: numberOption(values, 'server-error-rate'),
    rateLimitRate: numberOption(values, 'rate-limit-rate'),
    resetRate: numberOption(values, 'reset-rate'),
    slowRate: numberOption(values, 'slow-rate'),
    slowMs: numberOption(values, 'slow-ms'),
    truncatedRate: numberOption(values, 'truncated-rate'),
    malformedRate: numberOption(values, 'malformed-rate'),
    schemaDriftRate: numberOption(values, 'schema-drift-rate'),
    typeDriftRate: numberOption(values, 'type-drift-rate'),
    stuckCursorRate: numberOption(values, 'stuck-cursor-rate'),
    latePublicationRate: numberOption(values, 'late-publication-rate'),
    latePublicationMinMinutes: numberOption(values, 'late-publication-min-minutes'),
    latePublicationMaxMinutes: numberOption(values, 'late-publication-max-minutes'),
    latePublicationShape: lateShapeOption(values),
  };
  const settings: AccountSettings = {
    logRetentionDays: numberOption(values, 'log-retention-days'),
    maxLogPageSize: numberOption(values, 'max-log-page-size'),
  };
  const rateLimits: RateLimitSpec = {
    logRequestsPerMinute: numberOption(values, 'log-rpm'),
    objectRequestsPerMinute: numberOption(values, 'object-rpm'),
  };
  const accounts: AccountSpec[] = [];
  for (let k = 0; k < count; k++) {
    accounts.push({
      integrationKey: (k === 0 ? values.ikey : undefined) ?? `DI${randomKey(UPPER_ALNUM, 18)}`,
      secretKey: (k === 0 ? values.skey : undefined) ?? randomKey(`${UPPER_ALNUM}abcdefghijklmnopqrstuvwxyz`, 40),
      apiHost: (k === 0 ? values['api-host'] : undefined) ?? `api-${randomBytes(4).toString('hex')}.duosecurity.com`,
      dataset: {
        seed: seed + k,
        users: numberOption(values, 'users', 200) ?? 200,
        groups: numberOption(values, 'groups', 12) ?? 12,
        authEvents: numberOption(values, 'events', numberOption(values, 'auth-events', 20_000)) ?? 20_000,
        days: numberOption(values, 'days', 30) ?? 30,
        idleUserShare: numberOption(values, 'idle-share'),
        liveEventsPerMinute: numberOption(values, 'live-per-minute', 2),
        telephonyEvents: numberOption(values, 'telephony-events'),
        activityEvents: numberOption(values, 'activity-events'),
        adminEvents: numberOption(values, 'admin-events'),
      },
      rateLimits,
      faults,
      settings,
    });
  }
  return accounts.map((spec) => accountSpecSchema.parse(spec));
}

function configAccounts(path: string): AccountSpec[] {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const list = z.union([z.array(accountSpecSchema), z.object({ accounts: z.array(accountSpecSchema) })]).parse(raw);
  return Array.isArray(list) ? list : list.accounts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const accounts = values.config ? configAccounts(values.config) : generatedAccounts(values);
  const simulator = await startSimulator({
    host: values.host,
    port: numberOption(values, 'port', 9100),
    accounts,
    tls: tlsOption(values),
  });
  const summary = accounts.map((a) => ({
    integrationKey: a.integrationKey,
    secretKey: a.secretKey,
    apiHost: a.apiHost,
    permissions: { readLog: true, readResource: true, readInformation: true, readApplications: true, ...a.permissions },
    dataset: a.dataset,
  }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ origin: simulator.origin, tlsOrigin: simulator.tlsOrigin, pid: process.pid, accounts: summary })}\n`);
  } else {
    const lines = [`Duo simulator listening on ${simulator.origin} (control API: ${simulator.origin}/__sim/)`];
    if (simulator.tlsOrigin) lines.push(`  and over HTTPS on ${simulator.tlsOrigin}`);
    lines.push('');
    for (const a of summary) {
      lines.push(
        `  integration key  ${a.integrationKey}`,
        `  secret key       ${a.secretKey}`,
        `  API host         ${a.apiHost}`,
        `  data             seed ${a.dataset.seed}, ${a.dataset.users} users, ${a.dataset.groups} groups, ~${a.dataset.authEvents} auth events over ${a.dataset.days} days`,
        '',
      );
    }
    lines.push(`Point the service at it with NODE_ENV=development DUO_API_ORIGIN_OVERRIDE=${simulator.origin}`);
    if (simulator.tlsOrigin) {
      const port = new URL(simulator.tlsOrigin).port;
      lines.push(`or, over HTTPS, with NODE_ENV=development DUO_TEST_RESOLVE='*:127.0.0.1:${port}' DUO_TEST_CA_FILE=<the CA that issued --tls-cert>`);
    }
    lines.push('');
    process.stdout.write(lines.join('\n'));
  }
  const stop = (): void => {
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof z.ZodError ? z.prettifyError(error) : error instanceof Error ? error.message : String(error);
  process.stderr.write(`simulator: ${message}\n${error instanceof UsageError ? HELP : ''}`);
  process.exit(2);
});

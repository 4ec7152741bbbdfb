import { join } from 'node:path';
import { processEnvironment } from '../config/config.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type RunningSimulator } from '../simulator/server.js';
import { startLocalStack, type LocalStack } from '../local/local-stack.js';
import { DemoApiClient, type IntegrationStatus } from './api-client.js';
import { demoAccountSpec, demoDuoKeys } from './duo-account.js';
import { DEMO_HELP, DemoUsageError, parseDemoOptions, type DemoOptions } from './options.js';
import { ProgressReporter, ProgressTracker } from './progress-bar.js';
import { consoleLink, renderUsageSummary, temporalUiTenantLink } from './summary.js';

/**
 * `npm run demo`: what `npm start` runs, plus the Duo simulator with a demo account; connects a
 * tenant through the HTTP API like a customer, shows the initial sync's progress, then the usage
 * summary and where to look next.
 */

class InitialSyncFailedError extends Error {
  override readonly name = 'InitialSyncFailedError';
}

const environment = processEnvironment();
const out = process.stdout;
const say = (text = '') => out.write(`${text}\n`);

/** Demo defaults that make a 90-day account sync in about a minute; anything set in the environment wins. */
function demoEnv(options: DemoOptions, simulatorOrigin: string): Record<string, string | undefined> {
  return {
    ...environment,
    DUO_API_ORIGIN_OVERRIDE: simulatorOrigin,
    LOG_LEVEL: environment.LOG_LEVEL ?? 'warn',
    // The simulator is not Duo: no reason to wait at Duo's 2 log requests a minute here.
    DUO_LOG_REQUESTS_PER_MINUTE: environment.DUO_LOG_REQUESTS_PER_MINUTE ?? '1200',
    DUO_OBJECT_REQUESTS_PER_MINUTE: environment.DUO_OBJECT_REQUESTS_PER_MINUTE ?? '1200',
    BACKFILL_DAYS: environment.BACKFILL_DAYS ?? String(options.days),
  };
}

async function waitForInitialSync(client: DemoApiClient, tenant: string): Promise<IntegrationStatus> {
  const tracker = new ProgressTracker();
  const reporter = new ProgressReporter(out);
  const pollMs = out.isTTY ? 500 : 1000;
  try {
    for (;;) {
      const status = await client.status(tenant);
      reporter.show(tracker.update(status));
      if (status.initialSync.state === 'completed') return status;
      if (status.initialSync.state === 'failed' || status.status === 'needs_attention') {
        const cause = status.lastError ? `${status.lastError.code}: ${status.lastError.message}` : 'no error recorded';
        throw new InitialSyncFailedError(`the initial sync of tenant ${tenant} failed (${cause})`);
      }
      await sleep(pollMs);
    }
  } finally {
    reporter.finish();
  }
}

async function main(): Promise<number> {
  let options: DemoOptions;
  try {
    const parsed = parseDemoOptions(process.argv.slice(2));
    if (parsed === 'help') {
      out.write(DEMO_HELP);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\n\n${DEMO_HELP}`);
    return 2;
  }
  if (environment.NODE_ENV === 'production') {
    process.stderr.write('demo: refuses to run with NODE_ENV=production (it points the service at a simulated Duo)\n');
    return 2;
  }
  // A demo is a development run by definition: it points the service at a simulated Duo, which the
  // origin override allows only in a process declared for development or tests (the process's own
  // environment, which the Duo transport checks as well).
  environment.NODE_ENV ??= 'development';

  const dataDir = join(process.cwd(), '.data');
  const keys = demoDuoKeys(dataDir);
  let simulator: RunningSimulator | undefined;
  let stack: LocalStack | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await stack?.stop();
      await simulator?.close();
    })());
  process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  try {
    simulator = await startSimulator({ accounts: [demoAccountSpec(keys, options)] });
    say(`Duo simulator: ${simulator.origin} (demo account: ${options.users} users, ~${options.events} events over ${options.days} days)`);
    say('Starting Temporal, the database, the worker and the API …');
    stack = await startLocalStack(demoEnv(options, simulator.origin), { dataDir });
    say(`Database: ${stack.databaseLabel}`);
    say(`API: ${stack.apiUrl}`);
    if (stack.generatedApiToken) say(`Local API token (from .data/dev-secrets.json): ${stack.generatedApiToken}`);

    const client = new DemoApiClient(stack.apiUrl, stack.config.API_TOKEN);
    const connected = await client.connectDuo(options.tenant, keys);
    say(`\nConnected tenant "${options.tenant}" (PUT /v1/tenants/${options.tenant}/integrations/duo): ${connected.status}, initial sync ${connected.initialSync.state}\n`);

    const started = Date.now();
    const done = await waitForInitialSync(client, options.tenant);
    say(`\nInitial sync completed${done.initialSync.completedAt ? ` at ${done.initialSync.completedAt}` : ''} (watched for ${((Date.now() - started) / 1000).toFixed(1)} s): ${done.counts.users} users, ${done.counts.groups} groups, ${done.counts.authEvents} authentication events\n`);

    const [usage, applications] = await Promise.all([client.usage(options.tenant), client.applications(options.tenant)]);
    say('Usage summary (GET /v1/tenants/{tenant}/duo/usage and /duo/applications)\n');
    say(renderUsageSummary(usage, applications.applications));
    say('\nWhere to look next');
    say(`  API description:  ${stack.apiUrl}/openapi.json  (send "Authorization: Bearer <token>"; docs/API.md explains every route)`);
    say(`  Usage API:        curl -H "Authorization: Bearer $API_TOKEN" ${stack.apiUrl}/v1/tenants/${options.tenant}/duo/usage`);
    // Not the admin token: a key that sees this tenant only and expires in a day.
    const consoleKey = await client.createKey({
      name: 'demo console',
      scopes: ['integrations:read', 'integrations:write', 'usage:read'],
      tenantId: options.tenant,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    say(`  Console:          ${consoleLink(stack.apiUrl, options.tenant, consoleKey.secret)}  (a key for "${options.tenant}" only, valid 24 h)`);
    say(
      stack.temporalUiUrl
        ? `  Temporal UI:      ${temporalUiTenantLink(stack.temporalUiUrl, stack.config.TEMPORAL_NAMESPACE, options.tenant)}`
        : `  Temporal UI:      your Temporal's UI, filter TenantId = "${options.tenant}"`,
    );

    if (options.exitWhenDone) {
      await stopAll();
      say('\nDemo complete; stopped.');
      return 0;
    }
    say('\nThe incremental schedule keeps the tenant fresh. Press Ctrl-C to stop everything.');
    await stack.done;
    return 0;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { Config } from '../config/config.js';
import { ConfigError } from '../errors/app-error.js';
import { initialSyncProgressQuery, initialSyncWorkflowId, tenantIdSearchAttribute } from '../workflows/definitions.js';
import type { initialSync } from '../workflows/initial-sync.js';
import type { InitialSyncProgress } from '../workflows/types.js';

type TemporalConnectionConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CA_FILE'
  | 'TEMPORAL_TLS_CERT_FILE'
  | 'TEMPORAL_TLS_KEY_FILE'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
>;

/** What both `Connection` (client) and `NativeConnection` (worker) accept: the same fields, one builder. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * The connection options of every process (API, worker, CLI) from config: TLS with an optional
 * private CA, client certificate pair and server name, and an API key (Temporal Cloud). The PEM files
 * are read here, once per connection; an unreadable file is a configuration error naming the variable,
 * never its content.
 */
export function temporalConnectionOptions(
  config: TemporalConnectionConfig,
  readFile: (path: string) => Buffer = (path) => readFileSync(path),
): TemporalConnectionOptions {
  const pem = (variable: 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE'): Buffer | undefined => {
    const path = config[variable];
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch {
      throw new ConfigError(`Invalid configuration: ${variable} cannot be read`, [variable]);
    }
  };
  const ca = pem('TEMPORAL_TLS_CA_FILE');
  const crt = pem('TEMPORAL_TLS_CERT_FILE');
  const key = pem('TEMPORAL_TLS_KEY_FILE');
  const serverName = config.TEMPORAL_TLS_SERVER_NAME;
  const anyTlsOption = ca !== undefined || crt !== undefined || serverName !== undefined;
  // An API key is a bearer credential: it implies TLS unless TLS was switched off explicitly.
  const useTls = config.TEMPORAL_TLS === 'true' || anyTlsOption || (config.TEMPORAL_API_KEY !== undefined && config.TEMPORAL_TLS !== 'false');
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(useTls
      ? {
          tls: {
            ...(serverName === undefined ? {} : { serverNameOverride: serverName }),
            ...(ca === undefined ? {} : { serverRootCACertificate: ca }),
            ...(crt !== undefined && key !== undefined ? { clientCertPair: { crt, key } } : {}),
          },
        }
      : {}),
    ...(config.TEMPORAL_API_KEY === undefined ? {} : { apiKey: config.TEMPORAL_API_KEY }),
  };
}

/**
 * The API's client. It connects lazily: the API starts and serves the Postgres-only usage routes while
 * Temporal is down, and routes needing Temporal answer 503 temporal_unavailable until it is back.
 */
export function createTemporalClient(config: Config): Client {
  const connection = Connection.lazy(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

export interface StartedRun {
  workflowId: string;
  runId: string;
}

/**
 * A connect request waits at most this long for Temporal to accept the start. Without a deadline the
 * SDK keeps retrying an unreachable server for many seconds and the PUT hangs instead of answering 503.
 */
export const START_DEADLINE_MS = 5_000;

/**
 * Starts the tenant's initial sync, or returns the run already going (conflict policy USE_EXISTING):
 * connecting twice never starts a second workflow. Arguments are ids and time bounds only.
 */
export async function startInitialSync(
  client: Client,
  config: Config,
  input: { tenantId: string; anchorMs: number; backfillStartMs: number },
): Promise<StartedRun> {
  const workflowId = initialSyncWorkflowId(input.tenantId);
  const handle = await client.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
    client.workflow.start<typeof initialSync>('initialSync', {
      workflowId,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: tenantIdSearchAttribute, value: input.tenantId }],
      staticSummary: `Initial Duo sync · tenant ${input.tenantId}`,
      staticDetails:
        `Roster, then ${Math.round((input.anchorMs - input.backfillStartMs) / 86_400_000)} days of authentication logs, newest day first, ` +
        `up to ${new Date(input.anchorMs).toISOString()}. Later events belong to the incremental schedule.`,
    }),
  );
  return { workflowId, runId: handle.firstExecutionRunId };
}

/** Live progress from the running workflow, or undefined when it is not running or not reachable. */
export async function queryInitialSyncProgress(client: Client, tenantId: string): Promise<InitialSyncProgress | undefined> {
  try {
    return await client.workflow.getHandle(initialSyncWorkflowId(tenantId)).query(initialSyncProgressQuery);
  } catch {
    // Not running, no worker polling, or Temporal down: the status document falls back to Postgres.
    return undefined;
  }
}

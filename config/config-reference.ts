import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, duoCliEnvSchema } from './config.js';

/**
 * The configuration reference in docs/OPERATIONS.md, generated from the zod schema: names, whether
 * required, defaults and accepted values come from the schema itself; only the prose is written here,
 * keyed by the schema's own variable names, so a variable added without a description does not compile
 * and a changed default or bound shows up as a stale table (test/unit/config/config-reference.test.ts).
 */

export type ConfigVariable = keyof z.input<typeof configSchema> | keyof z.input<typeof duoCliEnvSchema>;

type ReadBy = 'api' | 'worker' | 'api, worker' | 'api, worker, duo check' | 'duo check';

interface VariableNotes {
  readBy: ReadBy;
  meaning: string;
  /** Only where a refinement says more than JSON Schema can (keys, key lists). */
  accepts?: string;
}

const notes: Record<ConfigVariable, VariableNotes> = {
  NODE_ENV: {
    readBy: 'api, worker, duo check',
    meaning:
      '`production` requires `DATABASE_URL` and never generates local secrets. The test-only switches (`DUO_API_ORIGIN_OVERRIDE`, `DUO_TEST_RESOLVE`, `DUO_TEST_CA_FILE`) take effect only with `development` or `test`: unset refuses them, as `production` does.',
  },
  LOG_LEVEL: { readBy: 'api, worker', meaning: 'pino level of the JSON logs (stdout); secrets and Authorization headers are redacted.' },
  DATABASE_URL: {
    readBy: 'api, worker',
    meaning:
      'The app\'s Postgres database; created if missing and migrated at start (and by `node dist/db/migrate.js`). Required when `NODE_ENV=production`. Unset otherwise: `npm start` and `npm run demo` serve an embedded PGlite from `.data/pglite`; other processes use `postgres://postgres@127.0.0.1:5432/duo_sync`.',
  },
  DATABASE_POOL_SIZE: { readBy: 'api, worker', meaning: 'Connections in the process\'s postgres-js pool.' },
  TEMPORAL_ADDRESS: { readBy: 'api, worker', meaning: 'Temporal frontend (`host:port`).' },
  TEMPORAL_NAMESPACE: { readBy: 'api, worker', meaning: 'Namespace; needs the `TenantId` Keyword search attribute (deploy/temporal/setup-namespace.sh).' },
  TEMPORAL_TASK_QUEUE: { readBy: 'api, worker', meaning: 'Task queue of every workflow and of the initial sync activities; the recurring sync activities use `<queue>-incremental` (their own activity slots). Workers poll both; the same in every process.' },
  TEMPORAL_UI_URL: { readBy: 'api', meaning: 'Base URL of the Temporal UI (e.g. `http://127.0.0.1:8233`); the console links each tenant to its workflows there, filtered by `TenantId`. Unset: no links. `npm start` sets it to its dev server\'s UI.' },
  API_HOST: { readBy: 'api', meaning: 'Interface the API listens on (`0.0.0.0` in a container).' },
  API_PORT: { readBy: 'api', meaning: 'Port of the API, `/healthz`, `/readyz` and `/metrics` (0 = any free port).' },
  TEMPORAL_TLS: {
    readBy: 'api, worker',
    meaning: '`true`: connect to Temporal over TLS, trusting the system roots unless `TEMPORAL_TLS_CA_FILE` is set. Unset: TLS whenever a `TEMPORAL_TLS_*` variable or `TEMPORAL_API_KEY` is set, else plaintext. `false` with an API key sends the key without TLS (a local proxy only).',
  },
  TEMPORAL_TLS_CA_FILE: { readBy: 'api, worker', meaning: 'PEM file of the CA that signed the Temporal frontend\'s certificate (a private CA); unset trusts the system roots.' },
  TEMPORAL_TLS_CERT_FILE: { readBy: 'api, worker', meaning: 'PEM file of the client certificate for mutual TLS (self-hosted with mTLS, Temporal Cloud with certificates); set with `TEMPORAL_TLS_KEY_FILE`.' },
  TEMPORAL_TLS_KEY_FILE: { readBy: 'api, worker', meaning: 'PEM file of the client certificate\'s private key; set with `TEMPORAL_TLS_CERT_FILE`. A secret (keep the file readable by the service only).' },
  TEMPORAL_TLS_SERVER_NAME: { readBy: 'api, worker', meaning: 'Name the frontend\'s certificate must carry when it differs from the host of `TEMPORAL_ADDRESS` (SNI and verification).' },
  TEMPORAL_API_KEY: { readBy: 'api, worker', meaning: 'API key of a Temporal Cloud namespace (or any frontend accepting bearer keys); implies TLS. A secret.' },
  API_TOKEN: {
    readBy: 'api',
    meaning: 'The bootstrap admin key: a bearer token with every scope (key id `bootstrap`), beside the API keys stored in Postgres (`npm run keys`). Not the probes. A secret; required by every process (one schema).',
  },
  API_RATE_LIMIT_PER_MINUTE: { readBy: 'api', meaning: 'Requests one API key may send per minute (per client address before a key is known); beyond, `429 rate_limited` with `Retry-After`. Per API process.' },
  API_CSV_EXPORTS_PER_KEY: { readBy: 'api', meaning: 'CSV exports one API key may stream at the same time (per API process); one more answers `429 too_many_exports`.' },
  AUDIT_RETENTION_DAYS: { readBy: 'api, worker', meaning: 'Days the audit trail keeps its rows; each worker deletes older ones with its periodic pass.' },
  ENCRYPTION_KEY: {
    readBy: 'api, worker',
    meaning: 'AES-256-GCM key sealing Duo secret keys at rest. A secret; a key the database does not know under `ENCRYPTION_KEY_ID` fails start-up.',
    accepts: '32 random bytes, base64 (`openssl rand -base64 32`)',
  },
  ENCRYPTION_KEY_ID: { readBy: 'api, worker', meaning: 'Id stored with every sealed secret; a new id + key is a rotation (docs/OPERATIONS.md, key rotation).' },
  ENCRYPTION_PREVIOUS_KEYS: {
    readBy: 'api, worker',
    meaning: 'Older keys still accepted for opening secrets during a rotation. A secret.',
    accepts: '`id:base64key` entries, comma-separated',
  },
  DUO_API_ORIGIN_OVERRIDE: {
    readBy: 'api, worker, duo check',
    meaning: 'Tests and local runs only: send every Duo request to this origin (the simulator). Refused unless `NODE_ENV` is `development` or `test`.',
  },
  DUO_TEST_RESOLVE: {
    readBy: 'api, worker, duo check',
    meaning:
      'Tests only: connect to `address:port` instead of the address DNS gives for a Duo API host (`*` for any), keeping `https://<api host>`, its SNI and certificate check, so the production TLS path runs against the simulator. Refused unless `NODE_ENV` is `development` or `test`; excludes `DUO_API_ORIGIN_OVERRIDE`.',
    accepts: '`host:address:port` entries, comma-separated',
  },
  DUO_TEST_CA_FILE: {
    readBy: 'api, worker, duo check',
    meaning: 'Tests only: PEM file of one more certificate authority the Duo client trusts (a CA made by the test). Refused unless `NODE_ENV` is `development` or `test`.',
  },
  DUO_REQUEST_TIMEOUT_MS: { readBy: 'api, worker', meaning: 'Deadline of one Duo request.' },
  DUO_LOG_REQUESTS_PER_MINUTE: { readBy: 'worker', meaning: 'Ceiling of the shared per-account budget for Duo log endpoints (Duo allows about 1–2 a minute).' },
  DUO_OBJECT_REQUESTS_PER_MINUTE: { readBy: 'worker', meaning: 'Ceiling of the shared per-account budget for Duo object lists (users, groups).' },
  DUO_LOG_SAFETY_SECONDS: { readBy: 'worker', meaning: 'Seconds an incremental log window stays short of Duo\'s two-minute delay, against clock skew between this server and Duo. Smaller is fresher.' },
  SYNC_INTERVAL_MINUTES: { readBy: 'api, worker', meaning: 'Default interval of each tenant\'s incremental schedule (per tenant: `PATCH` `syncIntervalMinutes`).' },
  LATE_LOG_LOOKBACK_HOURS: {
    readBy: 'worker',
    meaning: 'How far behind the auth checkpoint the late-arrival sweep re-reads (Duo has published authentication logs hours late during incidents).',
  },
  LATE_LOG_SWEEP_MINUTES: {
    readBy: 'worker',
    meaning: 'How often each tenant\'s late-arrival sweep runs (from its incremental runs); 0 turns it off. Cost: docs/CAPACITY.md.',
  },
  BACKFILL_WINDOWS_PER_TENANT: { readBy: 'api', meaning: 'Day windows of one tenant\'s backfill fetched at once (set on the initial sync when it starts). They share the Duo account\'s budget, so more windows add Temporal activities and timers, not requests: 2 keeps the budget busy across the step from one day to the next (docs/CAPACITY.md).' },
  BACKFILL_DAYS: { readBy: 'api', meaning: 'Days of authentication logs an initial sync backfills (Duo keeps 180).' },
  EVENT_RETENTION_DAYS: {
    readBy: 'api, worker',
    meaning: 'Days raw events are kept (authentication and optional streams; per tenant: `PATCH` `eventRetentionDays`). Whole month partitions are dropped once older than the longest retention any tenant has; a tenant with a shorter one loses its older rows in batches (docs/OPERATIONS.md, retention). At least 181, so Duo (180 days) never re-sends an event already deleted.',
  },
  ROLLUP_RETENTION_DAYS: { readBy: 'api, worker', meaning: 'Days the daily rollups (per user, per application) are kept; for a tenant at least as long as its raw events. At least `EVENT_RETENTION_DAYS`.' },
  PURGE_BATCH_ROWS: { readBy: 'api', meaning: 'Rows a tenant purge deletes per transaction (each batch commits with its progress). Read when the purge is asked for: it travels in the purge workflow\'s input.' },
  SYNC_FAILURES_BEFORE_PAUSE: { readBy: 'worker', meaning: 'Consecutive failed incremental runs after which the schedule pauses and the tenant needs attention.' },
  RECONCILE_INTERVAL_SECONDS: {
    readBy: 'worker',
    meaning: 'How often a reconciliation pass brings Temporal\'s schedules in line with Postgres: one worker at a time (an advisory lock), and only the tenants whose desired schedule changed since they were last reconciled.',
  },
  RECONCILE_FULL_SWEEP_SECONDS: {
    readBy: 'worker',
    meaning: 'Age of the last full sweep after which the next pass visits every tenant and lists every schedule instead, repairing drift Postgres cannot see (a schedule deleted or paused in the Temporal UI, one left by a tenant that is gone). A changed `SYNC_INTERVAL_MINUTES` or `TEMPORAL_TASK_QUEUE` brings the sweep forward.',
  },
  WORKER_ACTIVITY_SLOTS: { readBy: 'worker', meaning: 'Activities one worker process runs at once on `TEMPORAL_TASK_QUEUE` (roster, backfill windows, bookkeeping). A window whose Duo account has no budget left gives its slot back and its workflow waits on a durable timer, and waits shorter than 2 s (a roster\'s object requests, generous log limits) are taken in the slot, which then holds no database connection: a request in flight holds one, so `DATABASE_POOL_SIZE` bounds concurrent Duo requests and pages in memory, and slots bound the tenants advancing at once (docs/CAPACITY.md).' },
  WORKER_INCREMENTAL_ACTIVITY_SLOTS: { readBy: 'worker', meaning: 'Activities one worker process runs at once on `<queue>-incremental` (the recurring sync: usually one small page per run).' },
  WORKER_MAX_CACHED_WORKFLOWS: { readBy: 'worker', meaning: 'Workflows one worker process keeps in memory between their tasks. An evicted workflow is replayed from its whole history on its next task, so keep it above the initial syncs in flight per worker; each costs about 1 MB, so above ~100 raise the worker\'s heap limit with it (docs/CAPACITY.md). The Temporal SDK\'s own default at the worker\'s heap limit is 10, which made onboarding many tenants CPU-bound on replays.' },
  NOTIFY_WEBHOOK_URL: {
    readBy: 'worker',
    meaning:
      'Receives the webhook events (`initial_sync.completed`, `initial_sync.failed`, `integration.needs_attention`, `sync.failing`, `sync.recovered`, `retention.at_risk`) ' +
      'of tenants without a receiver of their own (`webhook.url` of PUT/PATCH). Unset: those tenants get none.',
  },
  NOTIFY_WEBHOOK_SECRET: {
    readBy: 'api, worker',
    meaning:
      'Signs deliveries to `NOTIFY_WEBHOOK_URL`, and to tenants\' receivers without a secret of their own (`Duo-Sync-Signature`, docs/API.md#webhooks). ' +
      'At least 16 characters. Unset: deliveries to `NOTIFY_WEBHOOK_URL` are unsigned and a tenant\'s own receiver needs its own secret.',
  },
  METRICS_PORT: { readBy: 'worker', meaning: 'Port of the worker\'s Prometheus endpoint (`/metrics`: Temporal SDK and our metrics), all interfaces, no auth. Unset: none.' },
  DUO_SECRET_KEY: {
    readBy: 'duo check',
    meaning:
      'Secret key for `npm run duo -- check` only (unset: asked for at a prompt without echo; never an argument). A secret. The service does not read it: each tenant\'s secret key is sealed in Postgres.',
    accepts: '40 characters',
  },
  WORKFLOW_BUNDLE_PATH: { readBy: 'worker', meaning: 'Pre-built workflow bundle. Unset: `dist/workflow-bundle.js` when running the build, else bundled from source at start.' },
};

/** The parts of zod's JSON Schema output the table uses. */
const jsonSchemaProperty = z.object({
  type: z.string().optional(),
  enum: z.array(z.unknown()).optional(),
  default: z.unknown().optional(),
  format: z.string().optional(),
  pattern: z.string().optional(),
  minLength: z.number().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
});
type JsonSchemaProperty = z.infer<typeof jsonSchemaProperty>;
const jsonSchemaDocument = z.object({ properties: z.record(z.string(), jsonSchemaProperty), required: z.array(z.string()).optional() });

const isConfigVariable = (name: string): name is ConfigVariable => Object.hasOwn(notes, name);

const code = (value: unknown) => `\`${String(value)}\``;

function accepted(property: JsonSchemaProperty): string {
  if (property.enum) return property.enum.map(code).join(', ');
  if (property.format === 'uri') return 'URL';
  if (property.pattern) return `matches ${code(property.pattern)}`;
  if (property.type === 'integer' || property.type === 'number') {
    const kind = property.type === 'integer' ? 'integer' : 'number';
    const low = property.exclusiveMinimum !== undefined ? `> ${property.exclusiveMinimum}` : property.minimum !== undefined ? `≥ ${property.minimum}` : '';
    const high = property.maximum !== undefined ? `≤ ${property.maximum}` : '';
    return [kind, [low, high].filter(Boolean).join(', ')].filter(Boolean).join(' ');
  }
  if (property.minLength !== undefined && property.minLength > 1) return `string, ≥ ${property.minLength} characters`;
  return 'string';
}

export interface ConfigReferenceRow {
  variable: ConfigVariable;
  required: boolean;
  defaultValue: string | undefined;
  accepts: string;
  readBy: ReadBy;
  meaning: string;
}

function rowsOf(zodSchema: z.ZodType): ConfigReferenceRow[] {
  const schema = jsonSchemaDocument.parse(z.toJSONSchema(zodSchema, { io: 'input', unrepresentable: 'any' }));
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([variable, property]) => {
    if (!isConfigVariable(variable)) throw new Error(`config/config-reference.ts has no notes for ${variable}`);
    const note = notes[variable];
    return {
      variable,
      required: required.has(variable),
      defaultValue: property.default === undefined || property.default === '' ? undefined : String(property.default),
      accepts: note.accepts ?? accepted(property),
      readBy: note.readBy,
      meaning: note.meaning,
    };
  });
}

/** One row per variable, in the service schema's order, then the variables only `npm run duo` reads. */
export function configReferenceRows(): ConfigReferenceRow[] {
  const service = rowsOf(configSchema);
  const known = new Set(service.map((row) => row.variable));
  return [...service, ...rowsOf(duoCliEnvSchema).filter((row) => !known.has(row.variable))];
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown table. */
export function renderConfigReference(): string {
  const lines = ['| variable | required / default | accepts | read by | meaning |', '|---|---|---|---|---|'];
  for (const row of configReferenceRows()) {
    const requirement = row.required ? '**required**' : row.defaultValue !== undefined ? code(row.defaultValue) : 'unset';
    lines.push(`| ${[code(row.variable), requirement, row.accepts, row.readBy, row.meaning].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

export const REFERENCE_START = '<!-- config-reference:start (generated from config/config.ts by `npm run config:reference`; do not edit by hand) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

/** The table currently between the markers of a document (throws when the markers are missing). */
export function extractConfigReference(document: string): string {
  const start = document.indexOf(REFERENCE_START);
  const end = document.indexOf(REFERENCE_END);
  if (start === -1 || end === -1 || end < start) throw new Error('config reference markers not found');
  return document.slice(start + REFERENCE_START.length, end).trim();
}

/** The document with a fresh table between the markers. */
export function replaceConfigReference(document: string, table: string = renderConfigReference()): string {
  extractConfigReference(document);
  const start = document.indexOf(REFERENCE_START) + REFERENCE_START.length;
  const end = document.indexOf(REFERENCE_END);
  return `${document.slice(0, start)}\n${table}\n${document.slice(end)}`;
}

export const operationsDocPath = fileURLToPath(new URL('../docs/OPERATIONS.md', import.meta.url));

// `npm run config:reference` rewrites the table; `-- --check` only reports whether it is current.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const document = await readFile(operationsDocPath, 'utf8');
  const updated = replaceConfigReference(document);
  if (process.argv.includes('--check')) {
    if (updated !== document) {
      process.stderr.write('docs/OPERATIONS.md configuration reference is stale: run `npm run config:reference`\n');
      process.exit(1);
    }
    process.stdout.write('configuration reference is current\n');
  } else if (updated !== document) {
    await writeFile(operationsDocPath, updated);
    process.stdout.write('docs/OPERATIONS.md configuration reference updated\n');
  } else {
    process.stdout.write('docs/OPERATIONS.md configuration reference already current\n');
  }
}

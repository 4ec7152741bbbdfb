import { z } from 'zod';
import { secretKeySchema } from '../duo/credential-formats.js';
import { allowsTestSwitches, parseTestResolve, TEST_SWITCH_REFUSAL } from '../duo/test-network.js';
import { ConfigError } from '../errors/app-error.js';

/**
 * The one reader of environment variables. `loadConfig(env)` runs once per process entry and the
 * result travels as an argument; tests pass a literal env object.
 */
const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 random bytes, base64-encoded');

const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must match ^[A-Za-z0-9_-]{1,32}$');

const previousKeys = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const keys: Array<{ id: string; key: string }> = [];
    for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [id, key] = entry.split(':');
      if (!id || !key || !keyId.safeParse(id).success || !base64Key.safeParse(key).success) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of keyId:base64Key' });
        return z.NEVER;
      }
      keys.push({ id, key });
    }
    return keys;
  });

const envShape = z.object({
    /**
     * Unset is neither: production-only requirements do not apply, and neither do the test-only
     * switches, which a process must be started explicitly for development or tests to use.
     */
    NODE_ENV: z.enum(['development', 'test', 'production']).optional(),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

    /** Required in production; unset elsewhere = the local default (or, for `npm start`, embedded PGlite). */
    DATABASE_URL: z.string().url().optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),

    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('duo-sync'),
    /** Base URL of the Temporal UI the console links to (workflows filtered by TenantId); unset = no links. */
    TEMPORAL_UI_URL: z.url({ protocol: /^https?$/, error: 'TEMPORAL_UI_URL must be an http(s) URL' }).optional(),
    /** `true` connects with TLS (system roots unless a CA is given); implied by any TEMPORAL_TLS_* file or name and by an API key. */
    TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
    /** PEM file of the CA that signed the Temporal frontend's certificate (unset: the system roots). */
    TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
    /** PEM files of the client certificate and its key for mutual TLS (both or neither). */
    TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
    /** Name the frontend's certificate must carry when it differs from TEMPORAL_ADDRESS's host. */
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    /** API key of a Temporal Cloud namespace (sent as a bearer token over TLS). A secret. */
    TEMPORAL_API_KEY: z.string().min(1).optional(),

    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** The bootstrap admin key: a bearer token with every scope, beside the keys stored in Postgres. No default: a secret. */
    API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    /** Requests per key (or per client address before authentication) per minute; beyond, 429 with Retry-After. */
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
    /** CSV exports one key may stream at the same time; one more answers 429 too_many_exports. */
    API_CSV_EXPORTS_PER_KEY: z.coerce.number().int().min(1).max(100).default(2),
    /** Days the audit trail keeps its rows; the worker deletes older ones. */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),

    /** AES-256-GCM key sealing Duo secret keys at rest. No default: a secret. */
    ENCRYPTION_KEY: base64Key,
    ENCRYPTION_KEY_ID: keyId.default('k1'),
    /** Older keys still accepted for decryption during rotation: `id:base64,id:base64`. */
    ENCRYPTION_PREVIOUS_KEYS: previousKeys,

    /** Tests and local runs only: send every Duo request to this origin (signatures keep the real host). */
    DUO_API_ORIGIN_OVERRIDE: z.string().url().optional(),
    /** Tests only: `host:address:port` entries sending Duo API connections elsewhere, TLS and names unchanged. */
    DUO_TEST_RESOLVE: z
      .string()
      .optional()
      .refine((value) => value === undefined || isTestResolve(value), 'must be host:address:port entries, comma-separated (host * for any API host)'),
    /** Tests only: a PEM file of one more certificate authority the Duo client trusts. */
    DUO_TEST_CA_FILE: z.string().min(1).optional(),
    DUO_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
    /** Per Duo account budget for log endpoints (Duo allows roughly 1-2 requests per minute). */
    DUO_LOG_REQUESTS_PER_MINUTE: z.coerce.number().positive().max(6000).default(2),
    /** Per Duo account budget for object lists (users, groups). */
    DUO_OBJECT_REQUESTS_PER_MINUTE: z.coerce.number().positive().max(6000).default(50),

    /**
     * Seconds an incremental window stays short of Duo's two-minute log delay. Duo serves every event
     * older than two minutes by its own clock; this margin covers the difference between that clock
     * and ours. Larger is safer against clock skew, smaller makes events queryable sooner.
     */
    DUO_LOG_SAFETY_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),

    /**
     * The late-arrival sweep: how far behind the auth checkpoint it re-reads (Duo has published
     * authentication logs hours late during incidents), and how often per tenant (0 turns it off).
     */
    LATE_LOG_LOOKBACK_HOURS: z.coerce.number().int().min(1).max(168).default(24),
    LATE_LOG_SWEEP_MINUTES: z.coerce.number().int().min(0).max(10_080).default(1440),

    /** Default interval of each tenant's incremental schedule. */
    SYNC_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(5),
    /**
     * Day windows of one tenant's backfill fetched at once. They share the account's budget, so more
     * mostly means more Temporal activities and timers, not more requests; 2 keeps the budget busy
     * across the gap between one window's end and the next one's start.
     */
    BACKFILL_WINDOWS_PER_TENANT: z.coerce.number().int().min(1).max(16).default(2),
    /** Days of authentication logs the initial sync backfills (Duo keeps 180). */
    BACKFILL_DAYS: z.coerce.number().int().min(1).max(179).default(179),

    /**
     * Days raw events (authentication and the optional streams) are kept; a tenant may set its own
     * (PATCH …/integrations/duo). At least 181: Duo serves 180 days, so an event it can still send
     * again is never one we deleted, and re-delivered pages keep counting nothing twice.
     */
    EVENT_RETENTION_DAYS: z.coerce.number().int().min(181).max(3650).default(400),
    /** Days the daily rollups are kept (at least as long as a tenant's raw events). */
    ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(181).max(7300).default(800),
    /**
     * Rows a tenant purge deletes per transaction. Larger batches delete faster and hold their locks
     * longer; each batch is one short transaction, so a purge never blocks other tenants' syncs for long.
     */
    PURGE_BATCH_ROWS: z.coerce.number().int().min(10).max(100_000).default(5000),

    /** Consecutive failed incremental runs after which the schedule pauses and the tenant needs attention. */
    SYNC_FAILURES_BEFORE_PAUSE: z.coerce.number().int().min(1).max(100).default(3),
    /** How often a reconciliation pass runs (one worker at a time): the tenants whose desired schedule changed. */
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
    /** How often that pass is a full sweep instead: every tenant and schedule, repairing drift Postgres cannot see. */
    RECONCILE_FULL_SWEEP_SECONDS: z.coerce.number().int().min(5).max(7 * 86_400).default(21_600),

    /** Webhook receiver of tenants without their own (set with PUT/PATCH …/integrations/duo). */
    NOTIFY_WEBHOOK_URL: z.string().url().optional(),
    /**
     * Signing secret of deliveries to NOTIFY_WEBHOOK_URL, and of tenants' receivers without a secret of
     * their own: each delivery carries `Duo-Sync-Signature` (docs/API.md#webhooks). Unset: unsigned.
     */
    NOTIFY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').max(512).optional(),

    /**
     * Worker: activities one process runs at once on the main queue (roster, backfill windows,
     * bookkeeping). A window waiting long for its account's budget gives its slot back; shorter waits
     * are taken in the slot, holding no database connection. Each Duo request in flight holds a pool
     * connection (the pause gate), so the pool, not this, bounds requests and pages in memory.
     */
    WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(1000).default(100),
    /** Worker: activities one process runs at once on the recurring sync's queue (usually one small page each). */
    WORKER_INCREMENTAL_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(1000).default(10),
    /**
     * Worker: workflows kept in memory between their tasks (the sticky cache). An evicted workflow is
     * replayed from its whole history on its next task, so a cache smaller than the initial syncs in
     * flight turns every budget timer and page result into a replay; the SDK's own default (10 at our
     * heap limit) made onboarding CPU-bound. Each cached initial sync costs about 1 MB, so more needs a
     * larger heap limit (docs/CAPACITY.md).
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).default(100),
    /** Worker: port of its Prometheus endpoint (Temporal SDK and our metrics); unset = no endpoint. */
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** Worker: pre-built workflow bundle; unset = dist/workflow-bundle.js beside a build, else bundled from source. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
});

/** Where `npm run worker`, `npm run api` and `npm run db:migrate` look when DATABASE_URL is unset. */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/duo_sync';

function isTestResolve(value: string): boolean {
  try {
    parseTestResolve(value);
    return true;
  } catch {
    return false;
  }
}

const testOnlySwitches = ['DUO_API_ORIGIN_OVERRIDE', 'DUO_TEST_RESOLVE', 'DUO_TEST_CA_FILE'] as const;

/**
 * Sending Duo requests anywhere but Duo, or trusting another CA, is for tests and local runs: it
 * takes effect only in a process started explicitly for them (NODE_ENV development or test), so a
 * deployment that forgets NODE_ENV refuses it like production does.
 */
function refuseTestSwitchesOutsideDevelopment(
  cfg: { NODE_ENV?: string | undefined } & Partial<Record<(typeof testOnlySwitches)[number], string | undefined>>,
  ctx: z.RefinementCtx,
): void {
  for (const variable of testOnlySwitches) {
    if (cfg[variable] !== undefined && !allowsTestSwitches(cfg.NODE_ENV)) {
      ctx.addIssue({ code: 'custom', path: [variable], message: TEST_SWITCH_REFUSAL });
    }
  }
  if (cfg.DUO_API_ORIGIN_OVERRIDE !== undefined && cfg.DUO_TEST_RESOLVE !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['DUO_TEST_RESOLVE'], message: 'and DUO_API_ORIGIN_OVERRIDE exclude each other: set one' });
  }
}

export const configSchema = envShape
  .superRefine((cfg, ctx) => {
    // A production process must never fall back to a guessed database.
    if (cfg.NODE_ENV === 'production' && !cfg.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required when NODE_ENV=production' });
    }
    refuseTestSwitchesOutsideDevelopment(cfg, ctx);
    if ((cfg.TEMPORAL_TLS_CERT_FILE === undefined) !== (cfg.TEMPORAL_TLS_KEY_FILE === undefined)) {
      const missing = cfg.TEMPORAL_TLS_CERT_FILE === undefined ? 'TEMPORAL_TLS_CERT_FILE' : 'TEMPORAL_TLS_KEY_FILE';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required with the other half of the client certificate pair' });
    }
    if (cfg.TEMPORAL_TLS === 'false' && (cfg.TEMPORAL_TLS_CA_FILE ?? cfg.TEMPORAL_TLS_CERT_FILE ?? cfg.TEMPORAL_TLS_SERVER_NAME) !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS'], message: 'is false while TEMPORAL_TLS_* options are set: remove one or the other' });
    }
    if (cfg.ROLLUP_RETENTION_DAYS < cfg.EVENT_RETENTION_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['ROLLUP_RETENTION_DAYS'], message: 'must be at least EVENT_RETENTION_DAYS' });
    }
  });

/**
 * What `npm run duo -- check` reads: the service's own NODE_ENV and test-only switches (same
 * rules), plus DUO_SECRET_KEY, which only this command reads (the service keeps each tenant's secret
 * sealed in Postgres, so it is not part of {@link configSchema}).
 */
export const duoCliEnvSchema = envShape
  .pick({ NODE_ENV: true, DUO_API_ORIGIN_OVERRIDE: true, DUO_TEST_RESOLVE: true, DUO_TEST_CA_FILE: true })
  .extend({ DUO_SECRET_KEY: secretKeySchema.optional() })
  .superRefine(refuseTestSwitchesOutsideDevelopment);

/** For tools that only touch the database (migrations): no secrets needed. */
export function loadDatabaseUrl(env: Record<string, string | undefined> = process.env): string {
  const result = envShape.pick({ DATABASE_URL: true, NODE_ENV: true }).safeParse(env);
  if (!result.success) throw new ConfigError('Invalid configuration: DATABASE_URL must be a URL', ['DATABASE_URL']);
  if (result.data.NODE_ENV === 'production' && !result.data.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_URL is required when NODE_ENV=production', ['DATABASE_URL']);
  }
  return result.data.DATABASE_URL ?? LOCAL_DATABASE_URL;
}

export type Config = Readonly<Omit<z.infer<typeof configSchema>, 'DATABASE_URL'> & { DATABASE_URL: string }>;

/** The process's environment, read here and nowhere else: entry points pass it on explicitly. */
export function processEnvironment(): Record<string, string | undefined> {
  return process.env;
}

/** Parses the environment once; names every bad variable and never echoes a value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`);
    const variables = [...new Set(result.error.issues.map((issue) => String(issue.path[0] ?? '')))];
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`, variables);
  }
  return Object.freeze({ ...result.data, DATABASE_URL: result.data.DATABASE_URL ?? LOCAL_DATABASE_URL });
}

/** The env that reproduces a Config, for a child process (e.g. `npm run worker` under test). */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (name === 'ENCRYPTION_PREVIOUS_KEYS') {
      const keys = value as Config['ENCRYPTION_PREVIOUS_KEYS'];
      if (keys.length > 0) env[name] = keys.map((k) => `${k.id}:${k.key}`).join(',');
      continue;
    }
    env[name] = String(value);
  }
  return env;
}

import { z } from 'zod';
import { checkDuoCredentials, type CredentialCheckResult } from './credential-check.js';
import { DuoInvalidWindowError, malformedFromZodError } from './errors.js';
import {
  type OffsetPage,
  authCursorFromNextOffset,
  logCursorPages,
  mintimePages,
  offsetPages,
  type CursorPageResult,
  type MintimePage,
  type OffsetPageResult,
  type Page,
} from './paging.js';
import type { EndpointClass } from './request-budget.js';
import {
  authLogResponseSchema,
  duoAccountSummarySchema,
  duoActivityLogSchema,
  duoApplicationSchema,
  duoAdminLogSchema,
  duoGroupSchema,
  duoTelephonyLogSchema,
  duoUserSchema,
  itemsLogResponseSchema,
  offsetMetadataSchema,
  type DuoAccountSummary,
  type DuoActivityLog,
  type DuoApplication,
  type DuoAdminLog,
  type DuoAuthLog,
  type DuoGroup,
  type DuoTelephonyLog,
  type DuoUser,
} from './schemas.js';
import type { DuoParams, SignatureVersion } from './signing.js';
import { createDuoTransport, type DuoOkResponse, type DuoTransport, type DuoTransportOptions } from './transport.js';

export type { EndpointClass, RequestBudget, RequestOutcome } from './request-budget.js';

/** Duo holds back the newest two minutes of logs; asking for them silently loses events. */
export const DUO_LOG_DELAY_MS = 120_000;
/** Duo keeps 180 days of v2 logs and rejects older `mintime`s; one day of margin for clock skew. */
export const DUO_MAX_LOG_AGE_MS = 179 * 24 * 60 * 60 * 1000;

/** Duo's page-size maximum for users (larger limits are clamped, here and by Duo). */
export const DUO_USERS_MAX_LIMIT = 300;
/** Groups: Duo's documentation says 100 or 300 depending on the copy; 100 is safe either way. */
export const DUO_GROUPS_MAX_LIMIT = 100;
/** v2 logs: at most 1000 events per page. Duo may answer fewer with a `next_offset`: pages follow it, never their length. */
export const DUO_LOGS_MAX_LIMIT = 1000;
/** Applications: Duo's text gives no maximum for the v3 list; 300 as for users. */
export const DUO_APPLICATIONS_MAX_LIMIT = 300;

/** Where the client reports what the caller should know but that is not an error. */
export interface DuoClientLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** Options of {@link createDuoClient}; the caller passes everything (no environment reads). */
export interface DuoClientOptions extends DuoTransportOptions {
  /** Default: a Node process warning (printed on stderr), so nothing is silently lost. */
  logger?: DuoClientLogger | undefined;
}

const processWarningLogger: DuoClientLogger = {
  warn: (message, meta) => process.emitWarning(message, { type: 'DuoClientWarning', detail: meta ? JSON.stringify(meta) : undefined }),
};

/** Common to every page request. */
export interface PageRequestOptions {
  signal?: AbortSignal | undefined;
}

/** Offset-paged object lists. */
export interface OffsetPageOptions extends PageRequestOptions {
  offset?: number | undefined;
  limit?: number | undefined;
}

/** A v2 log window in milliseconds, optionally resumed from a stored cursor. */
export interface LogWindowOptions extends PageRequestOptions {
  mintimeMs: number;
  maxtimeMs: number;
  /** The `next` of a previous page of the same window; null or absent starts the window. */
  cursor?: string | null | undefined;
  limit?: number | undefined;
}

/** The window actually requested after clamping: store it with the cursor. */
export interface LogWindow {
  mintimeMs: number;
  maxtimeMs: number;
}

/** A v2 log page: items, cursor, and the effective window every page of the walk used. */
export interface LogPage<T> extends Page<T, string> {
  window: LogWindow;
}

/**
 * A v1 administrator log page. `overflowSecond` (epoch seconds) is set when the page's rows all
 * share one second: Duo cannot page within a second, so the scan moved on and any further rows of
 * that second are missing. The client also logs a warning for it.
 */
export type AdminLogPage = MintimePage<DuoAdminLog>;

/** v1 administrator log scan. */
export interface AdminLogOptions extends PageRequestOptions {
  /** Unix seconds, inclusive. */
  mintimeSec: number;
}

/** Options of the credential check. */
export interface CheckCredentialsOptions extends PageRequestOptions {
  /** Epoch ms the probe window is computed from (defaults to the client's clock). */
  now?: number | undefined;
}

/** A read-only Duo Admin API client for one account. Every method is lazy and page-at-a-time. */
export interface DuoClient {
  readonly apiHost: string;
  userPages(options?: OffsetPageOptions): AsyncGenerator<OffsetPage<DuoUser>, void, undefined>;
  groupPages(options?: OffsetPageOptions): AsyncGenerator<OffsetPage<DuoGroup>, void, undefined>;
  /**
   * Always `sort=ts:asc`; cursor `"ts_ms,txid"`. Throws DuoInvalidWindowError at call time for a
   * window Duo refuses (older than 179 days, or empty). An account whose Duo log retention is
   * shorter keeps nothing older: Duo answers such a window, or its older part, with no rows and no
   * error, so a window wholly past the retention is one request and one empty final page.
   */
  authLogPages(options: LogWindowOptions): AsyncGenerator<LogPage<DuoAuthLog>, void, undefined>;
  /** Always `sort=ts:asc`; cursor `"ts_ms,id"` as Duo sends it. */
  activityLogPages(options: LogWindowOptions): AsyncGenerator<LogPage<DuoActivityLog>, void, undefined>;
  telephonyLogPages(options: LogWindowOptions): AsyncGenerator<LogPage<DuoTelephonyLog>, void, undefined>;
  /** Cursor is the next `mintime` in seconds; rows repeat at page boundaries (dedupe by content). */
  adminLogPages(options: AdminLogOptions): AsyncGenerator<AdminLogPage, void, undefined>;
  /**
   * "Grant read information" (optional): the account summary, i.e. Duo's user, administrator and
   * integration counts and the users pending deletion. One object-class request.
   */
  accountSummary(options?: PageRequestOptions): Promise<DuoAccountSummary>;
  /**
   * "Grant applications" (optional): every protected application, used or not, offset-paged and
   * signed v5 (Duo serves the v3 list to nothing older). Secrets Duo lists with them are removed.
   */
  applicationPages(options?: OffsetPageOptions): AsyncGenerator<OffsetPage<DuoApplication>, void, undefined>;
  /**
   * Probes "Grant read resource" and "Grant read log" with one 1-row call each and, when the keys
   * are accepted, the optional grants with one small call each.
   */
  checkCredentials(options?: CheckCredentialsOptions): Promise<CredentialCheckResult>;
}

const SECRET_FIELD = /secret|password|private_?key/i;

/** A copy without any field whose name says it holds a secret, at any depth: Duo lists applications with their `secret_key`. */
export function withoutSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutSecrets(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (!SECRET_FIELD.test(key)) kept[key] = withoutSecrets(field);
  return kept as T;
}

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(limit)));
}

function isMs(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * Applies Duo's window rules to a v2 log request: `maxtime` later than now minus two minutes is
 * clamped; `mintime` older than {@link DUO_MAX_LOG_AGE_MS} or not strictly before the clamped
 * `maxtime` is refused (Duo answers 400, or the events would silently be missing).
 */
export function resolveLogWindow(window: { mintimeMs: number; maxtimeMs: number }, nowMs: number): LogWindow {
  const { mintimeMs, maxtimeMs } = window;
  if (!isMs(mintimeMs) || !isMs(maxtimeMs)) {
    throw new DuoInvalidWindowError('Log window bounds must be non-negative integer epoch milliseconds', { mintimeMs, maxtimeMs });
  }
  const latest = nowMs - DUO_LOG_DELAY_MS;
  const clampedMax = Math.min(maxtimeMs, latest);
  const oldest = nowMs - DUO_MAX_LOG_AGE_MS;
  if (mintimeMs < oldest) {
    const hint = mintimeMs < 1e11 ? ' (it looks like seconds; v2 logs take milliseconds)' : '';
    throw new DuoInvalidWindowError(
      `Log window mintime ${new Date(mintimeMs).toISOString()} is older than Duo's retention allows ` +
        `(${DUO_MAX_LOG_AGE_MS / 86_400_000} days, oldest ${new Date(oldest).toISOString()})${hint}`,
      { mintimeMs, maxtimeMs, oldestMs: oldest },
    );
  }
  if (mintimeMs >= clampedMax) {
    throw new DuoInvalidWindowError(
      `Log window mintime ${new Date(mintimeMs).toISOString()} must be strictly before maxtime ` +
        `${new Date(clampedMax).toISOString()} (maxtime is clamped to now minus ${DUO_LOG_DELAY_MS / 1000} s, Duo's log delay)`,
      { mintimeMs, maxtimeMs, clampedMaxtimeMs: clampedMax },
    );
  }
  return { mintimeMs, maxtimeMs: clampedMax };
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, endpoint: string, status: number, pathPrefix: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw malformedFromZodError({ status, duoCode: null, endpoint }, result.error, pathPrefix);
  return result.data;
}

const USERS_PATH = '/admin/v1/users';
const GROUPS_PATH = '/admin/v1/groups';
const AUTH_LOG_PATH = '/admin/v2/logs/authentication';
const ACTIVITY_LOG_PATH = '/admin/v2/logs/activity';
const TELEPHONY_LOG_PATH = '/admin/v2/logs/telephony';
const ADMIN_LOG_PATH = '/admin/v1/logs/administrator';
const SUMMARY_PATH = '/admin/v1/info/summary';
const APPLICATIONS_PATH = '/admin/v3/integrations';

const activityResponseSchema = itemsLogResponseSchema(duoActivityLogSchema);
const telephonyResponseSchema = itemsLogResponseSchema(duoTelephonyLogSchema);

/**
 * Builds the client for one Duo account. Validates the API host immediately (before any network
 * call). The secret key lives only in closures: it is absent from `JSON.stringify(client)` and
 * `util.inspect(client)`.
 */
export function createDuoClient(options: DuoClientOptions): DuoClient {
  const transport: DuoTransport = createDuoTransport(options);
  const clock = options.now ?? Date.now;
  const logger = options.logger ?? processWarningLogger;
  // For endpoints Duo serves to signature v5 only: the configured scheme when it is a v5 one.
  const v5Signature: SignatureVersion = options.signatureVersion?.startsWith('v5') ? options.signatureVersion : 'v5';

  function get(
    path: string,
    params: DuoParams,
    endpointClass: EndpointClass,
    signal: AbortSignal | undefined,
    signatureVersion?: SignatureVersion,
  ): Promise<DuoOkResponse> {
    return transport.get({ path, params, endpointClass, signal, signatureVersion });
  }

  function objectPages<S extends z.ZodType>(
    path: string,
    item: S,
    limits: { default: number; max: number; signatureVersion?: SignatureVersion },
    opts: OffsetPageOptions = {},
  ) {
    const limit = clampLimit(opts.limit, limits.default, limits.max);
    const listSchema = z.array(item);
    return offsetPages(
      path,
      async (offset): Promise<OffsetPageResult<z.infer<S>>> => {
        const ok = await get(path, { limit: String(limit), offset: String(offset) }, 'object', opts.signal, limits.signatureVersion);
        const items = parseOrThrow(listSchema, ok.response, path, ok.status, 'response');
        // Required: without it the end of the list is unknowable, and a roster cut short would mark users deleted.
        const metadata = parseOrThrow(offsetMetadataSchema, ok.metadata, path, ok.status, 'metadata');
        const next = metadata?.next_offset;
        const total = metadata?.total_objects;
        return {
          items,
          nextOffset: next === null || next === undefined ? null : Number(next),
          totalObjects: typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? total : null,
        };
      },
      Math.max(0, Math.floor(opts.offset ?? 0)),
    );
  }

  async function* warnOnOverflow(pages: AsyncGenerator<AdminLogPage, void, undefined>, log: DuoClientLogger): AsyncGenerator<AdminLogPage, void, undefined> {
    for await (const page of pages) {
      const second = page.overflowSecond;
      if (second !== null) {
        // Only the time: the rows themselves name users and administrators.
        log.warn(
          `Duo administrator log: the second ${new Date(second * 1000).toISOString()} holds more rows than one page ` +
            `(${page.items.length}); Duo cannot page within a second, so the rows of that second beyond this page are skipped`,
          { endpoint: ADMIN_LOG_PATH, overflowSecond: second, rowsRead: page.items.length },
        );
      }
      yield page;
    }
  }

  async function* withoutSecretItems<T>(pages: AsyncGenerator<OffsetPage<T>, void, undefined>): AsyncGenerator<OffsetPage<T>, void, undefined> {
    for await (const page of pages) yield { ...page, items: page.items.map((item) => withoutSecrets(item)) };
  }

  async function* withWindow<T>(pages: AsyncGenerator<Page<T, string>, void, undefined>, window: LogWindow): AsyncGenerator<LogPage<T>, void, undefined> {
    for await (const page of pages) yield { ...page, window };
  }

  function v2LogPages<T>(
    path: string,
    opts: LogWindowOptions,
    extract: (ok: DuoOkResponse) => CursorPageResult<T>,
  ): AsyncGenerator<LogPage<T>, void, undefined> {
    // Resolved once, eagerly: every page of one walk resends the same window, and a bad window
    // fails at the call rather than on first iteration.
    const window = resolveLogWindow(opts, clock());
    const limit = clampLimit(opts.limit, DUO_LOGS_MAX_LIMIT, DUO_LOGS_MAX_LIMIT);
    const pages = logCursorPages(
      path,
      async (cursor) => {
        const params: Record<string, string> = {
          mintime: String(window.mintimeMs),
          maxtime: String(window.maxtimeMs),
          limit: String(limit),
          // Without ascending order next_offset walks the wrong way.
          sort: 'ts:asc',
        };
        // Sent comma-joined: one value, so no repeated-key ordering question arises.
        if (cursor !== null) params.next_offset = cursor;
        return extract(await get(path, params, 'log', opts.signal));
      },
      opts.cursor ?? null,
    );
    return withWindow(pages, window);
  }

  const client: DuoClient = {
    apiHost: transport.apiHost,

    userPages: (opts = {}) => objectPages(USERS_PATH, duoUserSchema, { default: DUO_USERS_MAX_LIMIT, max: DUO_USERS_MAX_LIMIT }, opts),

    groupPages: (opts = {}) => objectPages(GROUPS_PATH, duoGroupSchema, { default: DUO_GROUPS_MAX_LIMIT, max: DUO_GROUPS_MAX_LIMIT }, opts),

    accountSummary: async (opts = {}) => {
      const ok = await get(SUMMARY_PATH, {}, 'object', opts.signal);
      return parseOrThrow(duoAccountSummarySchema, ok.response, SUMMARY_PATH, ok.status, 'response');
    },

    applicationPages: (opts = {}) =>
      withoutSecretItems(
        objectPages(APPLICATIONS_PATH, duoApplicationSchema, { default: DUO_APPLICATIONS_MAX_LIMIT, max: DUO_APPLICATIONS_MAX_LIMIT, signatureVersion: v5Signature }, opts),
      ),

    authLogPages: (opts) =>
      v2LogPages(AUTH_LOG_PATH, opts, (ok) => {
        const response = parseOrThrow(authLogResponseSchema, ok.response, AUTH_LOG_PATH, ok.status, 'response');
        return { items: response.authlogs, nextCursor: authCursorFromNextOffset(response.metadata?.next_offset) };
      }),

    activityLogPages: (opts) =>
      v2LogPages(ACTIVITY_LOG_PATH, opts, (ok) => {
        const response = parseOrThrow(activityResponseSchema, ok.response, ACTIVITY_LOG_PATH, ok.status, 'response');
        return { items: response.items, nextCursor: response.metadata?.next_offset ?? null };
      }),

    telephonyLogPages: (opts) =>
      v2LogPages(TELEPHONY_LOG_PATH, opts, (ok) => {
        const response = parseOrThrow(telephonyResponseSchema, ok.response, TELEPHONY_LOG_PATH, ok.status, 'response');
        return { items: response.items, nextCursor: response.metadata?.next_offset ?? null };
      }),

    adminLogPages: (opts) => {
      const { mintimeSec } = opts;
      if (!Number.isSafeInteger(mintimeSec) || mintimeSec < 0 || mintimeSec > 1e11) {
        throw new DuoInvalidWindowError('Administrator log mintime must be non-negative integer epoch seconds (not milliseconds)', {
          mintimeSec,
        });
      }
      const listSchema = z.array(duoAdminLogSchema);
      const pages = mintimePages(
        ADMIN_LOG_PATH,
        async (mintime) => {
          const ok = await get(ADMIN_LOG_PATH, { mintime: String(mintime) }, 'log', opts.signal);
          return parseOrThrow(listSchema, ok.response, ADMIN_LOG_PATH, ok.status, 'response');
        },
        (row) => row.timestamp,
        mintimeSec,
      );
      return warnOnOverflow(pages, logger);
    },

    checkCredentials: (opts = {}) => checkDuoCredentials(client, { signal: opts.signal, now: opts.now ?? clock() }),
  };
  return client;
}

import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { DuoClient } from './client.js';

/** Whether one Duo permission works with the given keys. */
export type PermissionCheckResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** The overall answer, for a connect form or the command line. */
export type CredentialVerdict = 'ok' | 'credentials_rejected' | 'permission_missing' | 'unreachable' | 'rate_limited' | 'failed';

/**
 * Grants the sync uses when present and never needs: true when granted, false when Duo answered
 * 403, null when the probe could not tell (not run because the keys failed, a 429, a network error).
 */
export interface OptionalGrants {
  /** "Grant read information": the account summary (seat counts, users pending deletion). */
  readInformation: boolean | null;
  /** "Grant applications": the applications list (every protected application, used or not). */
  readApplications: boolean | null;
}

/** Result of {@link checkDuoCredentials}. */
export interface CredentialCheckResult {
  /** The required grants work; optional grants never change it. */
  ok: boolean;
  verdict: CredentialVerdict;
  permissions: {
    /** "Grant read resource": users and groups. */
    readResource: PermissionCheckResult;
    /** "Grant read log": authentication and other logs. */
    readLog: PermissionCheckResult;
  };
  optionalGrants: OptionalGrants;
}

/** Probe window: recent enough to be cheap, old enough to respect Duo's two-minute log delay. */
export const CREDENTIAL_PROBE_WINDOW = { fromAgoMs: 10 * 60_000, toAgoMs: 2 * 60_000 } as const;

/** Runs one probe call: ok, or the typed failure it met. */
async function probe(call: () => Promise<unknown>): Promise<PermissionCheckResult> {
  try {
    await call();
    return { ok: true };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

/** Fetches the first page only (one request) and closes the walk. */
async function firstPage(pages: AsyncGenerator<unknown, void, undefined>): Promise<void> {
  try {
    await pages.next();
  } finally {
    await pages.return(undefined);
  }
}

function skipped(because: PermissionCheckResult & { ok: false }): PermissionCheckResult {
  return { ok: false, code: because.code, message: `Not checked: ${because.message}` };
}

function stopsEarly(result: PermissionCheckResult): CredentialVerdict | null {
  if (result.ok) return null;
  if (result.code === 'DUO_CREDENTIALS_REJECTED') return 'credentials_rejected';
  if (result.code === 'DUO_NETWORK_ERROR' || result.code === 'DUO_TLS_ERROR') return 'unreachable';
  // The keys were not judged, and every further call would meet the same limit (or budget).
  if (result.code === 'DUO_RATE_LIMITED') return 'rate_limited';
  return null;
}

/** Granted, refused (403), or unknown: any other failure says nothing about the grant. */
function grantOf(result: PermissionCheckResult): boolean | null {
  if (result.ok) return true;
  return result.code === 'DUO_PERMISSION_MISSING' ? false : null;
}

const unknownGrants: OptionalGrants = { readInformation: null, readApplications: null };

/** One small request per optional grant: the summary (one object) and one application. */
async function checkOptionalGrants(
  client: Pick<DuoClient, 'accountSummary' | 'applicationPages'>,
  signal: AbortSignal | undefined,
): Promise<OptionalGrants> {
  const summary = await probe(() => client.accountSummary({ signal }));
  const applications = await probe(() => firstPage(client.applicationPages({ limit: 1, signal })));
  return { readInformation: grantOf(summary), readApplications: grantOf(applications) };
}

/**
 * Checks the keys against the two permissions the sync needs, with one 1-row call each: users
 * (Grant read resource) and a small recent authentication-log window (Grant read log). A 401, a 429
 * or a network failure on either call stops the check. Once the keys are accepted, it also reports
 * the optional grants ("Grant read information", "Grant applications"), one small call each; they
 * never change the verdict.
 */
export async function checkDuoCredentials(
  client: Pick<DuoClient, 'userPages' | 'authLogPages' | 'accountSummary' | 'applicationPages'>,
  options: { signal?: AbortSignal | undefined; now: number },
): Promise<CredentialCheckResult> {
  const readResource = await probe(() => firstPage(client.userPages({ limit: 1, signal: options.signal })));
  const early = stopsEarly(readResource);
  if (early && !readResource.ok) {
    return { ok: false, verdict: early, permissions: { readResource, readLog: skipped(readResource) }, optionalGrants: unknownGrants };
  }

  // Inside the probe: authLogPages validates the window eagerly, and a refusal is a result too.
  const readLog = await probe(() =>
    firstPage(
      client.authLogPages({
        mintimeMs: options.now - CREDENTIAL_PROBE_WINDOW.fromAgoMs,
        maxtimeMs: options.now - CREDENTIAL_PROBE_WINDOW.toAgoMs,
        limit: 1,
        signal: options.signal,
      }),
    ),
  );

  const permissions = { readResource, readLog };
  const stopped = stopsEarly(readLog);
  const verdict: CredentialVerdict =
    stopped ??
    (readResource.ok && readLog.ok
      ? 'ok'
      : [readResource, readLog].some((r) => !r.ok && r.code === 'DUO_PERMISSION_MISSING')
        ? 'permission_missing'
        : 'failed');
  const optionalGrants = stopped === null ? await checkOptionalGrants(client, options.signal) : unknownGrants;
  return { ok: verdict === 'ok', verdict, permissions, optionalGrants };
}

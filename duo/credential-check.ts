import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { DuoClient } from './client.js';

/** Whether one Duo permission works with the given keys. */
export type PermissionCheckResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** The overall answer, for a connect form or the command line. */
export type CredentialVerdict = 'ok' | 'credentials_rejected' | 'permission_missing' | 'unreachable' | 'failed';

/** Result of {@link checkDuoCredentials}. */
export interface CredentialCheckResult {
  ok: boolean;
  verdict: CredentialVerdict;
  permissions: {
    /** "Grant read resource": users and groups. */
    readResource: PermissionCheckResult;
    /** "Grant read log": authentication and other logs. */
    readLog: PermissionCheckResult;
  };
}

/** Probe window: recent enough to be cheap, old enough to respect Duo's two-minute log delay. */
export const CREDENTIAL_PROBE_WINDOW = { fromAgoMs: 10 * 60_000, toAgoMs: 2 * 60_000 } as const;

async function probe(pages: AsyncGenerator<unknown, void, undefined>): Promise<PermissionCheckResult> {
  try {
    await pages.next();
    return { ok: true };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, code: error.code, message: error.message };
    throw error;
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
  if (result.code === 'DUO_NETWORK_ERROR') return 'unreachable';
  return null;
}

/**
 * Checks the keys against the two permissions the sync uses, with one 1-row call each: users
 * (Grant read resource) and a small recent authentication-log window (Grant read log). Never needs
 * "Grant read information". A 401 or a network failure on the first call stops the check.
 */
export async function checkDuoCredentials(
  client: Pick<DuoClient, 'userPages' | 'authLogPages'>,
  options: { signal?: AbortSignal | undefined; now: number },
): Promise<CredentialCheckResult> {
  const readResource = await probe(client.userPages({ limit: 1, signal: options.signal }));
  const early = stopsEarly(readResource);
  if (early && !readResource.ok) {
    return { ok: false, verdict: early, permissions: { readResource, readLog: skipped(readResource) } };
  }

  let readLog: PermissionCheckResult;
  try {
    readLog = await probe(
      client.authLogPages({
        mintimeMs: options.now - CREDENTIAL_PROBE_WINDOW.fromAgoMs,
        maxtimeMs: options.now - CREDENTIAL_PROBE_WINDOW.toAgoMs,
        limit: 1,
        signal: options.signal,
      }),
    );
  } catch (error) {
    // authLogPages validates the window eagerly, before the probe's own catch.
    if (!(error instanceof AppError)) throw error;
    readLog = { ok: false, code: error.code, message: error.message };
  }

  const permissions = { readResource, readLog };
  const verdict: CredentialVerdict =
    stopsEarly(readLog) ??
    (readResource.ok && readLog.ok
      ? 'ok'
      : [readResource, readLog].some((r) => !r.ok && r.code === 'DUO_PERMISSION_MISSING')
        ? 'permission_missing'
        : 'failed');
  return { ok: verdict === 'ok', verdict, permissions };
}

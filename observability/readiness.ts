/** Each readiness check gets this long; a probe answers within it even when a dependency hangs. */
export const PROBE_TIMEOUT_MS = 2_000;

export type CheckResult = 'ok' | 'unreachable';

export interface Readiness<Name extends string = string> {
  status: 'ready' | 'not_ready';
  checks: Record<Name, CheckResult>;
}

interface WarnLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

async function check(name: string, run: () => Promise<unknown>, timeoutMs: number, log: WarnLogger): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    // The reason goes to the log only: the probe's answer names the dependency, nothing about it.
    log.warn({ check: name, err: error }, 'readiness check failed');
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every named check in parallel, each within the timeout: ready when all answer. What a process
 * checks is its own business (the API: Postgres; the worker: Postgres and Temporal).
 */
export async function checkReadiness<Name extends string>(
  checks: Record<Name, () => Promise<unknown>>,
  log: WarnLogger,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<Readiness<Name>> {
  const names = Object.keys(checks) as Name[];
  const results = await Promise.all(names.map((name) => check(name, checks[name], timeoutMs, log)));
  const byName = Object.fromEntries(names.map((name, index) => [name, results[index]])) as Record<Name, CheckResult>;
  return { status: results.every((result) => result === 'ok') ? 'ready' : 'not_ready', checks: byName };
}
